import { afterEach, describe, expect, it } from '@jest/globals';
import { io } from 'socket.io-client';
import type { IncomingStream, P2pClient, P2pError } from '../../packages/client/src/index.js';
import { type GatewayHarness, startGateway } from '../support/gateway-harness.js';
import { eventually } from '../support/eventually.js';
import { cutConnection } from '../support/network-cut.js';
import { reconnectingClient } from '../grace/grace-support.js';
import { whenConnected } from '../support/wire.js';
import { bytes, pairedClients, readAll, receiveHashed, sha256, spyChunks } from './stream-support.js';

const MiB = 1024 * 1024;

function errorsOf(client: P2pClient): string[] {
  const codes: string[] = [];
  client.on('error', (error: P2pError) => codes.push(error.code));
  client.on('undelivered', (messages) => codes.push(`undelivered ${messages.length}`));
  return codes;
}

describe('streams across cuts, pairings and peers', () => {
  let gw: GatewayHarness;
  afterEach(() => gw.close());

  it('carries 64 MiB through five abrupt TCP cuts of either side: equal digests, no byte twice, no rate refusal', async () => {
    gw = await startGateway({ reconnectGraceMs: 10_000 }); // the default relay rates (4 MiB/s)
    const [a, b] = await pairedClients(gw);
    const aErrors = errorsOf(a);
    const bErrors = errorsOf(b);
    let resumes = 0;
    for (const side of [a, b]) side.on('resumed', () => resumes++);
    const data = bytes(64 * MiB);
    const spy = spyChunks(a.socket);
    const received = receiveHashed(b);
    const sending = a.sendStream(data, { meta: { name: 'cut.bin' } });
    for (let i = 0; i < 5; i++) {
      // Each cut while bytes are moving: after the sender has sent more since the last one.
      const before = spy.bytes;
      await eventually(() => expect(spy.bytes).toBeGreaterThan(before + 8 * MiB), 30_000);
      const side = i % 2 === 0 ? b : a;
      await eventually(() => expect(side.state).toBe('paired'), 10_000);
      await cutConnection(side.socket);
    }
    const receipt = await sending;
    const got = await received;
    expect(resumes).toBe(5);
    expect(receipt.bytes).toBe(64 * MiB);
    expect(got.bytes).toBe(64 * MiB);
    expect(got.sha256).toBe(sha256(data));
    expect(got.done.sha256).toBe(receipt.sha256);
    expect(spy.bytes).toBe(64 * MiB); // each chunk numbered once: resends carry the same numbers
    expect(spy.frames).toBeGreaterThan(spy.chunks); // the cuts did cost resends
    expect(aErrors).toEqual([]);
    expect(bErrors).toEqual([]);
  }, 240_000);

  it('resumes after the receiving client is disposed and made again: only the rest is sent', async () => {
    gw = await startGateway();
    const [a, b] = await pairedClients(gw, { streams: { windowBytes: 256 * 1024 } });
    const data = bytes(4 * MiB);
    const held: Uint8Array[] = [];
    let heldBytes = 0;
    const firstIncoming = new Promise<IncomingStream>((resolve) => b.once('stream', resolve));
    const first = a.sendStream(data, { resumeId: 'file-1' }).catch((error: unknown) => error);
    const stream = await firstIncoming;
    expect(stream.resumeId).toBe('file-1');
    stream.accept();
    const reader = stream.readable.getReader();
    while (heldBytes < MiB) {
      const { value } = await reader.read();
      held.push(value!);
      heldBytes += value!.byteLength;
    }
    // The receiving page goes away: its client is disposed, its connection closed.
    b.dispose();
    b.socket.disconnect();
    const interrupted = (await first) as { code: string; bytes: number };
    expect(interrupted.code).toBe('STREAM_INTERRUPTED');
    expect(interrupted.bytes).toBeLessThanOrEqual(heldBytes);
    await eventually(() => expect(a.state).toBe('idle'));

    const b2 = await reconnectingClient(gw, 'B');
    await a.pair('B');
    await eventually(() => expect(b2.state).toBe('paired'));
    const spy = spyChunks(a.socket);
    const offsets: unknown[] = [];
    const rest = new Promise<Uint8Array>((resolve, reject) => {
      b2.once('stream', (incoming) => {
        offsets.push(incoming.resumeId, incoming.size);
        incoming.accept({ offset: heldBytes });
        readAll(incoming.readable).then(resolve, reject);
      });
    });
    const receipt = await a.sendStream(data, { resumeId: 'file-1' });
    const whole = Buffer.concat([...held, await rest]);
    expect(offsets).toEqual(['file-1', 4 * MiB]);
    expect(receipt).toMatchObject({ offset: heldBytes, bytes: 4 * MiB - heldBytes, sha256: sha256(data.subarray(heldBytes)) });
    expect(spy.bytes).toBe(4 * MiB - heldBytes); // only the rest went out
    expect(sha256(whole)).toBe(sha256(data));
  }, 60_000);

  it('tells a sender at once that a peer without streams (an older client) does not take them; the pairing goes on', async () => {
    gw = await startGateway();
    const a = await reconnectingClient(gw, 'A');
    // An older protocol 3 client, by hand: it consents, confirms every numbered frame, and knows nothing of `k`.
    const old = io(gw.url, { auth: { clientId: 'OLD', p2pProtocol: 3 }, transports: ['websocket'], forceNew: true, reconnection: false });
    gw.sockets.push(old);
    await whenConnected(old);
    old.on('P2P_REGISTER', (sourceId: string) => old.emit('P2P_REGISTER_SUCCESS', sourceId));
    const events: string[] = [];
    let last = 0;
    old.on('P2P_FRAME', (frame: { s?: number; e?: string }) => {
      if (typeof frame.s !== 'number' || frame.s !== last + 1) return;
      last = frame.s;
      if (frame.e) events.push(frame.e);
      old.emit('P2P_FRAME', { c: last });
    });
    await a.pair('OLD');
    expect(a.reliable).toBe(true);
    await expect(a.sendStream(bytes(1000))).rejects.toMatchObject({ code: 'STREAMS_UNSUPPORTED' });
    // Now that its frames told, the next attempt fails before anything is sent.
    await expect(a.sendStream(bytes(1000))).rejects.toMatchObject({ code: 'STREAMS_UNSUPPORTED' });
    a.emit('hello', 1);
    await eventually(() => expect(events).toEqual(['P2P_STREAM_OPEN', 'hello']));
    expect(a.state).toBe('paired');
  }, 30_000);
});
