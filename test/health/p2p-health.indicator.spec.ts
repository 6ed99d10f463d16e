import 'reflect-metadata';
import { afterEach, describe, expect, it } from '@jest/globals';
import { Controller, Get, Inject, type Type } from '@nestjs/common';
import { HealthCheck, HealthCheckService, TerminusModule } from '@nestjs/terminus';
import { Redis } from 'ioredis';
import { NodeDrainService, P2pDrainState, P2pModule, type P2pModuleOptions } from '../../packages/server/src/index.js';
import { P2pHealthIndicator } from '../../packages/server/src/health/index.js';
import { RedisServerProcess } from '../cluster/support/redis-server.process.js';
import { eventually } from '../support/eventually.js';
import { type RunningApp, startApp } from '../support/nest-app.js';
import { uniqueKeyPrefix } from '../support/redis.js';

/** Short, so a hanging store is reported well within the test's bounds. */
const TIMEOUT_MS = 300;

@Controller()
class HealthController {
  constructor(
    @Inject(HealthCheckService) private readonly health: HealthCheckService,
    @Inject(P2pHealthIndicator) private readonly p2p: P2pHealthIndicator,
  ) {}

  @Get('health')
  @HealthCheck()
  live() {
    return this.health.check([() => this.p2p.isHealthy('p2p', { timeoutMs: TIMEOUT_MS })]);
  }

  @Get('ready')
  @HealthCheck()
  ready() {
    return this.health.check([() => this.p2p.isReady('p2p', { timeoutMs: TIMEOUT_MS })]);
  }
}

function healthApp(options: P2pModuleOptions): Type {
  class HealthTestModule {}
  Reflect.decorate(
    [
      // Module metadata as `@Module({...})` would set it, with the gateway's options of this test.
      (target: object) => {
        Reflect.defineMetadata('imports', [P2pModule.forRoot(options), TerminusModule.forRoot({ logger: false })], target);
        Reflect.defineMetadata('controllers', [HealthController], target);
        Reflect.defineMetadata('providers', [P2pHealthIndicator], target);
      },
    ],
    HealthTestModule,
  );
  return HealthTestModule;
}

describe('P2pHealthIndicator (Terminus)', () => {
  let running: RunningApp | undefined;
  let redis: RedisServerProcess | undefined;
  let admin: Redis | undefined;

  afterEach(async () => {
    admin?.disconnect();
    await running?.close();
    await redis?.dispose();
    running = redis = admin = undefined;
  });

  const probe = async (path: '/health' | '/ready') => {
    const response = await fetch(`${running!.url}${path}`);
    return { status: response.status, body: (await response.json()) as any };
  };

  /** `persistent`: a restart brings the keys back (this node's liveness included). */
  async function startOnOwnRedis(persistent = false): Promise<string> {
    redis = await new RedisServerProcess(persistent).start();
    admin = new Redis(redis.url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    admin.on('error', () => undefined);
    await admin.connect();
    const keyPrefix = uniqueKeyPrefix('health');
    // A long TTL: the heartbeat (every third of it) does not list the node again while a test looks.
    running = await startApp([healthApp({ nodeId: 'node-h', redis: { url: redis.url, keyPrefix, nodeTtlMs: 60_000 } })]);
    return keyPrefix;
  }

  it('in memory: healthy and ready; while draining, healthy but not ready', async () => {
    running = await startApp([healthApp({ nodeId: 'node-m' })]);
    expect(await probe('/health')).toEqual({ status: 200, body: expect.objectContaining({ status: 'ok' }) });
    const ready = await probe('/ready');
    expect(ready.status).toBe(200);
    expect(ready.body.info.p2p).toEqual({ status: 'up', store: 'up', nodeId: 'node-m', draining: false });

    running.app.get(P2pDrainState).startDraining();
    const draining = await probe('/ready');
    expect(draining.status).toBe(503);
    expect(draining.body.error.p2p).toMatchObject({ status: 'down', draining: true, message: 'the node is draining' });
    expect((await probe('/health')).status).toBe(200);
  });

  it('is not ready once the gateway drain began (NodeDrainService)', async () => {
    running = await startApp([healthApp({ nodeId: 'node-d' })]);
    expect((await probe('/ready')).status).toBe(200);
    running.app.get(NodeDrainService).begin();
    const draining = await probe('/ready');
    expect(draining.status).toBe(503);
    expect(draining.body.error.p2p).toMatchObject({ draining: true, message: 'the node is draining' });
    expect((await probe('/health')).status).toBe(200);
  });

  it('drains at the start of the app shutdown', async () => {
    running = await startApp([healthApp({})]);
    const drain = running.app.get(P2pDrainState);
    expect(drain.isDraining).toBe(false);
    await running.close();
    running = undefined;
    expect(drain.isDraining).toBe(true);
  });

  it('Redis up: the store answers and the node is registered alive', async () => {
    await startOnOwnRedis();
    const health = await probe('/health');
    expect(health.status).toBe(200);
    expect(health.body.info.p2p).toMatchObject({ status: 'up', store: 'up', node: 'up', nodeId: 'node-h' });
    expect((await probe('/ready')).status).toBe(200);
  });

  it('a node the cluster no longer lists alive is down', async () => {
    const keyPrefix = await startOnOwnRedis();
    await admin!.del(`{${keyPrefix}}:alive:node-h`);
    const health = await probe('/health');
    expect(health.status).toBe(503);
    expect(health.body.error.p2p).toMatchObject({
      store: 'up',
      node: 'down',
      message: 'node node-h is not registered alive in the cluster',
    });
  });

  it('Redis down: the store does not answer', async () => {
    await startOnOwnRedis(true);
    await redis!.kill();
    const health = await probe('/health');
    expect(health.status).toBe(503);
    expect(health.body.error.p2p).toMatchObject({ status: 'down', store: 'down', node: 'down' });
    expect(health.body.error.p2p.message).toMatch(/^the store failed/);
    expect((await probe('/ready')).status).toBe(503);
    // Back with its data, so the node is still listed alive: healthy again once the connection is.
    await redis!.start();
    await eventually(async () => expect((await probe('/health')).status).toBe(200), 15_000, 200);
  }, 40_000);

  it('Redis hanging: a bounded wait, then down; up again once Redis answers', async () => {
    await startOnOwnRedis();
    // Every client of this server (the gateway's store connection included) waits until the pause ends.
    await admin!.call('CLIENT', 'PAUSE', '3000', 'ALL');
    const started = performance.now();
    const health = await probe('/health');
    const waited = performance.now() - started;
    expect(health.status).toBe(503);
    expect(health.body.error.p2p).toMatchObject({ store: 'down', message: `the store did not answer within ${TIMEOUT_MS} ms` });
    // Bounded by the timeout, not by the pause (3 s): generous, for a loaded machine.
    expect(waited).toBeLessThan(2_500);
    await eventually(async () => expect((await probe('/health')).status).toBe(200), 15_000, 200);
  }, 40_000);
});
