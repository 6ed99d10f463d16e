import { afterEach, describe, expect, it } from '@jest/globals';
import { Redis } from 'ioredis';
import { RedisPairingStore, RedisStoreUnavailableError } from '../../packages/server/src/redis.js';
import type { PairingStore } from '../../packages/server/src/stores/pairing-store.interface.js';
import { eventually } from '../support/eventually.js';
import { closedPort, keysOf, REDIS_URL, uniqueKeyPrefix } from '../support/redis.js';
import { useRedisStores } from '../support/redis-store-suite.js';
import { describePairingStoreContract } from './pairing-store.contract.js';
import { clientRecord, pairingRequest, uniqueIds } from './pairing-store.fixtures.js';

describe('RedisPairingStore', () => {
  const redis = useRedisStores();

  describePairingStoreContract(
    'RedisPairingStore',
    async () => redis.store(),
    async (store) => redis.cleanup(store as RedisPairingStore),
  );

  describe('storage', () => {
    let store: RedisPairingStore;
    afterEach(async () => {
      await redis.cleanup(store);
    });

    it('round-trips every number exactly, including ones cjson would round', async () => {
      store = redis.store();
      const [a, b] = uniqueIds('a', 'b');
      const record = clientRecord(a!, { sessionTokenHash: 'h', connectedAt: 1_712_345_678_901.123, protocolVersion: 1 });
      await store.registerClient(record, 'refuse');
      await store.registerClient(clientRecord(b!), 'refuse');
      const request = pairingRequest(a!, b!);
      await store.reservePairing(request);
      await store.confirmPairing(request);
      const until = 1_712_345_678_999.75;
      const outcome = await store.detachClient(a!, record.connectionId, until);
      expect(outcome?.detached).toMatchObject({ connectedAt: record.connectedAt, protocolVersion: 1, detachedUntil: until });
      const stored = (await store.getClient(a!))!;
      expect(stored).toMatchObject({ connectedAt: record.connectedAt, detachedUntil: until });
      expect(stored.state.kind === 'paired' && Number.isInteger(stored.state.since)).toBe(true);
    });

    it('keeps every key under the store hash tag and leaves no client key behind', async () => {
      store = redis.store();
      const ids = uniqueIds('a', 'b', 'c', 'd');
      const records = ids.map((id) => clientRecord(id, { nodeId: 'node-x' }));
      for (const record of records) await store.registerClient(record, 'refuse');
      const request = pairingRequest(ids[0]!, ids[1]!);
      await store.reservePairing(request);
      await store.confirmPairing(request);
      await store.reservePairing(pairingRequest(ids[2]!, ids[3]!));
      const keys = await keysOf(redis.client(), store.keyPrefix);
      expect(keys.every((key) => key.startsWith(`{${store.keyPrefix}}:`))).toBe(true);
      expect(keys).toEqual(expect.arrayContaining(ids.map((id) => `{${store.keyPrefix}}:c:${id}`)));
      for (const record of records) await store.removeClient(record.clientId, record.connectionId);
      // The connection-order sequence is all that outlives the clients.
      await expect(keysOf(redis.client(), store.keyPrefix)).resolves.toEqual([`{${store.keyPrefix}}:seq`]);
    });

    it("works on a client with ioredis' own keyPrefix: scripts and plain reads agree", async () => {
      const clientPrefix = `${uniqueKeyPrefix('kp')}:`;
      const wrapped = await redis.connection({ keyPrefix: clientPrefix });
      store = redis.store(undefined, wrapped);
      const [a] = uniqueIds('a');
      const record = clientRecord(a!);
      await store.registerClient(record, 'refuse');
      await expect(store.getClient(a!)).resolves.toMatchObject({ connectionId: record.connectionId });
      await expect(store.listClients()).resolves.toHaveLength(1);
      await expect(redis.client().exists(`${clientPrefix}{${store.keyPrefix}}:c:${a}`)).resolves.toBe(1);
      await store.removeClient(a!, record.connectionId);
      await redis.client().del(`${clientPrefix}{${store.keyPrefix}}:seq`);
    });

    it('shares state between connections under one prefix, and isolates prefixes', async () => {
      store = redis.store();
      const otherNode = redis.store(store.keyPrefix, await redis.connection());
      const elsewhere = redis.store();
      try {
        const [target, ...sources] = uniqueIds('target', ...Array.from({ length: 30 }, (_, i) => `s${i}`));
        await store.registerClient(clientRecord(target!), 'refuse');
        await Promise.all(sources.map((id, i) => (i % 2 ? store : otherNode).registerClient(clientRecord(id), 'refuse')));
        const outcomes = await Promise.all(sources.map((id, i) => (i % 2 ? otherNode : store).reservePairing(pairingRequest(id, target!))));
        expect(outcomes.filter((o) => o.ok)).toHaveLength(1);
        await expect(otherNode.counts()).resolves.toEqual({ clients: 31, pairings: 0, pendingRequests: 1 });
        await expect(elsewhere.counts()).resolves.toEqual({ clients: 0, pairings: 0, pendingRequests: 0 });
        await expect(elsewhere.getClient(target!)).resolves.toBeUndefined();
      } finally {
        await redis.cleanup(elsewhere);
      }
    });

    it('refuses a keyPrefix that would break the hash tag', () => {
      store = redis.store();
      expect(() => new RedisPairingStore(redis.client(), { keyPrefix: 'a}b' })).toThrow(/keyPrefix/);
      expect(() => new RedisPairingStore(redis.client(), { keyPrefix: '' })).toThrow(/keyPrefix/);
    });
  });

  describe('replayed commands', () => {
    let store: RedisPairingStore;
    afterEach(async () => {
      await redis.cleanup(store);
    });

    it('answers a repeated registration of the same connection as admitted, changing nothing', async () => {
      store = redis.store();
      const [a] = uniqueIds('a');
      const record = clientRecord(a!);
      await store.registerClient(record, 'refuse');
      await expect(store.registerClient(record, 'refuse')).resolves.toEqual({ ok: true });
      await expect(store.counts()).resolves.toMatchObject({ clients: 1 });
      await expect(store.getClient(a!)).resolves.toMatchObject({ connectionId: record.connectionId });
    });

    it('answers a repeated reservation of the same request as opened', async () => {
      store = redis.store();
      const [a, b] = uniqueIds('a', 'b');
      await store.registerClient(clientRecord(a!), 'refuse');
      await store.registerClient(clientRecord(b!), 'refuse');
      const request = pairingRequest(a!, b!);
      await expect(store.reservePairing(request)).resolves.toMatchObject({ ok: true });
      await expect(store.reservePairing(request)).resolves.toMatchObject({ ok: true, target: { state: { kind: 'asked' } } });
      await expect(store.reservePairing(pairingRequest(a!, b!))).resolves.toEqual({ ok: false, code: 'SOURCE_BUSY' });
      await expect(store.counts()).resolves.toEqual({ clients: 2, pairings: 0, pendingRequests: 1 });
    });
  });

  describe('scripts', () => {
    it('survive SCRIPT FLUSH: ioredis loads them again', async () => {
      const store = redis.store();
      try {
        const [a, b] = uniqueIds('a', 'b');
        await store.registerClient(clientRecord(a!), 'refuse');
        await redis.client().script('FLUSH');
        await store.registerClient(clientRecord(b!), 'refuse');
        await redis.client().script('FLUSH');
        await expect(store.reservePairing(pairingRequest(a!, b!))).resolves.toMatchObject({ ok: true });
        await redis.client().script('FLUSH');
        await expect(store.counts()).resolves.toEqual({ clients: 2, pairings: 0, pendingRequests: 1 });
      } finally {
        await redis.cleanup(store);
      }
    });
  });

  describe('Redis unavailable', () => {
    const calls = (store: PairingStore): Array<[string, () => Promise<unknown>]> => [
      ['registerClient', () => store.registerClient(clientRecord('x'), 'refuse')],
      ['detachClient', () => store.detachClient('x', 'c', 1)],
      ['removeClient', () => store.removeClient('x', 'c')],
      ['getClient', () => store.getClient('x')],
      ['listClients', () => store.listClients()],
      ['reservePairing', () => store.reservePairing(pairingRequest('x', 'y'))],
      ['confirmPairing', () => store.confirmPairing(pairingRequest('x', 'y'))],
      ['cancelPairing', () => store.cancelPairing(pairingRequest('x', 'y'))],
      ['unpair', () => store.unpair('x')],
      ['listPairings', () => store.listPairings()],
      ['counts', () => store.counts()],
    ];

    async function expectEveryCallRejects(store: RedisPairingStore): Promise<void> {
      for (const [name, call] of calls(store)) {
        await expect(call().then(() => `${name} resolved`)).rejects.toBeInstanceOf(RedisStoreUnavailableError);
      }
      await expect(store.heartbeat('n', 1000)).rejects.toMatchObject({ code: 'STORE_UNAVAILABLE' });
      await expect(store.sweepDeadNodes()).rejects.toMatchObject({ code: 'STORE_UNAVAILABLE' });
      await expect(store.forgetNode('n')).rejects.toMatchObject({ code: 'STORE_UNAVAILABLE' });
    }

    it('rejects every call on a client that was disconnected', async () => {
      const client = await redis.connection();
      client.disconnect();
      await expectEveryCallRejects(new RedisPairingStore(client, { keyPrefix: uniqueKeyPrefix() }));
    });

    it('rejects every call at once while the client reconnects, even with its offline queue on', async () => {
      const client = new Redis(await closedPort(), '127.0.0.1', {
        retryStrategy: () => 50,
        maxRetriesPerRequest: null,
        disconnectTimeout: 50,
      });
      client.on('error', () => undefined);
      try {
        await eventually(() => expect(client.status).toBe('reconnecting'));
        await expectEveryCallRejects(new RedisPairingStore(client, { keyPrefix: uniqueKeyPrefix() }));
      } finally {
        client.disconnect();
      }
    });

    it('rejects on a client without offline queue that never connected', async () => {
      const client = new Redis(await closedPort(), '127.0.0.1', {
        lazyConnect: true,
        enableOfflineQueue: false,
        maxRetriesPerRequest: 0,
        disconnectTimeout: 50,
      });
      client.on('error', () => undefined);
      try {
        await expectEveryCallRejects(new RedisPairingStore(client, { keyPrefix: uniqueKeyPrefix() }));
      } finally {
        client.disconnect();
      }
    });
  });

  describe('client ownership', () => {
    it('never closes a client it was given; closes one it created', async () => {
      const given = await redis.connection();
      const store = redis.store(undefined, given);
      await store.close();
      expect(given.status).toBe('ready');
      await expect(store.counts()).resolves.toMatchObject({ clients: 0 });

      const own = RedisPairingStore.connect(REDIS_URL, { keyPrefix: uniqueKeyPrefix() });
      await expect(own.counts()).resolves.toMatchObject({ clients: 0 });
      await own.close();
      await expect(own.counts()).rejects.toBeInstanceOf(RedisStoreUnavailableError);
      await redis.cleanup(store);
    });
  });
});
