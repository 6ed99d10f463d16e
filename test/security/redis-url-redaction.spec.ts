import 'reflect-metadata';
import { afterEach, describe, expect, it } from '@jest/globals';
import type { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { P2pModule, type P2pModuleOptions } from '../../packages/server/src/index.js';
import { redactRedisUrl } from '../../packages/server/src/options/redis.target.js';
import { REDIS_URL, closedPort, connectTestRedis, deleteKeysOf, uniqueKeyPrefix } from '../support/redis.js';
import { CapturingLogger } from './captured-log.js';

const SECRET = 'hunter2-secret';

describe('security: a Redis password never reaches the log', () => {
  const apps: INestApplication[] = [];
  afterEach(async () => {
    for (const app of apps.splice(0)) await app.close();
  });

  async function start(options: P2pModuleOptions): Promise<CapturingLogger> {
    const logger = new CapturingLogger();
    const moduleRef = await Test.createTestingModule({ imports: [P2pModule.forRoot(options)] })
      .setLogger(logger)
      .compile();
    const app = moduleRef.createNestApplication({ logger });
    apps.push(app);
    await app.listen(0, '127.0.0.1');
    return logger;
  }

  it('hides the password of the user info and of every credential query parameter, and nothing else', () => {
    expect(redactRedisUrl(`redis://127.0.0.1:6379/0?password=${SECRET}&db=2`)).toBe('redis://127.0.0.1:6379/0?password=***&db=2');
    expect(redactRedisUrl(`rediss://bob:${SECRET}@h:6380?password=${SECRET}&family=6`)).toBe(
      'rediss://bob:***@h:6380?password=***&family=6',
    );
    expect(redactRedisUrl(`redis://h?Password=${SECRET}&password=${SECRET}&authToken=${SECRET}`)).toBe(
      'redis://h?Password=***&password=***&authToken=***',
    );
    expect(redactRedisUrl('redis://h:6379/3?db=3&keyPrefix=app')).toBe('redis://h:6379/3?db=3&keyPrefix=app');
    // Read the way ioredis reads them: without a scheme, as a redis URL; with a leading '/', as a unix socket path.
    expect(redactRedisUrl(`bob:${SECRET}@h:6379?password=${SECRET}`)).toBe('bob:***@h:6379?password=***');
    expect(redactRedisUrl(`/tmp/redis.sock?db=2&password=${SECRET}`)).toBe('/tmp/redis.sock?db=2&password=***');
    for (const unparsable of [
      `h:6379?password=${SECRET}`,
      `not a url password=${SECRET}`,
      `bob:${SECRET}@h?pass=${SECRET}`,
      `//u:${SECRET}@[bad`,
    ]) {
      expect(redactRedisUrl(unparsable)).not.toContain(SECRET);
    }
  });

  it("a cluster node's start-up line names the URL with ?password= hidden", async () => {
    const keyPrefix = uniqueKeyPrefix('redaction');
    // A Redis without a password answers AUTH with an error ioredis only warns about: the node still starts.
    const url = `${REDIS_URL}/0?password=${SECRET}`;
    const logger = await start({ nodeId: 'n1', redis: { url, keyPrefix, sharded: false } });
    const startUp = logger.lines.filter((line) => line.context === 'P2pModule').map((line) => line.message);
    expect(startUp).toEqual([expect.stringContaining(`Redis ${redactRedisUrl(url)} (key prefix`)]);
    expect(startUp[0]).toContain('?password=***');
    expect(logger.messages.join('\n')).not.toContain(SECRET);
    await apps.pop()!.close();
    const redis = await connectTestRedis();
    await deleteKeysOf(redis, keyPrefix);
    redis.disconnect();
  });

  it('the start-up failure for an unreachable Redis names the URL with ?password= hidden', async () => {
    const url = `redis://127.0.0.1:${await closedPort()}?password=${SECRET}`;
    const attempt = start({ redis: { url } });
    await expect(attempt).rejects.toThrow(/password=\*\*\*/);
    await expect(attempt).rejects.not.toThrow(new RegExp(SECRET));
  }, 30_000);
});
