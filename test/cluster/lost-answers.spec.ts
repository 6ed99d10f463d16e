import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { Cluster, Redis } from 'ioredis';
import type { P2pError } from 'nest-p2p-gateway-protocol';
import { RedisPairingStore } from '../../packages/server/src/redis.js';
import { resolveP2pOptions } from '../../packages/server/src/options/p2p-options.resolve.js';
import { PairingEngine } from '../../packages/server/src/pairing/pairing.engine.js';
import type { ClientTransport } from '../../packages/server/src/pairing/client-transport.interface.js';
import type { ClientRecord, PairingRequest } from '../../packages/server/src/stores/pairing-store.interface.js';
import { eventually } from '../support/eventually.js';
import { useRedisStores } from '../support/redis-store-suite.js';
import { RedisServerProcess } from './support/redis-server.process.js';
import { RedisClusterProcess } from './support/redis-cluster.process.js';

/**
 * Two gateway nodes reduced to their pairing engines, on one real Redis store: each engine's transport delivers what
 * the cluster link would (a request's answer to the source's node), except what a test drops, as a node channel whose
 * shard fails over loses a message.
 */
class TwoNodes {
  readonly engines: [PairingEngine, PairingEngine];
  /** The answers that went to each request's source: requestId -> error code, or 'paired'. */
  readonly answers = new Map<string, string>();
  dropAnswersBetweenNodes = false;

  constructor(store: RedisPairingStore, pairTimeoutMs: number) {
    const options = resolveP2pOptions({ pairTimeoutMs });
    this.engines = [new PairingEngine(store, options), new PairingEngine(store, options)];
    this.engines.forEach((engine, node) => engine.attachTransport(this.transport(node)));
  }

  private transport(node: number): ClientTransport {
    return {
      send: () => undefined,
      setPeer: () => undefined,
      disconnect: () => undefined,
      newRequestId: () => `n${node}~${randomUUID()}`,
      requestDone: (request: PairingRequest, error?: P2pError) => {
        if (this.dropAnswersBetweenNodes) return;
        const source = Number(request.requestId.slice(1, request.requestId.indexOf('~')));
        this.engines[source]!.answerLocalRequest(request, error);
      },
    };
  }

  async connect(node: number, clientId: string): Promise<void> {
    const record: ClientRecord = {
      clientId,
      connectionId: `n${node}~${clientId}`,
      nodeId: `node-${node}`,
      protocolVersion: 1,
      connectedAt: Date.now(),
      state: { kind: 'free' },
    };
    await expect(this.engines[node]!.connect(record)).resolves.toMatchObject({ ok: true });
  }

  /** Opens a request from `sourceId` (on node `node`); its answer lands in `answers` under the source's id. */
  async request(node: number, sourceId: string, targetId: string): Promise<void> {
    await this.engines[node]!.requestPairing(sourceId, targetId, (error) => {
      this.answers.set(sourceId, error ? error.code : 'paired');
    });
  }

  close(): void {
    for (const engine of this.engines) engine.close();
  }
}

describe('pairing requests whose answer or reservation a Redis failover lost', () => {
  const stores = useRedisStores();

  it('a request consented on the target node, whose answer never reached the source node, is answered "paired" at its expiry', async () => {
    const store = stores.store();
    const nodes = new TwoNodes(store, 500);
    try {
      await nodes.connect(0, 'S');
      await nodes.connect(1, 'T');
      nodes.dropAnswersBetweenNodes = true;
      await nodes.request(0, 'S', 'T');
      await expect(nodes.engines[1].answerRequest('T', true)).resolves.toBeUndefined();
      await expect(store.counts()).resolves.toMatchObject({ pairings: 1, pendingRequests: 0 });
      expect(nodes.answers.get('S')).toBeUndefined();
      // At pairTimeoutMs the store has nothing to cancel: the source's node reads the pairing there instead.
      await eventually(() => expect(nodes.answers.get('S')).toBe('paired'), 10_000);
      expect(nodes.engines[0].heldCounts().openRequests).toBe(0);
    } finally {
      nodes.close();
      await stores.cleanup(store);
    }
  });

  it('a request whose reservation vanished from the store (a write the failover lost) times out, and nothing stays open', async () => {
    const store = stores.store();
    const nodes = new TwoNodes(store, 500);
    try {
      await nodes.connect(0, 'S');
      await nodes.connect(1, 'T');
      await nodes.request(0, 'S', 'T');
      const asking = await store.getClient('S');
      expect(asking?.state.kind).toBe('asking');
      const requestId = (asking!.state as { requestId: string }).requestId;
      // The reservation is gone from under the node, with no message to say so.
      await expect(store.cancelPairing({ requestId, sourceId: 'S', targetId: 'T' })).resolves.toBe(true);
      await eventually(() => expect(nodes.answers.get('S')).toBe('PAIR_TIMEOUT'), 10_000);
      expect(nodes.engines[0].heldCounts().openRequests).toBe(0);
    } finally {
      nodes.close();
      await stores.cleanup(store);
    }
  });

  describe('a reservation Redis ran after the node stopped waiting for it', () => {
    const redis = new RedisServerProcess();
    let client: Redis;
    let admin: Redis;
    beforeAll(async () => {
      await redis.start();
      client = new Redis(redis.url, { maxRetriesPerRequest: 1 });
      admin = new Redis(redis.url);
    }, 30_000);
    afterAll(async () => {
      client?.disconnect();
      admin?.disconnect();
      await redis.dispose();
    });

    it('is withdrawn once it would have timed out: no request stays pending in the store', async () => {
      const store = new RedisPairingStore(client, { keyPrefix: 'unknown-reservation', commandTimeoutMs: 200 });
      const nodes = new TwoNodes(store, 5000);
      try {
        await nodes.connect(0, 'S');
        await nodes.connect(1, 'T');
        // Redis stops answering for a while (as a shard does in its failover), then runs what it was sent.
        await admin.call('CLIENT', 'PAUSE', '1500', 'ALL');
        await expect(nodes.request(0, 'S', 'T')).rejects.toMatchObject({ code: 'STORE_UNAVAILABLE' });
        // The reservation landed after all, with no open request on the node to ask the target or time it out.
        await eventually(async () => expect(await store.counts()).toMatchObject({ pendingRequests: 1 }), 4_000);
        expect(nodes.engines[0].heldCounts().openRequests).toBe(0);
        await eventually(async () => expect(await store.counts()).toMatchObject({ pendingRequests: 0 }), 15_000);
        await expect(store.getClient('T')).resolves.toMatchObject({ state: { kind: 'free' } });
      } finally {
        nodes.close();
      }
    }, 30_000);
  });

  describe('a reply of a Redis Cluster for a slot served elsewhere', () => {
    let redisCluster: RedisClusterProcess;
    let wrongNode: Redis;
    beforeAll(async () => {
      redisCluster = await RedisClusterProcess.start();
    }, 120_000);
    afterAll(async () => {
      wrongNode?.disconnect();
      await redisCluster?.stop();
    });

    it('is STORE_UNAVAILABLE (so timers retry it), not a script error that ends them', async () => {
      const keyPrefix = 'moved-slot';
      const owner = await redisCluster.primaryOfKey(`{${keyPrefix}}`);
      const other = redisCluster.nodes.find((node) => node !== owner && node !== undefined)!;
      // A plain connection to a node that does not serve the store's slot gets MOVED, as a client still pointing at a
      // failed-over primary does.
      wrongNode = new Redis({ host: '127.0.0.1', port: Number(other.split(':')[1]), maxRetriesPerRequest: 1 });
      const store = new RedisPairingStore(wrongNode, { keyPrefix });
      const failure = store.counts();
      await expect(failure).rejects.toMatchObject({ code: 'STORE_UNAVAILABLE', name: 'RedisStoreUnavailableError' });
      await expect(failure).rejects.toThrow(/MOVED|ASK/);
      // Through an ioredis Cluster, the same store answers.
      const cluster = new Cluster(redisCluster.nodes);
      try {
        await expect(new RedisPairingStore(cluster, { keyPrefix }).counts()).resolves.toEqual({
          clients: 0,
          pairings: 0,
          pendingRequests: 0,
        });
      } finally {
        cluster.disconnect();
      }
    });
  });
});
