import { afterEach, describe, expect, it } from '@jest/globals';
import { type Socket, io } from 'socket.io-client';
import { type GatewayHarness, startGateway, waitFor } from '../support/gateway-harness.js';
import { eventually } from '../support/eventually.js';
import { resetStalled, resumeReading, stopReading } from '../support/network-cut.js';
import { connectRawV2, pairRaw, whenConnected } from '../support/wire.js';
import { ClusterNodeProcess } from '../cluster/support/cluster-node.process.js';
import { reconnectingClient } from '../grace/grace-support.js';

const MIB = 1024 * 1024;
const PAYLOAD = 'x'.repeat(32 * 1024);

/**
 * The gateway node's resident memory, asked over IPC every 250 ms until stopped; `stop` resolves with the peak. The
 * gateway runs in a process of its own so that the bound is on what the gateway holds, not on the test process, whose
 * clients (and whatever earlier suites of the same Jest process left behind) would count too.
 */
function samplePeakRss(node: ClusterNodeProcess, baseline: number): { stop(): Promise<number> } {
  let peak = baseline;
  let sampling = true;
  const loop = (async () => {
    while (sampling) {
      peak = Math.max(peak, await node.call<number>('rss'));
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  })();
  return {
    async stop() {
      sampling = false;
      await loop;
      return Math.max(peak, await node.call<number>('rss'));
    },
  };
}

/** A raw protocol 2 client of `node`, as connectRawV2 opens one of an in-process gateway. */
function connectToNode(node: ClusterNodeProcess, clientId: string, sockets: Socket[]): Promise<Socket> {
  const socket = io(node.url, { transports: ['websocket'], reconnection: false, forceNew: true, auth: { clientId, p2pProtocol: 2 } });
  sockets.push(socket);
  return whenConnected(socket);
}

/** Relays 32 KiB messages from `sender` about 125 a second (4 MiB/s: within the default byte and message rates). */
function relayBig(sender: Socket): () => void {
  const timer = setInterval(() => {
    for (let i = 0; i < 5; i++) sender.emit('P2P_EMIT', { event: 'big', args: [PAYLOAD] });
  }, 40);
  return () => clearInterval(timer);
}

describe('slow consumers: what the gateway buffers for a connection is bounded', () => {
  let gw: GatewayHarness | undefined;
  let node: ClusterNodeProcess | undefined;
  const nodeSockets: Socket[] = [];
  afterEach(async () => {
    resetStalled();
    for (const socket of nodeSockets.splice(0)) socket.disconnect();
    await gw?.close();
    await node?.stop();
    gw = node = undefined;
  });

  it('ten receivers that stop reading, their peers relaying 32 KiB messages for 20 s: RSS grows at most 96 MB, every sender is told', async () => {
    // Default limits: maxBufferedBytes 1 MiB, slowConsumerTimeoutMs 10 s.
    const gateway = (node = await new ClusterNodeProcess('slow-consumers', {}).start());
    const pairs: Array<{ sender: Socket; receiver: Socket; receiverId: string; codes: Set<string>; disconnects: unknown[][] }> = [];
    for (let i = 0; i < 10; i++) {
      const sender = await connectToNode(gateway, `S${i}`, nodeSockets);
      const receiver = await connectToNode(gateway, `R${i}`, nodeSockets);
      await pairRaw(sender, receiver, `R${i}`);
      const codes = new Set<string>();
      const disconnects: unknown[][] = [];
      sender.on('P2P_ERROR', (error: { code: string }) => codes.add(error.code));
      sender.on('P2P_DISCONNECT', (...args: unknown[]) => disconnects.push(args));
      pairs.push({ sender, receiver, receiverId: `R${i}`, codes, disconnects });
    }
    const baseline = await gateway.call<number>('rss', true);
    const rss = samplePeakRss(gateway, baseline);
    for (const { receiver } of pairs) stopReading(receiver);
    const stops = pairs.map(({ sender }) => relayBig(sender));
    await new Promise((resolve) => setTimeout(resolve, 20_000));
    for (const stop of stops) stop();
    const growth = (await rss.stop()) - baseline;

    expect(growth).toBeLessThanOrEqual(96 * MIB);
    for (const { codes } of pairs) expect(codes).toContain('PEER_SLOW');
    // Over the bound for longer than slowConsumerTimeoutMs: each receiver was closed, and its peer told why.
    await eventually(() => {
      for (const { disconnects, receiverId } of pairs) expect(disconnects).toContainEqual([receiverId, 'SLOW_CONSUMER']);
    }, 10_000);
    await expect(gateway.call('counts')).resolves.toMatchObject({ pairings: 0 });
  }, 120_000);

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
