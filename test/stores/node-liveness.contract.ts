import { describe, expect, it, afterEach } from '@jest/globals';
import type { Redis } from 'ioredis';
import type { ClusterPairingStore } from '../../packages/server/src/cluster/cluster-store.interface.js';
import type { ClientRecord } from '../../packages/server/src/stores/pairing-store.interface.js';
import { eventually } from '../support/eventually.js';
import { clientRecord, pairingRequest, uniqueIds } from './pairing-store.fixtures.js';

/** A Redis-backed cluster store under test, with where its node liveness lives in Redis. */
export interface LivenessSuite<S extends ClusterPairingStore & { keyPrefix: string }> {
  client(): Redis;
  connection(): Promise<Redis>;
  store(keyPrefix?: string, client?: Redis): S;
  cleanup(store: S): Promise<void>;
  aliveKey(store: S, nodeId: string): string;
  nodesKey(store: S): string;
  /** The ids the store lists as the clients of `nodeId` (every partition's, for a sharded store). */
  nodeMembers(store: S, nodeId: string): Promise<string[]>;
}

/**
 * Node liveness of a store shared through Redis: heartbeat, sweepDeadNodes, forgetNode (what the cluster layer builds
 * on). `useSuite` registers its hooks in the describe block.
 */
export function describeNodeLiveness<S extends ClusterPairingStore & { keyPrefix: string }>(
  name: string,
  useSuite: () => LivenessSuite<S>,
): void {
  describe(`${name} node liveness`, () => {
    const redis = useSuite();
    let store: S;

    afterEach(async () => {
      await redis.cleanup(store);
    });

    const aliveKey = (nodeId: string) => redis.aliveKey(store, nodeId);

    async function connect(clientId: string, nodeId: string, extra: Partial<ClientRecord> = {}): Promise<ClientRecord> {
      const record = clientRecord(clientId, { nodeId, ...extra });
      await expect(store.registerClient(record, 'refuse')).resolves.toMatchObject({ ok: true });
      return record;
    }

    async function pair(sourceId: string, targetId: string): Promise<void> {
      const request = pairingRequest(sourceId, targetId);
      await store.reservePairing(request);
      await expect(store.confirmPairing(request)).resolves.toMatchObject({ ok: true });
    }

    /** Heartbeats `nodeId` with a tiny ttl and waits until Redis has let its alive key expire. */
    async function letDie(nodeId: string): Promise<void> {
      await store.heartbeat(nodeId, 20);
      await eventually(async () => expect(await redis.client().exists(aliveKey(nodeId))).toBe(0));
    }

    const removedIds = (removals: { record: ClientRecord }[]) => removals.map((r) => r.record.clientId).sort();

    it('heartbeat keeps an expiring alive key and says whether the node was listed', async () => {
      store = redis.store();
      const [node] = uniqueIds('node');
      await expect(store.heartbeat(node!, 60_000)).resolves.toBe(false);
      await expect(store.heartbeat(node!, 60_000)).resolves.toBe(true);
      const ttl = await redis.client().pttl(aliveKey(node!));
      expect(ttl).toBeGreaterThan(0);
      expect(ttl).toBeLessThanOrEqual(60_000);
      await expect(redis.client().smembers(redis.nodesKey(store))).resolves.toEqual([node]);
      await expect(store.heartbeat(node!, 0)).rejects.toThrow(RangeError);
    });

    it('sweeps a node whose alive key expired: its clients go, their peers on live nodes are freed; a held client stays until its grace ran out', async () => {
      store = redis.store();
      const [dead, live] = uniqueIds('dead', 'live');
      const [d1, d2, d3, d4, d5, l1, l2, l3] = uniqueIds('d1', 'd2', 'd3', 'd4', 'd5', 'l1', 'l2', 'l3');
      await store.heartbeat(live!, 60_000);
      for (const id of [d1, d2, d3, d4, d5]) await connect(id!, dead!, { sessionTokenHash: `t-${id}` });
      for (const id of [l1, l2, l3]) await connect(id!, live!);
      await pair(l1!, d1!);
      await store.reservePairing(pairingRequest(d2!, l2!));
      await pair(d4!, d5!);
      const held = (await store.getClient(d1!))!;
      const graceMs = 5000;
      await expect(store.detachClient(d1!, held.connectionId, Date.now() + graceMs)).resolves.toMatchObject({ detached: {} });
      await letDie(dead!);

      const removals = await store.sweepDeadNodes();
      expect(removedIds(removals)).toEqual([d2, d3, d4, d5].sort());
      const byId = new Map(removals.map((r) => [r.record.clientId, r]));
      expect(byId.get(d2!)).toMatchObject({ leftState: { kind: 'asking', otherId: l2 }, other: { clientId: l2, state: { kind: 'free' } } });
      expect(byId.get(d3!)?.other).toBeUndefined();
      // D1 is held for reconnect grace: it may still come back, to any node; its node stays listed meanwhile.
      await expect(store.getClient(l1!)).resolves.toMatchObject({ state: { kind: 'paired', peerId: d1 } });
      await expect(redis.client().smembers(redis.nodesKey(store))).resolves.toEqual(expect.arrayContaining([live, dead]));

      const late = await eventually(
        async () => {
          const swept = await store.sweepDeadNodes();
          expect(swept).toHaveLength(1);
          return swept;
        },
        graceMs + 10_000,
        200,
      );
      expect(late[0]).toMatchObject({
        record: { clientId: d1 },
        leftState: { kind: 'paired', peerId: l1 },
        other: { clientId: l1, state: { kind: 'free' } },
      });
      await expect(store.listClients()).resolves.toEqual([
        expect.objectContaining({ clientId: l1, state: { kind: 'free' } }),
        expect.objectContaining({ clientId: l2, state: { kind: 'free' } }),
        expect.objectContaining({ clientId: l3, state: { kind: 'free' } }),
      ]);
      await expect(store.counts()).resolves.toEqual({ clients: 3, pairings: 0, pendingRequests: 0 });
      await expect(redis.client().smembers(redis.nodesKey(store))).resolves.toEqual([live]);
      await expect(redis.nodeMembers(store, dead!)).resolves.toEqual([]);
      // The ids are free to register again, on a surviving node.
      await connect(d1!, live!);
      await expect(store.sweepDeadNodes()).resolves.toEqual([]);
    }, 30_000);

    it('forgetNode with keepHeld (a draining node) keeps the clients held for reconnect grace, and only those', async () => {
      store = redis.store();
      const [draining, live] = uniqueIds('draining', 'live');
      const [h, f, l] = uniqueIds('h', 'f', 'l');
      await store.heartbeat(draining!, 60_000);
      await store.heartbeat(live!, 60_000);
      for (const id of [h, f]) await connect(id!, draining!, { sessionTokenHash: `t-${id}` });
      await connect(l!, live!);
      await pair(l!, h!);
      const held = (await store.getClient(h!))!;
      await store.detachClient(h!, held.connectionId, Date.now() + 60_000);

      const removals = await store.forgetNode(draining!, { keepHeld: true });
      expect(removedIds(removals)).toEqual([f]);
      await expect(store.getClient(l!)).resolves.toMatchObject({ state: { kind: 'paired', peerId: h } });
      await expect(redis.client().exists(aliveKey(draining!))).resolves.toBe(0);
      // Without keepHeld (a restart clearing its previous life), everything goes.
      const all = await store.forgetNode(draining!);
      expect(removedIds(all)).toEqual([h]);
      await expect(store.getClient(l!)).resolves.toMatchObject({ state: { kind: 'free' } });
      await expect(redis.client().smembers(redis.nodesKey(store))).resolves.toEqual([live]);
    });

    it('leaves a live node alone, and a node never heard of', async () => {
      store = redis.store();
      const [live, silent] = uniqueIds('live', 'silent');
      const [a, b] = uniqueIds('a', 'b');
      await store.heartbeat(live!, 60_000);
      await connect(a!, live!);
      await connect(b!, silent!);
      await pair(a!, b!);
      await expect(store.sweepDeadNodes()).resolves.toEqual([]);
      await expect(store.counts()).resolves.toEqual({ clients: 2, pairings: 1, pendingRequests: 0 });
    });

    it('reports each client once across concurrent sweeps from two connections', async () => {
      store = redis.store();
      const otherNode = redis.store(store.keyPrefix, await redis.connection());
      const [dead, live] = uniqueIds('dead', 'live');
      const deadIds = uniqueIds(...Array.from({ length: 40 }, (_, i) => `d${i}`));
      const liveIds = uniqueIds(...Array.from({ length: 20 }, (_, i) => `l${i}`));
      await store.heartbeat(live!, 60_000);
      for (const id of deadIds) await connect(id, dead!);
      for (const id of liveIds) await connect(id, live!);
      for (let i = 0; i < liveIds.length; i++) await pair(liveIds[i]!, deadIds[i]!);
      await letDie(dead!);

      const sweeps = await Promise.all([
        store.sweepDeadNodes(),
        otherNode.sweepDeadNodes(),
        store.sweepDeadNodes(),
        otherNode.sweepDeadNodes(),
      ]);
      const all = sweeps.flat();
      expect(removedIds(all)).toEqual([...deadIds].sort());
      expect(
        all
          .filter((r) => r.other)
          .map((r) => r.other!.clientId)
          .sort(),
      ).toEqual([...liveIds].sort());
      await expect(store.counts()).resolves.toEqual({ clients: 20, pairings: 0, pendingRequests: 0 });
    });

    it('does not sweep with the old node a record that resumed on another node', async () => {
      store = redis.store();
      const [oldNode, newNode, peerNode] = uniqueIds('old', 'new', 'peer');
      const [a, b] = uniqueIds('a', 'b');
      for (const node of [oldNode, newNode, peerNode]) await store.heartbeat(node!, 60_000);
      await connect(a!, oldNode!, { sessionTokenHash: 'ta' });
      await connect(b!, peerNode!);
      await pair(a!, b!);
      const resumed = await store.registerClient(clientRecord(a!, { nodeId: newNode!, sessionTokenHash: 'ta' }), 'refuse');
      expect(resumed).toMatchObject({ ok: true, resumed: { record: { nodeId: newNode } } });
      await expect(redis.nodeMembers(store, oldNode!)).resolves.toEqual([]);
      await expect(redis.nodeMembers(store, newNode!)).resolves.toEqual([a]);

      await letDie(oldNode!);
      await expect(store.sweepDeadNodes()).resolves.toEqual([]);
      await expect(store.getClient(a!)).resolves.toMatchObject({ nodeId: newNode, state: { kind: 'paired', peerId: b } });

      await letDie(newNode!);
      const removals = await store.sweepDeadNodes();
      expect(removals).toEqual([
        expect.objectContaining({ record: expect.objectContaining({ clientId: a }), other: expect.objectContaining({ clientId: b }) }),
      ]);
    });

    it('forgetNode removes the node clients at once, frees their peers and unlists the node', async () => {
      store = redis.store();
      const [leaving, staying] = uniqueIds('leaving', 'staying');
      const [a, b, c, d] = uniqueIds('a', 'b', 'c', 'd');
      await store.heartbeat(leaving!, 60_000);
      await store.heartbeat(staying!, 60_000);
      await connect(a!, leaving!);
      await connect(b!, leaving!);
      await connect(c!, staying!);
      await connect(d!, staying!);
      await pair(a!, c!);
      await store.reservePairing(pairingRequest(d!, b!));

      const removals = await store.forgetNode(leaving!);
      expect(removedIds(removals)).toEqual([a, b].sort());
      expect(removals.flatMap((r) => (r.other ? [r.other.clientId] : [])).sort()).toEqual([c, d].sort());
      await expect(store.listClients({ available: true })).resolves.toEqual([
        expect.objectContaining({ clientId: c }),
        expect.objectContaining({ clientId: d }),
      ]);
      await expect(redis.client().exists(aliveKey(leaving!))).resolves.toBe(0);
      await expect(redis.client().smembers(redis.nodesKey(store))).resolves.toEqual([staying]);
      await expect(store.forgetNode(leaving!)).resolves.toEqual([]);
      // A node that was forgotten is new again to its next heartbeat.
      await expect(store.heartbeat(leaving!, 60_000)).resolves.toBe(false);
    });
  });
}
