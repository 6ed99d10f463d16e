import { expect } from '@jest/globals';
import fc from 'fast-check';
import type { ClusterPairingStore } from '../../../packages/server/src/cluster/cluster-store.interface.js';
import type { ClientRecord, PairingStore } from '../../../packages/server/src/stores/pairing-store.interface.js';
import { namesBack } from '../../../packages/server/src/stores/redis-sharded/client-link.rules.js';
import { clientRecord, pairingRequest, uniqueIds } from '../pairing-store.fixtures.js';

/**
 * The two-client invariants of a shared store, checked from outside once every call settled, over two stores that
 * share one backend (two gateway nodes). Written for ShardedRedisPairingStore; any ClusterPairingStore must hold them.
 */

/** Every client of `ids` is free, or named back by the one its state names (asking/asked, paired): links are whole. */
export async function expectLinksWhole(store: PairingStore, ids: string[]): Promise<Map<string, ClientRecord>> {
  const records = new Map<string, ClientRecord>();
  for (const id of ids) {
    const record = await store.getClient(id);
    if (record) records.set(id, record);
  }
  for (const record of records.values()) {
    if (record.state.kind === 'free') continue;
    const otherId = record.state.kind === 'paired' ? record.state.peerId : record.state.otherId;
    expect({ id: record.clientId, whole: namesBack(record, records.get(otherId) ?? undefined) }).toEqual({
      id: record.clientId,
      whole: true,
    });
  }
  const values = [...records.values()];
  const counts = await store.counts();
  expect(counts.pendingRequests).toBe(values.filter((r) => r.state.kind === 'asking').length);
  expect(counts.pairings).toBe(values.filter((r) => r.state.kind === 'paired').length / 2);
  return records;
}

async function connectAll(store: PairingStore, ids: string[], nodeId: string): Promise<void> {
  for (const id of ids) await expect(store.registerClient(clientRecord(id, { nodeId }), 'refuse')).resolves.toEqual({ ok: true });
}

/** 100 sources (half on each node) ask one target at once: exactly one request opens, the others find it busy. */
export async function raceForOneTarget([one, two]: [PairingStore, PairingStore]): Promise<void> {
  const [target, ...sources] = uniqueIds('target', ...Array.from({ length: 100 }, (_, i) => `s${i}`));
  await connectAll(one, [target!], 'node-1');
  await connectAll(one, sources.slice(0, 50), 'node-1');
  await connectAll(two, sources.slice(50), 'node-2');
  const outcomes = await Promise.all(sources.map((id, i) => (i < 50 ? one : two).reservePairing(pairingRequest(id, target!))));
  const winners = outcomes.filter((o) => o.ok);
  expect(winners).toHaveLength(1);
  expect(outcomes.filter((o) => !o.ok).map((o) => !o.ok && o.code)).toEqual(new Array(99).fill('TARGET_BUSY'));
  const winner = winners[0]!.ok ? winners[0]!.source.clientId : '';
  await expect(two.getClient(target!)).resolves.toMatchObject({ state: { kind: 'asked', otherId: winner } });
  await expectLinksWhole(one, [target!, ...sources]);
}

/** `count` pairs of clients ask each other at once, each from its own node: every pair ends paired. */
export async function crossingRequests([one, two]: [PairingStore, PairingStore], count: number): Promise<void> {
  const ids = uniqueIds(...Array.from({ length: 2 * count }, (_, i) => `x${i}`));
  const lefts = ids.slice(0, count);
  const rights = ids.slice(count);
  await connectAll(one, lefts, 'node-1');
  await connectAll(two, rights, 'node-2');
  const outcomes = await Promise.all(
    lefts.flatMap((left, i) => [
      one.reservePairing(pairingRequest(left, rights[i]!)),
      two.reservePairing(pairingRequest(rights[i]!, left)),
    ]),
  );
  expect(outcomes.every((o) => o.ok)).toBe(true);
  for (let i = 0; i < count; i++) {
    const pair = [outcomes[2 * i]!, outcomes[2 * i + 1]!];
    // One of the two opened its request and the other crossed it, whichever ran first.
    expect(pair.filter((o) => o.ok && o.crossed).length).toBe(1);
    await expect(one.getClient(lefts[i]!)).resolves.toMatchObject({ state: { kind: 'paired', peerId: rights[i] } });
  }
  await expectLinksWhole(two, ids);
}

const operation = fc.oneof(
  fc.record({ op: fc.constant('reserve' as const), a: fc.nat(5), b: fc.nat(5) }),
  fc.record({ op: fc.constant('confirm' as const), a: fc.nat(5) }),
  fc.record({ op: fc.constant('cancel' as const), a: fc.nat(5) }),
  fc.record({ op: fc.constant('unpair' as const), a: fc.nat(5) }),
  fc.record({ op: fc.constant('reconnect' as const), a: fc.nat(5) }),
);

/**
 * Random batches of operations over six clients, each batch run at once half on each node; after each batch every
 * link is whole and the counts agree with the records.
 */
export async function randomConcurrentOperations([one, two]: [ClusterPairingStore, ClusterPairingStore], runs: number): Promise<void> {
  await fc.assert(
    fc.asyncProperty(fc.array(fc.array(operation, { minLength: 2, maxLength: 8 }), { minLength: 1, maxLength: 4 }), async (batches) => {
      const ids = uniqueIds('p0', 'p1', 'p2', 'p3', 'p4', 'p5');
      const records = new Map(ids.map((id, i) => [id, clientRecord(id, { nodeId: `node-${i % 2}`, sessionTokenHash: `t-${id}` })]));
      for (const record of records.values()) await one.registerClient(record, 'refuse');
      for (const batch of batches) {
        await Promise.all(
          batch.map(async (step, i) => {
            const store = i % 2 ? two : one;
            const id = ids[step.a]!;
            const current = await store.getClient(id);
            const state = current?.state;
            if (step.op === 'reserve') await store.reservePairing(pairingRequest(id, ids[step.b]!));
            else if (step.op === 'unpair') await store.unpair(id);
            else if (step.op === 'reconnect') {
              const fresh = clientRecord(id, { nodeId: `node-${i % 2}`, sessionTokenHash: `t-${id}` });
              records.set(id, fresh);
              await store.registerClient(fresh, 'refuse');
            } else if (state?.kind === 'asking') {
              const request = { requestId: state.requestId, sourceId: id, targetId: state.otherId };
              await (step.op === 'confirm' ? store.confirmPairing(request) : store.cancelPairing(request));
            }
          }),
        );
        await expectLinksWhole(one, ids);
      }
      for (const id of ids) {
        const record = await one.getClient(id);
        if (record) await one.removeClient(id, record.connectionId);
      }
    }),
    { numRuns: runs },
  );
}
