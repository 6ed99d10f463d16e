import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { Cluster, Redis } from 'ioredis';
import { ShardedRedisPairingStore } from '../../../packages/server/src/stores/redis-sharded/sharded-pairing.store.js';
import { describePairingStoreContract } from '../../stores/pairing-store.contract.js';
import { clientRecord, pairingRequest, uniqueIds } from '../../stores/pairing-store.fixtures.js';
import {
  crossingRequests,
  expectLinksWhole,
  raceForOneTarget,
  randomConcurrentOperations,
} from '../../stores/support/two-client.invariants.js';
import { eventually } from '../../support/eventually.js';
import { uniqueKeyPrefix } from '../../support/redis.js';
import { RedisClusterProcess } from '../support/redis-cluster.process.js';

/** The sharded store on a real Redis Cluster: six processes, three primaries, two ioredis Cluster clients as two nodes. */
describe('ShardedRedisPairingStore on a Redis Cluster', () => {
  let cluster: RedisClusterProcess;
  const clients: Cluster[] = [];

  beforeAll(async () => {
    cluster = await RedisClusterProcess.start();
  }, 120_000);
  afterAll(async () => {
    await Promise.all(clients.map((client) => client.quit().catch(() => client.disconnect())));
    await cluster?.stop();
  });

  async function connection(): Promise<Cluster> {
    const startup = cluster.nodes.map((address) => ({ host: address.split(':')[0]!, port: Number(address.split(':')[1]) }));
    const client = new Cluster(startup, { redisOptions: { maxRetriesPerRequest: 2 } });
    client.on('error', () => undefined);
    clients.push(client);
    await client.ping();
    return client;
  }

  /** The store's keys on each primary (`host:port` → keys), read with SCAN on each. */
  async function keysPerPrimary(keyPrefix: string): Promise<Map<string, string[]>> {
    const result = new Map<string, string[]>();
    for (const address of await cluster.primaries()) {
      const node = new Redis(Number(address.split(':')[1]), address.split(':')[0]!, { lazyConnect: true });
      try {
        const keys: string[] = [];
        let cursor = '0';
        do {
          const [next, batch] = await node.scan(cursor, 'MATCH', `{${keyPrefix}:*`, 'COUNT', 1000);
          keys.push(...batch);
          cursor = next;
        } while (cursor !== '0');
        result.set(address, keys);
      } finally {
        node.disconnect();
      }
    }
    return result;
  }

  async function cleanup(store: ShardedRedisPairingStore, client: Cluster): Promise<void> {
    for (const keys of (await keysPerPrimary(store.keyPrefix)).values()) for (const key of keys) await client.del(key);
  }

  describePairingStoreContract(
    'ShardedRedisPairingStore on a Redis Cluster',
    async () => new ShardedRedisPairingStore(clients[0] ?? (await connection()), { keyPrefix: uniqueKeyPrefix('cluster') }),
    async (store) => cleanup(store as ShardedRedisPairingStore, clients[0]!),
  );

  it('with 150 pairs connected, each of the three primaries holds at least 15% of the store keys', async () => {
    const store = new ShardedRedisPairingStore(await connection(), { keyPrefix: uniqueKeyPrefix('spread') });
    const ids = uniqueIds(...Array.from({ length: 300 }, (_, i) => `c${i}`));
    for (const id of ids) await store.registerClient(clientRecord(id, { nodeId: `node-${id.length % 2}` }), 'refuse');
    for (let i = 0; i < 300; i += 2) {
      const request = pairingRequest(ids[i]!, ids[i + 1]!);
      await expect(store.reservePairing(request)).resolves.toMatchObject({ ok: true });
      await expect(store.confirmPairing(request)).resolves.toMatchObject({ ok: true });
    }
    await expect(store.counts()).resolves.toEqual({ clients: 300, pairings: 150, pendingRequests: 0 });
    const perPrimary = await keysPerPrimary(store.keyPrefix);
    const total = [...perPrimary.values()].reduce((sum, keys) => sum + keys.length, 0);
    expect(perPrimary.size).toBe(3);
    const shares = [...perPrimary.values()].map((keys) => keys.length / total);
    for (const share of shares) expect(share).toBeGreaterThanOrEqual(0.15);
    // Every client record is where its partition's tag says.
    const records = [...perPrimary.values()].flat().filter((key) => key.includes(':c:'));
    expect(records).toHaveLength(300);
    await cleanup(store, clients[clients.length - 1]!);
  }, 120_000);

  describe('two-client invariants over two nodes', () => {
    let one: ShardedRedisPairingStore;
    let two: ShardedRedisPairingStore;
    let nodes: [Cluster, Cluster];
    beforeAll(async () => {
      nodes = [await connection(), await connection()];
    });
    // A store of its own for each test: the invariants compare the store's counts with the test's clients.
    beforeEach(() => {
      const keyPrefix = uniqueKeyPrefix('cluster-inv');
      one = new ShardedRedisPairingStore(nodes[0], { keyPrefix });
      two = new ShardedRedisPairingStore(nodes[1], { keyPrefix });
    });
    afterEach(async () => {
      await cleanup(one, nodes[0]);
    });

    it('100 concurrent requests for one target: exactly one succeeds', async () => {
      await raceForOneTarget([one, two]);
    }, 60_000);

    it('crossing requests pair, 20 couples at once', async () => {
      await crossingRequests([one, two], 20);
    }, 60_000);

    it('random concurrent operations leave every link whole (property)', async () => {
      await randomConcurrentOperations([one, two], 15);
    }, 120_000);

    it('a dead node swept on one node frees peers held on the other, once', async () => {
      const [dead, live] = uniqueIds('dead', 'live');
      const ids = uniqueIds(...Array.from({ length: 20 }, (_, i) => `n${i}`));
      await one.heartbeat(live!, 60_000);
      await one.heartbeat(dead!, 50);
      for (let i = 0; i < 20; i++) await one.registerClient(clientRecord(ids[i]!, { nodeId: i % 2 ? dead! : live! }), 'refuse');
      for (let i = 0; i < 20; i += 2) {
        const request = pairingRequest(ids[i]!, ids[i + 1]!);
        await one.reservePairing(request);
        await one.confirmPairing(request);
      }
      await eventually(async () => expect(await one.isNodeAlive(dead!)).toBe(false));
      const sweeps = (await Promise.all([one.sweepDeadNodes(), two.sweepDeadNodes()])).flat();
      expect(sweeps.map((r) => r.record.clientId).sort()).toEqual(ids.filter((_id, i) => i % 2).sort());
      await expectLinksWhole(two, ids);
      await expect(two.listClients({ available: true })).resolves.toHaveLength(10);
    }, 60_000);
  });
});
