import { afterEach, describe, expect, it } from '@jest/globals';
import type { P2pClient } from '../../packages/client/src/index.js';
import { type GatewayHarness, startGateway } from '../support/gateway-harness.js';
import { eventually } from '../support/eventually.js';
import { cutConnection, recordStream, sendNumbered, sequence } from '../support/network-cut.js';
import { reconnectingClient } from '../grace/grace-support.js';

const MESSAGES = 12_000;
const RATE = 1_000;
const CUTS = 20;

/** Waits for `client` to be paired again after a cut (it may already be). */
async function pairedAgain(client: P2pClient): Promise<void> {
  await eventually(() => expect(client.state).toBe('paired'), 10_000);
}

describe('reliable channel: abrupt network cuts on one node', () => {
  let gw: GatewayHarness;
  afterEach(() => gw.close());

  it(`delivers ${MESSAGES} messages sent at ${RATE}/s exactly once and in order through ${CUTS} cuts of alternate sides`, async () => {
    gw = await startGateway(); // the options of `npm start`: 5 s of reconnect grace, 100 held relays
    const a = await reconnectingClient(gw, 'A');
    const b = await reconnectingClient(gw, 'B');
    await a.pair('B');
    await eventually(() => expect(b.state).toBe('paired'));
    expect(a.reliable && b.reliable).toBe(true);
    const record = recordStream(a, b, 'n');
    const bErrors: string[] = [];
    b.on('error', (error) => bErrors.push(error.code));
    let resumes = 0;
    for (const side of [a, b]) side.on('resumed', () => resumes++);

    const sending = sendNumbered(a, 'n', MESSAGES, RATE);
    const cutEveryMs = (MESSAGES / RATE) * 1000 * (0.8 / CUTS);
    let cuts = 0;
    for (let i = 0; i < CUTS; i++) {
      await new Promise((resolve) => setTimeout(resolve, cutEveryMs));
      const side = i % 2 === 0 ? b : a;
      await pairedAgain(side);
      await cutConnection(side.socket);
      cuts++;
    }
    await sending;
    await eventually(() => expect(record.received.length).toBeGreaterThanOrEqual(MESSAGES), 30_000);
    // The last cut's side may still be resuming: both sides paired again before the resumes are counted.
    await eventually(() => expect([a.writable, a.state, b.state]).toEqual([true, 'paired', 'paired']), 10_000);

    expect(cuts).toBe(CUTS);
    expect(resumes).toBe(CUTS); // every cut was a real loss of connection, each resumed within the grace
    expect(record.received).toEqual(sequence(MESSAGES)); // nothing lost, nothing twice, in order
    expect(record.errors).toEqual([]);
    expect(record.undelivered).toBe(0);
    expect(bErrors).toEqual([]);
    await expect(gw.service.peerOf('A')).resolves.toBe('B');
  }, 90_000);

  it('carries both directions and emitWithAck through cuts: every handler runs once, every answer comes back', async () => {
    gw = await startGateway();
    const a = await reconnectingClient(gw, 'A');
    const b = await reconnectingClient(gw, 'B');
    await a.pair('B');
    await eventually(() => expect(b.state).toBe('paired'));
    const calls = new Map<number, number>();
    b.socket.on('double', (n: number, answer: (result: number) => void) => {
      calls.set(n, (calls.get(n) ?? 0) + 1);
      answer(n * 2);
    });
    const toA = recordStream(b, a, 'back');
    const asks = sequence(300).map(async (n) => {
      await new Promise((resolve) => setTimeout(resolve, n * 10));
      return a.emitWithAck('double', n);
    });
    const sendingBack = sendNumbered(b, 'back', 1000, 500);
    for (const side of [a, b, a, b]) {
      await new Promise((resolve) => setTimeout(resolve, 500));
      await pairedAgain(side);
      await cutConnection(side.socket);
    }
    await expect(Promise.all(asks)).resolves.toEqual(sequence(300).map((n) => n * 2));
    await sendingBack;
    await eventually(() => expect(toA.received.length).toBeGreaterThanOrEqual(1000), 30_000);
    expect(toA.received).toEqual(sequence(1000));
    expect([...calls.values()].every((count) => count === 1)).toBe(true);
    expect(calls.size).toBe(300);
    expect(toA.errors).toEqual([]);
  }, 90_000);
});
