import { afterEach, describe, expect, it } from '@jest/globals';
import type { Socket as TcpSocket } from 'node:net';
import type { IncomingMessage } from 'node:http';
import type { Socket } from 'socket.io-client';
import { type GatewayHarness, connected, rawSocket, startGateway, waitFor } from '../support/gateway-harness.js';
import { eventually } from '../support/eventually.js';

const BURST = 40;

/**
 * Counts the writes Node hands to the kernel (`_write` for one chunk, `_writev` for several) on the server's end of
 * each WebSocket connection, by the clientId of its upgrade request.
 */
function countServerWrites(harness: GatewayHarness): Map<string, { writes: number }> {
  const counts = new Map<string, { writes: number }>();
  harness.app.getHttpServer().on('upgrade', (request: IncomingMessage, tcp: TcpSocket) => {
    const clientId = new URL(request.url ?? '/', 'http://localhost').searchParams.get('clientId');
    if (!clientId) return;
    const count = { writes: 0 };
    counts.set(clientId, count);
    const writable = tcp as unknown as Record<'_write' | '_writev', (...args: unknown[]) => unknown>;
    for (const method of ['_write', '_writev'] as const) {
      const original = writable[method];
      writable[method] = function (this: unknown, ...args: unknown[]) {
        count.writes++;
        return original.apply(this, args);
      };
    }
  });
  return counts;
}

/** Pairs original-protocol clients A and B (A asks, B consents). */
async function pairOriginal(a: Socket, b: Socket): Promise<void> {
  b.once('P2P_REGISTER', (sourceId: string) => b.emit('P2P_REGISTER_SUCCESS', sourceId));
  const [ok] = await new Promise<unknown[]>((resolve) => a.emit('P2P_REGISTER', 'B', (...args: unknown[]) => resolve(args)));
  expect(ok).toBe(true);
}

describe('gateway: a flush of several packets leaves in one write', () => {
  let harness: GatewayHarness;

  afterEach(async () => {
    await harness.close();
  });

  it.each([
    ['WebSocket from the start', ['websocket']],
    ['long-polling upgraded to WebSocket', ['polling', 'websocket']],
  ])('%s: a burst of relays reaches the peer complete, in order, in far fewer writes than packets', async (_name, transports) => {
    harness = await startGateway({ limits: false });
    const writes = countServerWrites(harness);
    const b = await connected(rawSocket(harness, { clientId: 'B' }, { transports }));
    const a = await connected(rawSocket(harness, { clientId: 'A' }, { transports }));
    await eventually(() => expect([a.io.engine.transport.name, b.io.engine.transport.name]).toEqual(['websocket', 'websocket']), 10_000);
    await pairOriginal(a, b);
    const got: number[] = [];
    b.on('n', (n: number) => got.push(n));
    const last = waitFor(b, 'last');

    const before = writes.get('B')!.writes;
    // One burst: the gateway relays them within a few event-loop turns, while its first write to B is in progress, so
    // engine.io flushes the rest to B together.
    for (let n = 1; n <= BURST; n++) a.emit('P2P_EMIT', { targetClientId: 'B', event: 'n', args: [n] });
    a.emit('P2P_EMIT', { targetClientId: 'B', event: 'last', args: [] });
    await last;

    expect(got).toEqual(Array.from({ length: BURST }, (_, i) => i + 1));
    // One write per packet without the hook (BURST + 1); a handful with it (how the burst arrives decides how many).
    expect(writes.get('B')!.writes - before).toBeLessThanOrEqual(BURST / 4);
  });
});
