import { afterEach, describe, expect, it } from '@jest/globals';
import type { P2pError } from '../../packages/client/src/index.js';
import { type GatewayHarness, connectClient, settle, startGateway, waitFor } from '../support/gateway-harness.js';
import { eventually } from '../support/eventually.js';
import { onFrames, serverSocketOf } from './e2e-gateway.js';

const CAPTURED = 1_000;

describe('end-to-end encryption: frames replayed, moved or tampered with by the gateway', () => {
  let gw: GatewayHarness;
  afterEach(async () => gw?.close());

  it(`delivers none of ${CAPTURED} captured frames injected again, as they were, renumbered, or altered`, async () => {
    gw = await startGateway({ limits: { relayMessages: false } });
    // The malicious gateway keeps a copy of every sealed frame A sends.
    const captured: Record<string, unknown>[] = [];
    onFrames(gw, (from, frame) => {
      const z = frame['z'];
      // Small sealed messages travel as base64 text, large ones binary.
      if (from === 'A' && (typeof z === 'string' || Buffer.isBuffer(z)))
        captured.push({ ...frame, z: typeof z === 'string' ? z : Buffer.from(z) });
    });
    const a = await connectClient(gw, 'A', { e2e: true });
    const b = await connectClient(gw, 'B', { e2e: true });
    const secured = waitFor(b, 'secured');
    await a.pair('B');
    await secured;
    const got: number[] = [];
    b.socket.on('n', (n: number) => got.push(n));
    const rejected: P2pError[] = [];
    b.on('error', (error: P2pError) => rejected.push(error));
    // One message per turn of the event loop, as an app sends as things happen: each sealed alone, in a frame of its
    // own (a burst is sealed in batches, several messages per frame: e2e-batches.spec.ts replays and alters those).
    for (let i = 0; i < CAPTURED; i++) {
      if (!a.emit('n', i)) await a.drained();
      await new Promise((resolve) => setImmediate(resolve));
    }
    await eventually(() => expect(got).toHaveLength(CAPTURED));
    await eventually(() => expect(a.unconfirmed).toBe(0));
    const firstCopies = new Map<number, Record<string, unknown>>();
    for (const frame of captured) if (!firstCopies.has(frame['s'] as number)) firstCopies.set(frame['s'] as number, frame);
    expect(firstCopies.size).toBe(CAPTURED);
    const toB = serverSocketOf(gw, 'B')!;
    const next = Math.max(...firstCopies.keys()) + 1;

    // 1. As they were: numbers B has had already. Dropped as duplicates, as a retransmission would be.
    for (const frame of firstCopies.values()) toB.emit('P2P_FRAME', frame);
    // 2. Renumbered to the number B expects next: the nonce no longer matches, so none opens. One at a time: while B
    // opens a frame of a number, another of the same number is a duplicate to it (dropped unopened, unreported).
    const inject = async (frame: Record<string, unknown>) => {
      const reported = waitFor(b, 'error', 10_000);
      toB.emit('P2P_FRAME', frame);
      await reported;
    };
    for (const frame of firstCopies.values()) await inject({ ...frame, s: next });
    // 3. Altered: one bit of the ciphertext flipped, at the number B expects.
    const altered = Buffer.from(firstCopies.get(next - 1)!['z'] as string, 'base64');
    altered[altered.length - 1]! ^= 1;
    await inject({ ...firstCopies.get(next - 1), s: next, z: altered.toString('base64') });
    await inject({ ...firstCopies.get(next - 1), s: next, z: altered });
    // 4. Sent in the clear at the number B expects: an app message B never takes unsealed.
    await inject({ s: next, c: 0, e: 'n', a: [-1], k: 3 });
    await settle(300);
    expect(got).toEqual([...Array(CAPTURED).keys()]);
    expect(new Set(rejected.map((error) => error.code))).toEqual(new Set(['E2E_FRAME_REJECTED']));
    expect(rejected).toHaveLength(CAPTURED + 3);
    // The pairing carries on: A's next message takes the number the forgeries tried, and arrives.
    a.emit('n', CAPTURED);
    await eventually(() => expect(got).toEqual([...Array(CAPTURED + 1).keys()]));
    expect(a.secure && b.secure).toBe(true);
  }, 120_000);
});
