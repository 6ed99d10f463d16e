import { afterAll, afterEach, describe, expect, it } from '@jest/globals';
import nodeDataChannel from 'node-datachannel';
import { Registry } from 'prom-client';
import type { Socket } from 'socket.io-client';
import { P2pClient, type P2pTransport, type UndeliveredMessage } from '../../packages/client/src/index.js';
import { P2pMetricsService } from '../../packages/server/src/metrics/p2p-metrics.service.js';
import { type GatewayHarness, connectClient, startGateway, waitFor } from '../support/gateway-harness.js';
import { LOOPBACK_CONFIG, recordingPeerConnections, until } from './webrtc-support.js';

const MESSAGES = 8_000;
/** The sender kills a peer connection when it reaches these messages (waiting for the pair to be direct first). */
const KILLS_AT = [2_000, 4_000, 6_000];

/**
 * Issue 20 §3: a fast sender on a direct path that falls back to the relay must come back under the relay's rates at
 * once, the resend of its whole window included, and the pair must go direct again. With the gateway's default limits
 * (1,000 relayed messages/s, bursts of 2,000, connections closed after repeated violations).
 */
describe('P2pClient option webrtc: a fast sender falls back to the relay within its rates', () => {
  let harness: GatewayHarness;

  afterEach(async () => {
    await harness.close();
  });

  afterAll(() => {
    nodeDataChannel.cleanup();
  });

  async function client(clientId: string) {
    const { RTCPeerConnection: Recorded, connections } = recordingPeerConnections();
    const p2p = await connectClient(harness, clientId, {
      webrtc: {
        RTCPeerConnection: Recorded,
        peerConnectionConfig: LOOPBACK_CONFIG,
        backoff: { initialDelayMs: 200, maxDelayMs: 1000 },
      },
    });
    const transports: P2pTransport[] = [];
    const disconnects: string[] = [];
    const undelivered: UndeliveredMessage[] = [];
    p2p.on('transport', (transport) => transports.push(transport));
    p2p.on('undelivered', (messages) => undelivered.push(...messages));
    p2p.socket.on('disconnect', (reason) => disconnects.push(reason));
    const got: number[] = [];
    p2p.socket.on('n', (n: number) => got.push(n));
    return { p2p, connections, transports, disconnects, undelivered, got };
  }

  /** Sends 1..MESSAGES as fast as `drained()` allows; `at(n)` runs before message n. */
  async function stream(p2p: P2pClient<Socket>, at: (n: number) => Promise<void> = async () => undefined): Promise<void> {
    for (let n = 1; n <= MESSAGES; n++) {
      await at(n);
      if (!p2p.emit('n', n)) await p2p.drained();
    }
  }

  it('8,000 messages each way and three peer-connection kills: no refusal, no kick, each message once, direct again', async () => {
    harness = await startGateway({ webrtc: {}, metrics: { registry: new Registry(), path: false } });
    const meter = harness.app.get(P2pMetricsService).meter!;
    const alice = await client('A');
    const bob = await client('B');
    const paired = waitFor(bob.p2p, 'paired');
    await alice.p2p.pair('B');
    await paired;
    const bothDirect = () => alice.p2p.transport === 'direct' && bob.p2p.transport === 'direct';
    await until(bothDirect, 'both sides direct', 30_000);

    let kills = 0;
    const relayedBefore = harness.service.relayStats().relayedMessages;
    const killer = async (n: number) => {
      if (!KILLS_AT.includes(n)) return;
      await until(bothDirect, `both sides direct before kill ${kills + 1}`, 60_000);
      // Each side's peer connection in turn dies under the stream (a crash, a network change).
      const side = kills % 2 === 0 ? bob : alice;
      side.connections.at(-1)!.close();
      kills++;
    };
    const started = Date.now();
    await Promise.all([stream(alice.p2p, killer), stream(bob.p2p)]);
    await until(() => alice.got.length >= MESSAGES && bob.got.length >= MESSAGES, 'every message', 120_000);
    await until(() => alice.p2p.unconfirmed === 0 && bob.p2p.unconfirmed === 0, 'everything confirmed', 60_000);
    await until(bothDirect, 'both sides direct at the end', 60_000);
    const relayed = harness.service.relayStats().relayedMessages - relayedBefore;
    if (process.env.P2P_TEST_VERBOSE) process.stdout.write(`fallback-pacing: ${Date.now() - started} ms, ${relayed} frames relayed\n`);

    const range = Array.from({ length: MESSAGES }, (_, i) => i + 1);
    expect(kills).toBe(3);
    expect(bob.got).toEqual(range);
    expect(alice.got).toEqual(range);
    // The cause: not one frame over the relay's rates, so no violation and no connection closed by the gateway.
    expect(meter.refusals.get('RATE_LIMITED') ?? 0).toBe(0);
    expect(alice.disconnects).toEqual([]);
    expect(bob.disconnects).toEqual([]);
    expect(alice.undelivered).toEqual([]);
    expect(bob.undelivered).toEqual([]);
    expect(alice.p2p.peerId).toBe('B');
    // The fallbacks carried a load: each sent its window again through the gateway, and more behind it.
    expect(relayed).toBeGreaterThan(2 * 1_024);
    // Three falls back to the relay, each followed by a new upgrade.
    expect(alice.transports.filter((t) => t === 'relay').length).toBeGreaterThanOrEqual(3);
    expect(alice.transports.at(-1)).toBe('direct');
    expect(bob.transports.at(-1)).toBe('direct');
  }, 240_000);
});
