import { afterEach, describe, expect, it } from '@jest/globals';
import { crc16, PartitionTable, slotOfTag } from '../../packages/server/src/stores/redis-sharded/partition.table.js';
import type { ShardedRedisPairingStore } from '../../packages/server/src/stores/redis-sharded/sharded-pairing.store.js';
import { shardedKeysOf, useShardedStores } from '../support/sharded-store-suite.js';
import { describeNodeLiveness } from './node-liveness.contract.js';
import { describePairingStoreContract } from './pairing-store.contract.js';
import { clientRecord, pairingRequest, uniqueIds } from './pairing-store.fixtures.js';

describe('ShardedRedisPairingStore', () => {
  const redis = useShardedStores();

  describePairingStoreContract(
    'ShardedRedisPairingStore',
    async () => redis.store(),
    async (store) => redis.cleanup(store as ShardedRedisPairingStore),
  );

  describe('partitions', () => {
    it('computes CRC16 as Redis Cluster does (the XMODEM check value, and CLUSTER KEYSLOT of known keys)', () => {
      expect(crc16('123456789')).toBe(0x31c3);
      expect(slotOfTag('foo')).toBe(12182);
      expect(slotOfTag('somekey')).toBe(11058);
    });

    it('puts one tag in each 1/P of the slot space and spreads clients evenly over the partitions', () => {
      const table = new PartitionTable('p2p-test', 64);
      table.slots.forEach((slot, i) => expect(Math.floor(slot / 256)).toBe(i));
      expect(new Set(table.tags).size).toBe(64);
      const perPartition = new Array<number>(64).fill(0);
      for (let i = 0; i < 64_000; i++) perPartition[table.partitionOf(`client-${i}`)]!++;
      expect(Math.min(...perPartition)).toBeGreaterThan(800);
      expect(Math.max(...perPartition)).toBeLessThan(1200);
    });

    it('keeps every key under the store prefix and leaves no client key behind', async () => {
      const store = redis.store();
      try {
        const ids = uniqueIds('a', 'b', 'c', 'd');
        const records = ids.map((id) => clientRecord(id, { nodeId: 'node-x' }));
        for (const record of records) await store.registerClient(record, 'refuse');
        const request = pairingRequest(ids[0]!, ids[1]!);
        await store.reservePairing(request);
        await store.confirmPairing(request);
        await store.reservePairing(pairingRequest(ids[2]!, ids[3]!));
        const keys = await shardedKeysOf(redis.client(), store.keyPrefix);
        for (const id of ids) expect(keys).toContain(`${store.table.base(store.table.partitionOf(id))}:c:${id}`);
        for (const record of records) await store.removeClient(record.clientId, record.connectionId);
        await expect(shardedKeysOf(redis.client(), store.keyPrefix)).resolves.toEqual([`{${store.keyPrefix}:meta}:seq`]);
      } finally {
        await redis.cleanup(store);
      }
    });

    it('refuses a keyPrefix that would break the hash tag, and bad numbers', () => {
      expect(() => redis.store('a}b')).toThrow(/keyPrefix/);
      expect(() => redis.store(undefined, undefined, { partitions: 0 })).toThrow(/partitions/);
      expect(() => redis.store(undefined, undefined, { lockTtlMs: -1 })).toThrow(/lockTtlMs/);
    });
  });

  describe('paging across partitions', () => {
    let store: ShardedRedisPairingStore;
    afterEach(async () => {
      await redis.cleanup(store);
    });

    it('walks 200 clients in pages of 7 in connection order, each once, with clients leaving meanwhile', async () => {
      store = redis.store();
      const ids = uniqueIds(...Array.from({ length: 200 }, (_, i) => `c${String(i).padStart(3, '0')}`));
      const records = new Map(ids.map((id) => [id, clientRecord(id)]));
      for (const record of records.values()) await store.registerClient(record, 'refuse');
      const seen: string[] = [];
      let from;
      do {
        const page = await store.listClientIds({ limit: 7, ...(from ? { from } : {}) });
        expect(page.items.length).toBeLessThanOrEqual(7);
        seen.push(...page.items);
        from = page.next;
        const gone = ids[seen.length + 20];
        if (gone && seen.length % 3 === 0) await store.removeClient(gone, records.get(gone)!.connectionId);
      } while (from);
      expect(new Set(seen).size).toBe(seen.length);
      const order = seen.map((id) => ids.indexOf(id));
      expect(order).toEqual([...order].sort((a, b) => a - b));
    });
  });
});

describeNodeLiveness<ShardedRedisPairingStore>('ShardedRedisPairingStore', () => {
  const redis = useShardedStores();
  return {
    ...redis,
    store: (keyPrefix, client) => redis.store(keyPrefix, client),
    aliveKey: (store, nodeId) => `{${store.keyPrefix}:meta}:alive:${nodeId}`,
    nodesKey: (store) => `{${store.keyPrefix}:meta}:nodes`,
    nodeMembers: async (store, nodeId) => {
      const all = await Promise.all(store.table.tags.map((_t, i) => redis.client().smembers(`${store.table.base(i)}:node:${nodeId}`)));
      return all.flat();
    },
  };
});
