import 'reflect-metadata';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { INestApplication, LoggerService } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { Cluster } from 'ioredis';
import { io } from 'socket.io-client';
import { P2pModule } from '../../../packages/server/src/index.js';
import { resolveP2pOptions } from '../../../packages/server/src/options/p2p-options.resolve.js';
import { keysOf, uniqueKeyPrefix } from '../../support/redis.js';
import { whenConnected } from '../../support/wire.js';
import { RedisClusterProcess } from '../support/redis-cluster.process.js';

/** The messages logged under the P2pModule context. */
class ModuleLines implements LoggerService {
  readonly lines: string[] = [];
  log(message: unknown, context?: string) {
    if (context === 'P2pModule') this.lines.push(String(message));
  }
  error() {}
  warn(message: unknown, context?: string) {
    this.log(message, context);
  }
}

describe('the redis.cluster option', () => {
  it.each([
    [{ url: 'redis://127.0.0.1:6379', cluster: ['127.0.0.1:7000'] }, /one of url, client and cluster, got url and cluster/],
    [{ cluster: [] }, /non-empty array of 'host:port'/],
    [{ cluster: ['127.0.0.1'] }, /'host:port'.*"127\.0\.0\.1"/],
    [{ cluster: ['127.0.0.1:70000'] }, /"127\.0\.0\.1:70000"/],
    [{ cluster: ['127.0.0.1:7000'], sharded: false }, /sharded cannot be false with redis\.cluster/],
    [{ url: 'redis://127.0.0.1:6379', clusterOptions: {} }, /clusterOptions only goes with redis\.cluster/],
    [{ cluster: ['127.0.0.1:7000'], store: 'spread' as 'sharded' }, /redis\.store is 'sharded' or 'single-slot', got "spread"/],
  ])('refuses %j with a TypeError that says why', (redis, message) => {
    expect(() => resolveP2pOptions({ redis })).toThrow(TypeError);
    expect(() => resolveP2pOptions({ redis })).toThrow(message);
  });

  it('takes host:port and [IPv6]:port nodes, and always uses sharded pub/sub there', () => {
    const resolved = resolveP2pOptions({ redis: { cluster: ['10.0.0.1:7000', '[::1]:7001'] } }).cluster;
    expect(resolved).toMatchObject({
      clusterNodes: [
        { host: '10.0.0.1', port: 7000 },
        { host: '::1', port: 7001 },
      ],
      redisTarget: 'Cluster 10.0.0.1:7000, [::1]:7001',
      sharded: true,
      store: 'sharded',
    });
    expect(resolveP2pOptions({ redis: { url: 'redis://127.0.0.1:6379' } }).cluster?.store).toBe('single-slot');
    expect(resolveP2pOptions({ redis: { cluster: ['10.0.0.1:7000'], store: 'single-slot' } }).cluster?.store).toBe('single-slot');
    expect(resolveP2pOptions({ redis: { url: 'redis://127.0.0.1:6379', store: 'sharded' } }).cluster?.store).toBe('sharded');
  });

  describe('a node on a real Redis Cluster', () => {
    let redisCluster: RedisClusterProcess;
    let inspector: Cluster;
    let app: INestApplication;
    let shardedApp: INestApplication;
    const keyPrefix = uniqueKeyPrefix('cluster-option');
    const shardedPrefix = uniqueKeyPrefix('cluster-sharded');
    const logger = new ModuleLines();
    beforeAll(async () => {
      redisCluster = await RedisClusterProcess.start();
      inspector = new Cluster(redisCluster.nodes, { redisOptions: { disconnectTimeout: 50 } });
      inspector.on('error', () => undefined);
      const moduleRef = await Test.createTestingModule({
        imports: [P2pModule.forRoot({ nodeId: 'rc-node', redis: { cluster: redisCluster.nodes, keyPrefix, store: 'single-slot' } })],
      })
        .setLogger(logger)
        .compile();
      app = moduleRef.createNestApplication({ logger });
      await app.listen(0, '127.0.0.1');
      const shardedRef = await Test.createTestingModule({
        imports: [P2pModule.forRoot({ nodeId: 'rc-sharded', redis: { cluster: redisCluster.nodes, keyPrefix: shardedPrefix } })],
      }).compile();
      shardedApp = shardedRef.createNestApplication({ logger: false });
      await shardedApp.listen(0, '127.0.0.1');
    }, 120_000);
    afterAll(async () => {
      await shardedApp?.close();
      await app?.close();
      inspector?.disconnect();
      await redisCluster?.stop();
    });

    it("logs the cluster nodes and the sharded adapter, and with store 'single-slot' keeps the store in one slot", async () => {
      expect(logger.lines).toEqual([
        expect.stringContaining(
          `cluster node rc-node, Redis Cluster ${redisCluster.nodes.join(', ')} (key prefix '${keyPrefix}', sharded adapter)`,
        ),
      ]);
      const { port } = app.getHttpServer().address() as { port: number };
      const socket = await whenConnected(
        io(`http://127.0.0.1:${port}`, { query: { clientId: 'A' }, transports: ['websocket'], forceNew: true }),
      );
      try {
        const keys = await keysOf(inspector, keyPrefix);
        expect(keys).toContain(`{${keyPrefix}}:c:A`);
        // Every key of this store shares one hash tag: one slot, on one primary.
        const owner = await redisCluster.primaryOfKey(`{${keyPrefix}}`);
        const slots = new Set(await Promise.all(keys.map((key) => redisCluster.slotOf(key))));
        expect(slots.size).toBe(1);
        expect(await redisCluster.primaryOfSlot([...slots][0]!)).toBe(owner);
      } finally {
        socket.disconnect();
      }
    });

    it('spreads the store by client by default: the clients of one gateway sit on every primary', async () => {
      const { port } = shardedApp.getHttpServer().address() as { port: number };
      const ids = Array.from({ length: 30 }, (_, i) => `client-${i}`);
      const sockets = await Promise.all(
        ids.map((clientId) =>
          whenConnected(io(`http://127.0.0.1:${port}`, { query: { clientId }, transports: ['websocket'], forceNew: true })),
        ),
      );
      try {
        const records = (await keysOf(inspector, shardedPrefix, true)).filter((key) => key.includes(':c:'));
        expect(records.map((key) => key.slice(key.indexOf(':c:') + 3)).sort()).toEqual([...ids].sort());
        const owners = new Set(await Promise.all(records.map((key) => redisCluster.primaryOfKey(key))));
        expect(owners.size).toBe(3);
      } finally {
        for (const socket of sockets) socket.disconnect();
      }
    });
  });
});
