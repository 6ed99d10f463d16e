import { afterAll, afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import nodeDataChannel from 'node-datachannel';
import type { Socket } from 'socket.io-client';
import { type GatewayHarness, startGateway } from '../support/gateway-harness.js';
import { type PathSide, candidateAddresses, directPath, pairSockets, pathEvent, protocol3Socket, until } from './webrtc-support.js';

// Network rule: ICE is bound to 127.0.0.1 (node-datachannel's bindAddress) and no ICE server is configured; every
// test reads the candidates both sides offered and fails if any is not 127.0.0.1.

describe('DirectPath: a data channel negotiated through the gateway, on loopback', () => {
  let harness: GatewayHarness;
  let a: Socket;
  let b: Socket;
  const sides: PathSide[] = [];

  beforeEach(async () => {
    harness = await startGateway({ webrtc: {} });
    a = await protocol3Socket(harness, 'A');
    b = await protocol3Socket(harness, 'B');
    await pairSockets(a, b, 'B');
  });

  afterEach(async () => {
    for (const side of sides.splice(0)) side.path.close();
    await harness.close();
  });

  afterAll(() => {
    nodeDataChannel.cleanup();
  });

  function open(extraA = {}, extraB = {}): [PathSide, PathSide] {
    const offerer = directPath(a, 'offerer', extraA);
    const answerer = directPath(b, 'answerer', extraB);
    sides.push(offerer, answerer);
    answerer.path.start();
    offerer.path.start();
    return [offerer, answerer];
  }

  function expectLoopbackOnly(...all: PathSide[]): void {
    const addresses = all.flatMap((side) => candidateAddresses(side.sent));
    expect(addresses.length).toBeGreaterThan(0);
    expect(new Set(addresses)).toEqual(new Set(['127.0.0.1']));
  }

  it('opens, carries frames both ways in order (binary values included), and the gateway relays no application message', async () => {
    const [offerer, answerer] = open();
    await Promise.all([pathEvent(offerer.path, 'open'), pathEvent(answerer.path, 'open')]);
    expect(offerer.path.state).toBe('open');
    expect(answerer.path.state).toBe('open');

    const relayedBefore = harness.service.relayStats().relayedMessages;
    const bytes = new Uint8Array([0, 1, 2, 250, 255]);
    const floats = new Float64Array([Math.PI, -0]);
    for (let i = 0; i < 50; i++) expect(offerer.path.send({ seq: i, kind: 'text', body: `message ${i}` })).toBe(true);
    expect(offerer.path.send({ seq: 50, kind: 'binary', payload: { bytes, floats, raw: bytes.buffer.slice(1, 3), list: [bytes] } })).toBe(
      true,
    );
    expect(answerer.path.send({ seq: 0, reply: 'hello A' })).toBe(true);

    await until(() => answerer.frames.length === 51 && offerer.frames.length === 1, 'the frames to arrive');
    expect(answerer.frames.slice(0, 50)).toEqual(Array.from({ length: 50 }, (_, i) => ({ seq: i, kind: 'text', body: `message ${i}` })));
    const binary = answerer.frames[50] as { payload: { bytes: Uint8Array; floats: Float64Array; raw: ArrayBuffer; list: Uint8Array[] } };
    expect(binary.payload.bytes).toBeInstanceOf(Uint8Array);
    expect([...binary.payload.bytes]).toEqual([0, 1, 2, 250, 255]);
    expect(binary.payload.floats).toBeInstanceOf(Float64Array);
    expect([...binary.payload.floats]).toEqual([Math.PI, -0]);
    expect(binary.payload.raw).toBeInstanceOf(ArrayBuffer);
    expect([...new Uint8Array(binary.payload.raw)]).toEqual([1, 2]);
    expect([...binary.payload.list[0]!]).toEqual([0, 1, 2, 250, 255]);
    expect(offerer.frames).toEqual([{ seq: 0, reply: 'hello A' }]);

    // Signals went through the gateway; the frames did not.
    expect(harness.service.relayStats().relayedMessages).toBe(relayedBefore);
    expect(harness.service.relayStats().signals).toBeGreaterThanOrEqual(2);
    expect(offerer.errors).toEqual([]);
    expect(answerer.errors).toEqual([]);
    expectLoopbackOnly(offerer, answerer);
  });

  it('fires close on the other side when one side kills the channel mid-stream, and send then says false', async () => {
    const [offerer, answerer] = open();
    await Promise.all([pathEvent(offerer.path, 'open'), pathEvent(answerer.path, 'open')]);
    const closed = pathEvent(answerer.path, 'close');
    let sent = 0;
    const streaming = (async () => {
      while (offerer.path.send({ seq: sent, filler: 'x'.repeat(512) })) {
        sent++;
        if (sent % 20 === 0) await new Promise((resolve) => setImmediate(resolve));
      }
    })();
    await until(() => answerer.frames.length >= 20, 'part of the stream to arrive');
    // Killed from below, as a crashed peer or a lost network would: the peer connection itself, no goodbye.
    (offerer.path as unknown as { pc: RTCPeerConnection }).pc.close();
    const reason = await closed;
    expect(['channel-closed', 'ice-failed', 'disconnected', 'peer-closed']).toContain(reason);
    expect(answerer.path.state).toBe('closed');
    expect(answerer.path.send({ late: true })).toBe(false);
    await streaming;
    expect(offerer.path.send({ late: true })).toBe(false);
    // What did arrive came in order, each frame whole.
    answerer.frames.forEach((frame, i) => expect((frame as { seq: number }).seq).toBe(i));
    expectLoopbackOnly(offerer, answerer);
  });

  it('close() tells the peer (bye): both end, and the peer reports peer-closed', async () => {
    const [offerer, answerer] = open();
    await Promise.all([pathEvent(offerer.path, 'open'), pathEvent(answerer.path, 'open')]);
    const peerClosed = pathEvent(offerer.path, 'close');
    const ownClose = pathEvent(answerer.path, 'close');
    answerer.path.close();
    expect(await ownClose).toBe('closed');
    expect(['peer-closed', 'channel-closed']).toContain(await peerClosed);
  });

  it('keeps an offer that overtook the answerer until it starts, and names each attempt: stale signals are ignored', async () => {
    const offerer = directPath(a, 'offerer', { pathId: 'attempt-2' });
    const answerer = directPath(b, 'answerer');
    sides.push(offerer, answerer);
    const offerArrived = new Promise((resolve) => b.once('P2P_SIGNAL', resolve));
    offerer.path.start();
    await offerArrived;
    expect(answerer.path.state).toBe('new');
    answerer.path.start();
    await Promise.all([pathEvent(offerer.path, 'open'), pathEvent(answerer.path, 'open')]);
    expect(offerer.sent.every((signal) => signal.pathId === 'attempt-2')).toBe(true);
    expect(answerer.sent.every((signal) => signal.pathId === 'attempt-2')).toBe(true);
    // A late bye of an earlier attempt ends nothing; one of this attempt does.
    answerer.path.handleSignal({ type: 'bye', pathId: 'attempt-1', sourceClientId: 'A' });
    offerer.path.handleSignal({ type: 'bye', pathId: 'attempt-1', sourceClientId: 'B' });
    expect(answerer.path.send({ still: 'open' })).toBe(true);
    await until(() => offerer.frames.length === 1, 'the frame after the stale bye');
    expect(offerer.path.state).toBe('open');
    const closed = pathEvent(answerer.path, 'close');
    answerer.path.handleSignal({ type: 'bye', pathId: 'attempt-2', sourceClientId: 'A' });
    expect(await closed).toBe('peer-closed');
    expectLoopbackOnly(offerer, answerer);
  });

  it('fails within its bound when ICE can never connect (relay-only policy, no TURN server), and carries nothing', async () => {
    const bound = { iceTransportPolicy: 'relay' as const, connectTimeoutMs: 4_000 };
    const [offerer, answerer] = open(bound, bound);
    const started = Date.now();
    const reasons = await Promise.all([pathEvent(offerer.path, 'failed', 20_000), pathEvent(answerer.path, 'failed', 20_000)]);
    for (const reason of reasons) expect(['timeout', 'ice-failed', 'peer-closed']).toContain(reason);
    // Bounded by connectTimeoutMs plus scheduling slack on a loaded machine; never left hanging.
    expect(Date.now() - started).toBeLessThan(15_000);
    expect(offerer.path.send({ never: true })).toBe(false);
    expect(candidateAddresses(offerer.sent)).toEqual([]);
    expect(candidateAddresses(answerer.sent)).toEqual([]);
  });
  it('refuses numbered frames while its data channel buffers maxBufferedBytes, and says when it can take more', async () => {
    const limit = 64 * 1024;
    const [offerer, answerer] = open({ maxBufferedBytes: limit });
    await Promise.all([pathEvent(offerer.path, 'open'), pathEvent(answerer.path, 'open')]);
    const chunk = new Uint8Array(16 * 1024).fill(9);
    let sent = 0;
    // Sent in one go, without yielding: the channel's buffer only grows until send refuses.
    while (offerer.path.send({ s: sent + 1, a: [chunk] })) {
      sent++;
      expect(sent).toBeLessThan(10_000);
    }
    expect(offerer.path.bufferedAmount).toBeGreaterThanOrEqual(limit);
    // What the buffer holds stays within the bound plus the frame that crossed it.
    expect(offerer.path.bufferedAmount).toBeLessThan(limit + 2 * chunk.byteLength);
    const writable = new Promise<void>((resolve) => offerer.path.onceWritable(resolve));
    // An acknowledgement (no sequence number) still goes.
    expect(offerer.path.send({ c: 0, k: 1 })).toBe(true);
    await writable;
    expect(offerer.path.bufferedAmount).toBeLessThan(limit);
    expect(offerer.path.send({ s: sent + 1, a: [chunk] })).toBe(true);
    await until(() => answerer.frames.length === sent + 2, 'every frame delivered');
    const numbers = answerer.frames.flatMap((frame) => ((frame as { s?: number }).s === undefined ? [] : [(frame as { s: number }).s]));
    expect(numbers).toEqual(Array.from({ length: sent + 1 }, (_, i) => i + 1));
    expectLoopbackOnly(offerer, answerer);
  });
});
