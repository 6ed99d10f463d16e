import 'reflect-metadata';
import { afterEach, describe, expect, it } from '@jest/globals';
import { Controller, Get, Injectable, type INestApplication, type LoggerService, Module } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import {
  P2P_RESOLVED_OPTIONS,
  P2pModule,
  type P2pModuleOptions,
  type P2pOptionsFactory,
  PairingService,
  type ResolvedP2pOptions,
} from '../../packages/server/src/index.js';
import { redactRedisUrl } from '../../packages/server/src/options/redis.target.js';
import { eventually } from '../support/eventually.js';
import { REDIS_URL, closedPort, connectTestRedis, deleteKeysOf, uniqueKeyPrefix } from '../support/redis.js';

/** Every line the app logs, with its context, for assertions on what a user sees at start-up. */
class CapturingLogger implements LoggerService {
  readonly lines: Array<{ level: string; context: string; message: string }> = [];
  log(message: unknown, context?: string) {
    this.lines.push({ level: 'log', context: context ?? '', message: String(message) });
  }
  error(message: unknown, ...rest: unknown[]) {
    this.lines.push({ level: 'error', context: String(rest.at(-1) ?? ''), message: String(message) });
  }
  warn(message: unknown, context?: string) {
    this.lines.push({ level: 'warn', context: context ?? '', message: String(message) });
  }
  debug() {}
  verbose() {}
  of(context: string): string[] {
    return this.lines.filter((line) => line.context === context).map((line) => line.message);
  }
}

/** A feature module's service, as in the issue: it injects PairingService without importing P2pModule. */
@Injectable()
class StatsService {
  constructor(readonly pairing: PairingService) {}
}

@Module({ providers: [StatsService], exports: [StatsService] })
class StatsModule {}

/** The host app's own route, at the control center's default path. */
@Controller('p2p-admin')
class OwnAdminController {
  @Get()
  page(): string {
    return 'the app own admin page';
  }
}

describe('P2pModule as a Nest module', () => {
  const apps: INestApplication[] = [];

  async function start(
    imports: unknown[],
    controllers: unknown[] = [],
    logger = new CapturingLogger(),
  ): Promise<{ app: INestApplication; url: string; logger: CapturingLogger }> {
    const moduleRef = await Test.createTestingModule({ imports: imports as never[], controllers: controllers as never[] })
      .setLogger(logger)
      .compile();
    const app = moduleRef.createNestApplication({ logger });
    apps.push(app);
    await app.listen(0, '127.0.0.1');
    const { port } = app.getHttpServer().address() as { port: number };
    return { app, url: `http://127.0.0.1:${port}`, logger };
  }

  afterEach(async () => {
    for (const app of apps.splice(0)) await app.close();
  });

  describe('PairingService in feature modules', () => {
    it('isGlobal: true lets a feature module inject PairingService without importing P2pModule', async () => {
      const { app } = await start([P2pModule.forRoot({ isGlobal: true }), StatsModule]);
      expect(app.get(StatsService).pairing).toBe(app.get(PairingService));
      await expect(app.get(StatsService).pairing.counts()).resolves.toEqual({ clients: 0, pairings: 0, pendingRequests: 0 });
    });

    it('without isGlobal, a feature module sees it through a module that imports and re-exports P2pModule', async () => {
      @Module({ imports: [P2pModule.forRoot({ pairTimeoutMs: 1234 })], exports: [P2pModule] })
      class GatewayModule {}
      @Module({ imports: [GatewayModule], providers: [StatsService] })
      class FeatureModule {}
      const { app } = await start([GatewayModule, FeatureModule]);
      expect(app.get(StatsService).pairing).toBe(app.get(PairingService));
      expect(app.get<ResolvedP2pOptions>(P2P_RESOLVED_OPTIONS).pairTimeoutMs).toBe(1234);
    });

    it('without either, Nest refuses to start and names PairingService', async () => {
      await expect(start([P2pModule.forRoot(), StatsModule])).rejects.toThrow(/PairingService/);
    });
  });

  it('forRootAsync({ useClass }) calls createP2pOptions() of a P2pOptionsFactory', async () => {
    @Injectable()
    class GatewayConfig implements P2pOptionsFactory {
      createP2pOptions(): P2pModuleOptions {
        return { nodeId: 'from-factory', pairTimeoutMs: 4321 };
      }
    }
    const { app } = await start([P2pModule.forRootAsync({ useClass: GatewayConfig, isGlobal: true }), StatsModule]);
    const resolved = app.get<ResolvedP2pOptions>(P2P_RESOLVED_OPTIONS);
    expect([resolved.nodeId, resolved.pairTimeoutMs]).toEqual(['from-factory', 4321]);
    expect(app.get(StatsService).pairing).toBe(app.get(PairingService));
  });

  it('treats an option set to undefined as left out (exactOptionalPropertyTypes users)', async () => {
    const { app } = await start([
      P2pModule.forRoot({ pairTimeoutMs: undefined, limits: { maxClients: undefined }, controlCenter: undefined }),
    ]);
    const resolved = app.get<ResolvedP2pOptions>(P2P_RESOLVED_OPTIONS);
    expect([resolved.pairTimeoutMs, resolved.limits.maxClients, resolved.controlCenter]).toEqual([10_000, 100_000, undefined]);
  });

  describe('start-up', () => {
    it('off, the control center maps no route: one start-up line, and the app keeps its own /p2p-admin', async () => {
      const { url, logger } = await start([P2pModule.forRoot({ nodeId: 'solo' })], [OwnAdminController]);
      expect(await (await fetch(`${url}/p2p-admin`)).text()).toBe('the app own admin page');
      expect(logger.lines.filter((line) => /ControlCenter|\/p2p-admin\//.test(line.message))).toEqual([]);
      expect(logger.of('P2pModule')).toEqual(["P2P gateway on namespace '/' on the app's HTTP server: in memory (one process), node solo"]);
    });

    it('on, its routes are mapped and the start-up line names its path', async () => {
      const { url, logger } = await start([P2pModule.forRoot({ nodeId: 'cc', controlCenter: { token: 'a-token-of-16-chars-or-more' } })]);
      expect((await fetch(`${url}/p2p-admin/counts`)).status).toBe(401);
      expect(logger.of('P2pModule')).toEqual([
        "P2P gateway on namespace '/' on the app's HTTP server: in memory (one process), node cc; control center at /p2p-admin",
      ]);
    });

    it('refuses to start when a forRootAsync factory turns the control center on without `controlCenter: true`', async () => {
      const imports = [P2pModule.forRootAsync({ useFactory: () => ({ controlCenter: { token: 'a-token-of-16-chars-or-more' } }) })];
      await expect(start(imports)).rejects.toThrow(/pass `controlCenter: true` to forRootAsync/);
    });

    it('as a cluster node, logs its id and the Redis URL with the password hidden', async () => {
      const keyPrefix = uniqueKeyPrefix('adoption');
      const withPassword = new URL(REDIS_URL);
      // A Redis without a password answers AUTH with an error ioredis only warns about: the node still starts.
      withPassword.password = 'hunter2-secret';
      // The classic adapter named explicitly: the default is sharded pub/sub wherever Redis is 7 or newer.
      const { logger } = await start([
        P2pModule.forRoot({ nodeId: 'node-7', redis: { url: withPassword.toString(), keyPrefix, sharded: false } }),
      ]);
      const [line, ...more] = logger.of('P2pModule');
      expect(more).toEqual([]);
      expect(line).toContain(
        `cluster node node-7, Redis ${redactRedisUrl(withPassword.toString())} (key prefix '${keyPrefix}', classic adapter)`,
      );
      expect(line).toContain(':***@');
      expect(logger.lines.map((l) => l.message).join('\n')).not.toContain('hunter2-secret');
      await apps.pop()?.close();
      const redis = await connectTestRedis();
      await deleteKeysOf(redis, keyPrefix);
      redis.disconnect();
    });

    it('fails when Redis is unreachable, naming the URL with the password hidden', async () => {
      const url = `redis://:hunter2-secret@127.0.0.1:${await closedPort()}`;
      const logger = new CapturingLogger();
      let settled = false;
      const attempt = start([P2pModule.forRoot({ redis: { url } })], [], logger);
      void attempt.catch(() => undefined).finally(() => (settled = true));
      // At the first failed attempt, not with the failure 10 s later: what start-up waits for, and until when.
      const warning = await eventually(() => {
        const [line] = logger.of('P2pModule').filter((message) => message.includes('not reachable yet'));
        expect(line).toBeDefined();
        return line!;
      }, 9_000);
      expect(settled).toBe(false);
      expect(warning).toMatch(
        /^Redis at redis:\/\/:\*\*\*@127\.0\.0\.1:\d+ is not reachable yet \(.*ECONNREFUSED.*\): start-up waits for it to be ready, retrying, until \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z \(10 s\), then fails$/,
      );
      expect(warning).not.toContain('hunter2');
      await expect(attempt).rejects.toThrow(
        /^P2pModule: Redis at redis:\/\/:\*\*\*@127\.0\.0\.1:\d+ did not become ready within 10 s \(last error: .*ECONNREFUSED/,
      );
      await expect(attempt).rejects.not.toThrow(/hunter2/);
    }, 30_000);
  });

  it('redactRedisUrl hides the password and nothing else', () => {
    expect(redactRedisUrl('redis://:pw@redis.internal:6379/2')).toBe('redis://:***@redis.internal:6379/2');
    expect(redactRedisUrl('rediss://user:pw@host:6380')).toBe('rediss://user:***@host:6380');
    expect(redactRedisUrl('redis://127.0.0.1:6379')).toBe('redis://127.0.0.1:6379');
    expect(redactRedisUrl('not a url user:pw@host')).not.toContain('pw@');
  });
});
