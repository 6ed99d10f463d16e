import { afterAll, afterEach, describe, expect, it } from '@jest/globals';
import nodeDataChannel from 'node-datachannel';
import { Registry } from 'prom-client';
import type { Socket } from 'socket.io-client';
import {
  P2pClient,
  type P2pClientOptions,
  type P2pClientWebRtcOptions,
  type P2pTransport,
  type RTCPeerConnectionConstructor,
} from '../../packages/client/src/index.js';
import type { P2pModuleOptions } from '../../packages/server/src/index.js';
import { P2pMetricsService } from '../../packages/server/src/metrics/p2p-metrics.service.js';
import { eventually } from '../support/eventually.js';
import { type GatewayHarness, connectClient, rawSocket, settle, startGateway, waitFor } from '../support/gateway-harness.js';
import { reconnectingClient } from '../grace/grace-support.js';
import { cutConnection } from '../support/network-cut.js';
import { LOOPBACK_CONFIG, LoopbackPeerConnection, until } from './webrtc-support.js';

/** Every application message the gateway relayed (P2P_EMIT, P2P_EMIT_ACKNOWLEDGE, P2P_FRAME), by its own meter. */
function relayedByGateway(harness: GatewayHarness): number {
  const { emit, ack, frame } = harness.app.get(P2pMetricsService).meter!.relayedMessages;
  return emit + ack + frame;
}

describe('P2pClient option webrtc: a pairing upgraded to a direct data channel, the relay as fallback', () => {
  let harness: GatewayHarness;

  afterEach(async () => {
    await harness.close();
  });

  afterAll(() => {
    nodeDataChannel.cleanup();
  });

  async function start(options: P2pModuleOptions = { webrtc: {} }) {
    harness = await startGateway({ ...options, metrics: { registry: new Registry(), path: false } });
  }

  /** A client on the gateway whose peer connections are recorded, with every transport change it reported. */
  async function client(
    clientId: string,
    webrtc: Partial<P2pClientWebRtcOptions> | false = {},
    connect: 'option' | 'reconnecting' | 'query only' = 'option',
  ) {
    const connections: RTCPeerConnection[] = [];
    class Recorded extends (LoopbackPeerConnection as unknown as new (config: RTCConfiguration) => RTCPeerConnection) {
      constructor(config: RTCConfiguration) {
        super(config);
        connections.push(this);
      }
    }
    const options = {
      webrtc: webrtc && {
        RTCPeerConnection: Recorded as unknown as RTCPeerConnectionConstructor,
        peerConnectionConfig: LOOPBACK_CONFIG,
        backoff: { initialDelayMs: 200, maxDelayMs: 1000 },
        ...webrtc,
      },
    };
    const p2p =
      connect === 'reconnecting'
        ? await reconnectingClient(harness, clientId, options)
        : connect === 'query only'
          ? await queryOnlyClient(clientId, options)
          : await connectClient(harness, clientId, options);
    const transports: P2pTransport[] = [];
    p2p.on('transport', (transport) => transports.push(transport));
    // The network rule: every candidate offered to this client must be on loopback.
    const candidates: string[] = [];
    p2p.socket.on('P2P_SIGNAL', (signal: { type: string; candidate?: string }) => {
      if (signal.type === 'candidate') candidates.push(signal.candidate!.split(' ')[4] ?? '?');
    });
    return { p2p, connections, transports, candidates };
  }

  /** A client whose id the gateway reads from the `?clientId=` query: neither the option nor `socket.auth` holds it. */
  async function queryOnlyClient(clientId: string, options: P2pClientOptions) {
    const socket = rawSocket(harness, { clientId }, { autoConnect: false });
    const p2p = new P2pClient(socket, options);
    socket.connect();
    await waitFor(socket, 'connect');
    return p2p;
  }

  async function pair(a: P2pClient<Socket>, b: P2pClient<Socket>, bId = (b.socket.auth as { clientId: string }).clientId) {
    const paired = waitFor(b, 'paired');
    await a.pair(bId);
    await paired;
  }

  /** Collects event `name`'s first argument, in arrival order. */
  function collect(p2p: P2pClient<Socket>, name: string): unknown[] {
    const got: unknown[] = [];
    p2p.socket.on(name, (value: unknown) => got.push(value));
    return got;
  }

  const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);
  const transportOnServer = async () => (await harness.service.listPairings())[0]?.transport;

  it('upgrades both sides; emit and emitWithAck then go direct and the gateway relays no application message', async () => {
    await start();
    const alice = await client('A');
    const bob = await client('B');
    bob.p2p.socket.on('ask', (value: number, reply: (result: number) => void) => reply(value * 2));
    const got = collect(bob.p2p, 'n');
    await pair(alice.p2p, bob.p2p);
    expect(alice.p2p.transport).toBe('relay');
    await until(() => alice.p2p.transport === 'direct' && bob.p2p.transport === 'direct', 'both sides direct', 30_000);
    expect(alice.transports).toEqual(['direct']);
    expect(bob.transports).toEqual(['direct']);
    await eventually(async () => expect(await transportOnServer()).toBe('direct'), 10_000);
    // Whatever the switch itself sent (a sync) went over the data channel: the count stands still from here.
    const relayedBefore = relayedByGateway(harness);
    const statsBefore = harness.service.relayStats().relayedMessages;

    for (const n of range(1, 100)) alice.p2p.emit('n', n);
    await expect(alice.p2p.emitWithAck('ask', 21)).resolves.toBe(42);
    await until(() => got.length === 100, 'the 100 messages');
    expect(got).toEqual(range(1, 100));
    await until(() => alice.p2p.unconfirmed === 0 && bob.p2p.unconfirmed === 0, 'everything confirmed');

    expect(relayedByGateway(harness)).toBe(relayedBefore);
    expect(harness.service.relayStats().relayedMessages).toBe(statsBefore);
    expect(alice.candidates.length + bob.candidates.length).toBeGreaterThan(0);
    expect(new Set([...alice.candidates, ...bob.candidates])).toEqual(new Set(['127.0.0.1']));

    // Unpairing ends the direct path too: both back on the relay, and nothing is reported undelivered on either side.
    const undelivered: unknown[] = [];
    for (const side of [alice, bob]) side.p2p.on('undelivered', (messages) => undelivered.push(...messages));
    const atAlice = collect(alice.p2p, 'back');
    for (const n of range(1, 10)) bob.p2p.emit('back', n);
    // Alice has them (her acknowledgement may still be owed): unpairing must not leave Bob thinking they were lost.
    await until(() => atAlice.length === 10, "Bob's messages at Alice");
    await alice.p2p.unpair();
    await until(() => bob.p2p.state === 'idle', 'the peer unpaired');
    expect(alice.p2p.transport).toBe('relay');
    expect(bob.p2p.transport).toBe('relay');
    expect(alice.transports).toEqual(['direct', 'relay']);
    expect(bob.transports).toEqual(['direct', 'relay']);
    expect(undelivered).toEqual([]);
  });

  it('falls back when the data channel dies mid-stream, loses, duplicates and reorders nothing, then upgrades again', async () => {
    await start();
    const alice = await client('A');
    const bob = await client('B');
    const atBob = collect(bob.p2p, 'n');
    const atAlice = collect(alice.p2p, 'm');
    alice.p2p.socket.on('ask', (value: number, reply: (result: number) => void) => reply(value * 2));
    await pair(alice.p2p, bob.p2p);
    await until(() => alice.p2p.transport === 'direct' && bob.p2p.transport === 'direct', 'both sides direct', 30_000);
    const relayedBefore = relayedByGateway(harness);

    // Both directions stream; halfway, the answerer's peer connection dies under it (a crash, a network change).
    for (let n = 1; n <= 400; n++) {
      alice.p2p.emit('n', n);
      bob.p2p.emit('m', n);
      if (n === 200) bob.connections.at(-1)!.close();
      if (n % 20 === 0) await new Promise((resolve) => setTimeout(resolve, 5));
    }
    await until(() => alice.transports.includes('relay') && bob.transports.includes('relay'), 'the fallback on both sides', 30_000);
    await until(() => atBob.length >= 400 && atAlice.length >= 400, 'every message', 30_000);
    expect(atBob).toEqual(range(1, 400));
    expect(atAlice).toEqual(range(1, 400));
    await until(() => alice.p2p.unconfirmed === 0 && bob.p2p.unconfirmed === 0, 'everything confirmed', 30_000);

    // The offerer tries again by itself (backoff) and the pair is direct again.
    await until(
      () => alice.p2p.transport === 'direct' && bob.p2p.transport === 'direct' && bob.connections.length >= 2,
      'the second upgrade',
      30_000,
    );
    expect(alice.transports.slice(0, 3)).toEqual(['direct', 'relay', 'direct']);
    expect(bob.transports.slice(0, 3)).toEqual(['direct', 'relay', 'direct']);
    await eventually(async () => expect(await transportOnServer()).toBe('direct'), 10_000);
    // What was resent after the loss went through the gateway.
    expect(relayedByGateway(harness)).toBeGreaterThan(relayedBefore);

    for (const n of range(401, 450)) alice.p2p.emit('n', n);
    await expect(bob.p2p.emitWithAck('ask', 5)).resolves.toBe(10);
    await until(() => atBob.length >= 450, 'the messages after the second upgrade', 30_000);
    expect(atBob).toEqual(range(1, 450));
    // Nothing came twice later either.
    expect(atAlice).toEqual(range(1, 400));
    expect(new Set([...alice.candidates, ...bob.candidates])).toEqual(new Set(['127.0.0.1']));
  });

  it('stops upgrading when the peer leaves or the client is disposed: back on the relay, no new attempt', async () => {
    await start();
    const alice = await client('A');
    const bob = await client('B');
    await pair(alice.p2p, bob.p2p);
    await until(() => alice.p2p.transport === 'direct' && bob.p2p.transport === 'direct', 'both sides direct', 30_000);
    const unpaired = waitFor(alice.p2p, 'unpaired', 15_000);
    bob.p2p.dispose();
    bob.p2p.socket.disconnect();
    await unpaired;
    expect(alice.p2p.transport).toBe('relay');
    expect(alice.transports).toEqual(['direct', 'relay']);
    expect(bob.p2p.transport).toBe('relay');
    const attempts = alice.connections.length;
    // Several backoff periods (200 ms to 1 s here) for an attempt that must not come.
    await settle(2_500);
    expect(alice.connections.length).toBe(attempts);
    expect(alice.connections.every((pc) => pc.connectionState === 'closed')).toBe(true);
  });

  it("survives a cut of the offerer's connection while direct: resumes on the relay, loses nothing, upgrades again", async () => {
    await start({ webrtc: {}, reconnectGraceMs: 10_000 });
    const alice = await client('A', {}, 'reconnecting');
    const bob = await client('B', {}, 'reconnecting');
    const atBob = collect(bob.p2p, 'n');
    let resumed = 0;
    alice.p2p.on('resumed', () => resumed++);
    await pair(alice.p2p, bob.p2p);
    await until(() => alice.p2p.transport === 'direct' && bob.p2p.transport === 'direct', 'both sides direct', 30_000);
    for (let n = 1; n <= 300; n++) {
      alice.p2p.emit('n', n);
      // The gateway connection dies: the direct path needs it for signalling, so it ends too until the resume.
      if (n === 150) await cutConnection(alice.p2p.socket as Socket);
      if (n % 30 === 0) await new Promise((resolve) => setTimeout(resolve, 5));
    }
    await until(() => resumed === 1, 'the resume', 30_000);
    await until(() => atBob.length >= 300 && alice.p2p.unconfirmed === 0, 'every message', 30_000);
    expect(atBob).toEqual(range(1, 300));
    await until(
      () => alice.p2p.transport === 'direct' && bob.p2p.transport === 'direct' && alice.connections.length >= 2,
      'the upgrade after the resume',
      30_000,
    );
    expect(alice.transports.slice(0, 3)).toEqual(['direct', 'relay', 'direct']);
    for (const n of range(301, 320)) alice.p2p.emit('n', n);
    await until(() => atBob.length >= 320, 'the messages after the new upgrade');
    expect(atBob).toEqual(range(1, 320));
  });

  it('stays on the relay, losing nothing, when ICE can never connect (relay-only policy, no TURN server)', async () => {
    await start();
    const never = { iceTransportPolicy: 'relay' as const, connectTimeoutMs: 2_000, backoff: { initialDelayMs: 200, maxDelayMs: 500 } };
    const alice = await client('A', never);
    const bob = await client('B', never);
    bob.p2p.socket.on('ask', (value: number, reply: (result: number) => void) => reply(value + 1));
    const got = collect(bob.p2p, 'n');
    await pair(alice.p2p, bob.p2p);
    const relayedBefore = relayedByGateway(harness);
    const statsBefore = harness.service.relayStats().relayedMessages;
    for (const n of range(1, 100)) alice.p2p.emit('n', n);
    await expect(alice.p2p.emitWithAck('ask', 1)).resolves.toBe(2);
    await until(() => got.length === 100, 'the 100 messages over the relay');
    expect(got).toEqual(range(1, 100));
    // The offerer keeps trying with backoff; none of its attempts opens.
    await until(() => alice.connections.length >= 2, 'a retried attempt', 30_000);
    expect(alice.transports).toEqual([]);
    expect(bob.transports).toEqual([]);
    expect(alice.p2p.transport).toBe('relay');
    expect(await transportOnServer()).toBe('relay');
    expect(relayedByGateway(harness)).toBeGreaterThanOrEqual(relayedBefore + 101);
    // PairingService's own counter sees the reliable channel's frames too (they are the pair's application messages).
    expect(harness.service.relayStats().relayedMessages).toBeGreaterThanOrEqual(statsBefore + 101);
  });

  it('stays on the relay when only one side enabled it, and never tries: the gateway told it the peer did not', async () => {
    await start();
    const alice = await client('A', { connectTimeoutMs: 2_000 });
    const bob = await client('B', false);
    const got = collect(bob.p2p, 'n');
    await pair(alice.p2p, bob.p2p);
    for (const n of range(1, 20)) alice.p2p.emit('n', n);
    await until(() => got.length === 20, 'the messages over the relay');
    expect(got).toEqual(range(1, 20));
    // Time for the first attempts at this backoff (200 ms, then up to 1 s), had any been started.
    await settle(1_500);
    expect(alice.connections).toHaveLength(0);
    expect(harness.service.relayStats().signals).toBe(0);
    expect(alice.transports).toEqual([]);
    expect(bob.p2p.transport).toBe('relay');
  });

  it('upgrades a client whose clientId came only through the ?clientId= query: the gateway tells it in P2P_SESSION', async () => {
    await start();
    const errors: unknown[] = [];
    const alice = await client('A', {}, 'query only');
    alice.p2p.on('error', (error) => errors.push(error));
    expect(alice.p2p.socket.auth).not.toHaveProperty('clientId');
    const bob = await client('B');
    const got = collect(alice.p2p, 'n');
    await pair(bob.p2p, alice.p2p, 'A');
    await until(() => alice.p2p.transport === 'direct' && bob.p2p.transport === 'direct', 'both sides direct', 30_000);
    // 'A' offers (the smaller id): it could only pick that role knowing its own id.
    expect(alice.connections.length).toBeGreaterThan(0);
    for (const n of range(1, 20)) bob.p2p.emit('n', n);
    await until(() => got.length === 20, 'the messages over the data channel');
    expect(got).toEqual(range(1, 20));
    expect(errors).toEqual([]);
  });

  it('stays on the relay when the gateway does not allow an upgrade, and tries nothing', async () => {
    await start({ webrtc: { canUpgrade: () => false } });
    const alice = await client('A');
    const bob = await client('B');
    const got = collect(bob.p2p, 'n');
    await pair(alice.p2p, bob.p2p);
    for (const n of range(1, 20)) alice.p2p.emit('n', n);
    await until(() => got.length === 20, 'the messages over the relay');
    expect(got).toEqual(range(1, 20));
    expect(alice.connections).toHaveLength(0);
    expect(bob.connections).toHaveLength(0);
    expect(harness.service.relayStats().signals).toBe(0);
    expect(alice.p2p.transport).toBe('relay');
  });
});
