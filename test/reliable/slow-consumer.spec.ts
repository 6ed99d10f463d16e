import { afterEach, describe, expect, it } from '@jest/globals';
import type { Socket } from 'socket.io-client';
import { type GatewayHarness, startGateway, waitFor } from '../support/gateway-harness.js';
import { eventually } from '../support/eventually.js';
import { resetStalled, resumeReading, stopReading } from '../support/network-cut.js';
import { connectRawV2, pairRaw } from '../support/wire.js';
import { reconnectingClient } from '../grace/grace-support.js';

const MIB = 1024 * 1024;
const PAYLOAD = 'x'.repeat(32 * 1024);

/** This process's resident memory (the gateway runs in it), sampled until stopped; resolves with the peak. */
function samplePeakRss(): { stop(): number } {
  let peak = process.memoryUsage().rss;
  const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 250);
  return {
    stop() {
      clearInterval(timer);
      return Math.max(peak, process.memoryUsage().rss);
    },
  };
}

/** Relays 32 KiB messages from `sender` about 125 a second (4 MiB/s: within the default byte and message rates). */
function relayBig(sender: Socket): () => void {
  const timer = setInterval(() => {
    for (let i = 0; i < 5; i++) sender.emit('P2P_EMIT', { event: 'big', args: [PAYLOAD] });
  }, 40);
  return () => clearInterval(timer);
}

describe('slow consumers: what the gateway buffers for a connection is bounded', () => {
  let gw: GatewayHarness;
  afterEach(async () => {
    resetStalled();
    await gw.close();
  });

  it('ten receivers that stop reading, their peers relaying 32 KiB messages for 20 s: RSS grows at most 96 MB, every sender is told', async () => {
    gw = await startGateway(); // default limits: maxBufferedBytes 1 MiB, slowConsumerTimeoutMs 10 s
    const pairs: Array<{ sender: Socket; receiver: Socket; receiverId: string; codes: Set<string>; disconnects: unknown[][] }> = [];
    for (let i = 0; i < 10; i++) {
      const sender = await connectRawV2(gw, `S${i}`);
      const receiver = await connectRawV2(gw, `R${i}`);
      await pairRaw(sender, receiver, `R${i}`);
      const codes = new Set<string>();
      const disconnects: unknown[][] = [];
      sender.on('P2P_ERROR', (error: { code: string }) => codes.add(error.code));
      sender.on('P2P_DISCONNECT', (...args: unknown[]) => disconnects.push(args));
      pairs.push({ sender, receiver, receiverId: `R${i}`, codes, disconnects });
    }
    global.gc?.();
    const baseline = process.memoryUsage().rss;
    const rss = samplePeakRss();
    for (const { receiver } of pairs) stopReading(receiver);
    const stops = pairs.map(({ sender }) => relayBig(sender));
    await new Promise((resolve) => setTimeout(resolve, 20_000));
    for (const stop of stops) stop();
    const growth = rss.stop() - baseline;

    expect(growth).toBeLessThanOrEqual(96 * MIB);
    for (const { codes } of pairs) expect(codes).toContain('PEER_SLOW');
    // Over the bound for longer than slowConsumerTimeoutMs: each receiver was closed, and its peer told why.
    await eventually(() => {
      for (const { disconnects, receiverId } of pairs) expect(disconnects).toContainEqual([receiverId, 'SLOW_CONSUMER']);
    }, 10_000);
    await expect(gw.service.counts()).resolves.toMatchObject({ pairings: 0 });
  }, 90_000);

  it('a reliable P2pClient takes PEER_SLOW as backpressure: emit returns false, no error, and everything arrives once the peer reads again', async () => {
    gw = await startGateway({ limits: { maxBufferedBytes: 256 * 1024, slowConsumerTimeoutMs: 60_000 } });
    const a = await reconnectingClient(gw, 'A'); // default window: 1024 messages, 8 MiB
    const b = await reconnectingClient(gw, 'B');
    await a.pair('B');
    await eventually(() => expect(b.state).toBe('paired'));
    const errors: string[] = [];
    a.on('error', (error) => errors.push(error.code));
    let drains = 0;
    a.on('drain', () => drains++);
    const received: number[] = [];
    b.socket.on('big', (n: number) => received.push(n));
    stopReading(b.socket);

    // 400 x 32 KiB = 12.5 MiB, over the 8 MiB window and far over the peer's 256 KiB bound.
    let refusedWhileSlow = 0;
    let sawRefusal!: () => void;
    const refused = new Promise<void>((resolve) => (sawRefusal = resolve));
    a.socket.on('P2P_ERROR', (error: { code: string }) => {
      if (error.code === 'PEER_SLOW' && ++refusedWhileSlow === 1) sawRefusal();
    });
    let returnedFalse = 0;
    for (let n = 0; n < 400; n++) if (!a.emit('big', n, PAYLOAD)) returnedFalse++;
    await refused;
    expect(returnedFalse).toBeGreaterThan(0); // the app was told to wait, and nothing was thrown or dropped
    expect(a.writable).toBe(false);
    resumeReading(b.socket);
    await eventually(() => expect(received).toHaveLength(400), 60_000);
    expect(received).toEqual(Array.from({ length: 400 }, (_, n) => n));
    expect(refusedWhileSlow).toBeGreaterThan(0);
    expect(errors).toEqual([]);
    await eventually(() => expect(a.writable).toBe(true));
    expect(drains).toBe(1);
  }, 90_000);

  it('refuses a relay with ack to a slow peer with PEER_SLOW through the ack', async () => {
    gw = await startGateway({ limits: { maxBufferedBytes: 64 * 1024, slowConsumerTimeoutMs: 60_000 } });
    const a = await connectRawV2(gw, 'A');
    const b = await connectRawV2(gw, 'B');
    await pairRaw(a, b, 'B');
    stopReading(b);
    const refused = new Promise<unknown>((resolve) => {
      const timer = setInterval(() => {
        a.emit('P2P_EMIT_ACKNOWLEDGE', { event: 'big', args: [PAYLOAD] }, (error: unknown) => {
          if ((error as { code?: string } | null)?.code === 'PEER_SLOW') {
            clearInterval(timer);
            resolve(error);
          }
        });
      }, 20);
    });
    await expect(refused).resolves.toMatchObject({ code: 'PEER_SLOW', event: 'P2P_EMIT_ACKNOWLEDGE' });
    await expect(waitFor(a, 'P2P_DISCONNECT', 100)).rejects.toThrow(); // still paired: slow is not gone
  }, 60_000);
});
