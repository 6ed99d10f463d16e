import { expect } from '@jest/globals';
import type { Socket } from 'socket.io-client';
import type { P2pClient } from '../../packages/client/src/index.js';
import type { P2pError } from '../../packages/protocol/src/index.js';
import { waitFor } from './gateway-harness.js';
import { emitWithAck, expectHealthyPair, recordEvents } from './wire.js';

/** How many crossing trials run side by side: enough to keep 200 of them short, few enough for a loaded 2-core box. */
export const CROSSING_BATCH = 20;

/** Runs `trial(0 .. total-1)` in batches of `batch` at a time; resolves with the number of trials that passed (all). */
export async function inBatches(total: number, batch: number, trial: (index: number) => Promise<void>): Promise<number> {
  let passed = 0;
  for (let first = 0; first < total; first += batch) {
    const indexes = Array.from({ length: Math.min(batch, total - first) }, (_, i) => first + i);
    await Promise.all(indexes.map(async (index) => trial(index).then(() => passed++)));
  }
  return passed;
}

/** What a P2pClient showed its app during a trial: pairing requests announced, consents consulted, errors. */
export interface ClientWatch {
  requests: string[];
  errors: P2pError[];
  paired: string[];
}

export function watchClient(client: P2pClient): ClientWatch {
  const watch: ClientWatch = { requests: [], errors: [], paired: [] };
  client.on('request', (sourceId) => watch.requests.push(sourceId));
  client.on('error', (error) => watch.errors.push(error));
  client.on('paired', (peerId) => watch.paired.push(peerId));
  return watch;
}

/**
 * `a.pair(bId)` and `b.pair(aId)` in the same tick: both must resolve, each paired with the other exactly once, with
 * no consent prompt shown, no error, and relays flowing both ways.
 */
export async function crossP2pClients(a: P2pClient<Socket>, aId: string, b: P2pClient<Socket>, bId: string): Promise<void> {
  const [watchA, watchB] = [watchClient(a), watchClient(b)];
  const settled = await Promise.allSettled([a.pair(bId), b.pair(aId)]);
  // Both resolve; a rejection shows its code and message.
  const failures = settled.flatMap((outcome) => (outcome.status === 'rejected' ? [String(outcome.reason)] : []));
  expect(failures).toEqual([]);
  expect([a.state, a.peerId, b.state, b.peerId]).toEqual(['paired', bId, 'paired', aId]);
  // Relays both ways: whatever the gateway sent either client before them (a late request included) has arrived.
  const atB = waitFor(b.socket, 'crossing-check');
  a.emit('crossing-check', aId);
  expect(await atB).toEqual([aId]);
  const atA = waitFor(a.socket, 'crossing-check');
  b.emit('crossing-check', bId);
  expect(await atA).toEqual([bId]);
  expect([watchA, watchB]).toEqual([
    { requests: [], errors: [], paired: [bId] },
    { requests: [], errors: [], paired: [aId] },
  ]);
  expect([a.state, a.peerId, b.state, b.peerId]).toEqual(['paired', bId, 'paired', aId]);
}

/**
 * Two original clients (protocol 1, `?clientId=`) that each consent bare to whatever asks them, as the original client
 * does, send P2P_REGISTER to each other in the same tick: both acks are `[true]`, the pair relays both ways, and
 * neither gets a P2P_ERROR or a P2P_DISCONNECT. At most the request the store opened first asked its target: not even
 * that one when the crossing settled it before its own node read that it was open.
 */
export async function crossRawSockets(a: Socket, aId: string, b: Socket, bId: string): Promise<void> {
  const [seenA, seenB] = [recordEvents(a), recordEvents(b)];
  for (const socket of [a, b]) socket.on('P2P_REGISTER', () => socket.emit('P2P_REGISTER_SUCCESS'));
  const answers = await Promise.all([emitWithAck(a, 'P2P_REGISTER', bId), emitWithAck(b, 'P2P_REGISTER', aId)]);
  expect(answers).toEqual([[true], [true]]);
  // Both directions: a request that asked its target did so before its node answered its source, so before any relay.
  await expectHealthyPair(a, b, bId);
  const names = () => [...seenA, ...seenB].map(([event]) => event).filter((event) => event !== 'health-check');
  const asked = names();
  expect([[], ['P2P_REGISTER']]).toContainEqual(asked);
  // The late bare consent to it was answered with nothing: no P2P_ERROR, the pairing stands.
  await emitWithAck(a, 'LIST_CLIENTS');
  await emitWithAck(b, 'LIST_CLIENTS');
  expect(names()).toEqual(asked);
  await expectHealthyPair(a, b, bId);
}
