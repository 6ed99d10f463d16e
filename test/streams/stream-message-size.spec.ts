import { afterEach, describe, expect, it } from '@jest/globals';
import { type Socket, io } from 'socket.io-client';
import { P2pClient } from '../../packages/client/src/index.js';
import type { SessionPayload } from '../../packages/protocol/src/index.js';
import { type GatewayHarness, startGateway, waitFor } from '../support/gateway-harness.js';
import { eventually } from '../support/eventually.js';
import { bytes, receiveNext, sha256, spyChunks } from './stream-support.js';

/** Smaller than the default chunk (32 KiB): a stream that did not size its chunks by the gateway would be refused. */
const MAX_MESSAGE_BYTES = 8 * 1024;

describe('streams under a gateway with a small maxMessageBytes', () => {
  let gw: GatewayHarness;
  afterEach(() => gw.close());

  /** A client whose P2P_SESSION payloads are kept (listened to before it connects). */
  async function client(clientId: string, e2e: boolean): Promise<{ client: P2pClient<Socket>; sessions: SessionPayload[] }> {
    const socket = io(gw.url, { transports: ['websocket'], reconnection: false, forceNew: true, autoConnect: false });
    gw.sockets.push(socket);
    const sessions: SessionPayload[] = [];
    socket.on('P2P_SESSION', (payload: SessionPayload) => sessions.push(payload));
    const p2p = new P2pClient(socket, { clientId, e2e });
    socket.connect();
    await waitFor(socket, 'connect');
    await eventually(() => expect(sessions).toHaveLength(1));
    return { client: p2p, sessions };
  }

  it.each([false, true])(
    'announces it in P2P_SESSION, and a stream cuts its chunks to fit (e2e: %s)',
    async (e2e) => {
      gw = await startGateway({ limits: { maxMessageBytes: MAX_MESSAGE_BYTES, disconnectAfterViolations: false } });
      const { client: a, sessions } = await client('A', e2e);
      const { client: b } = await client('B', e2e);
      expect(sessions[0]!.maxMessageBytes).toBe(MAX_MESSAGE_BYTES);
      await a.pair('B');
      await eventually(() => expect(b.state).toBe('paired'));
      const refusals: string[] = [];
      for (const side of [a, b]) side.on('error', (error) => refusals.push(error.code));
      const data = bytes(100_000);
      const spy = spyChunks(a.socket);
      const received = receiveNext(b);
      const receipt = await a.sendStream(data);
      const got = await received;
      expect(receipt.bytes).toBe(data.byteLength);
      expect(sha256(got.data)).toBe(sha256(data));
      expect(refusals).toEqual([]);
      if (!e2e) {
        // In the clear the spy sees the chunks: each leaves room for its frame under the gateway's limit.
        expect(spy.bytes).toBe(data.byteLength);
        expect(spy.chunks).toBe(Math.ceil(data.byteLength / (MAX_MESSAGE_BYTES - 1024)));
      }
    },
    60_000,
  );

  it('keeps the option chunkBytes when the gateway allows more', async () => {
    gw = await startGateway({ limits: { maxMessageBytes: 256 * 1024 } });
    const { client: a, sessions } = await client('A', false);
    const { client: b } = await client('B', false);
    expect(sessions[0]!.maxMessageBytes).toBe(256 * 1024);
    await a.pair('B');
    await eventually(() => expect(b.state).toBe('paired'));
    const data = bytes(100_000);
    const spy = spyChunks(a.socket);
    const received = receiveNext(b);
    await a.sendStream(data);
    expect(sha256((await received).data)).toBe(sha256(data));
    expect(spy.chunks).toBe(Math.ceil(data.byteLength / (32 * 1024)));
  }, 60_000);
});
