import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from '@jest/globals';
import { closedPort } from '../support/redis.js';

const SCRIPT = fileURLToPath(new URL('../../scripts/ensure-test-deps.mjs', import.meta.url));

/** Runs `npm test`'s pretest with these variables on top of the environment (as a non-root user: never installs). */
function pretest(env: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [SCRIPT],
      { env: { ...process.env, P2P_TEST_DEPS_AS_USER: '1', ...env }, timeout: 30_000 },
      (error, stdout, stderr) => resolve({ code: error ? ((error.code as number) ?? -1) : 0, stdout, stderr }),
    );
  });
}

const lines = (text: string) => text.split('\n').filter((line) => line !== '');

describe('npm test pretest (scripts/ensure-test-deps.mjs)', () => {
  it('passes quietly on this machine, which has what the suites need', async () => {
    const run = await pretest({});
    expect(run).toEqual({ code: 0, stdout: '', stderr: '' });
  });

  it('stops with one line naming the package when Chromium is missing and it may not install it', async () => {
    const run = await pretest({ P2P_TEST_DEPS_DEBIAN_CHROMIUM: '/nonexistent/chromium' });
    expect(run.code).toBe(1);
    expect(lines(run.stderr)).toEqual([
      expect.stringMatching(/^npm test: .*\/nonexistent\/chromium.*apt-get install -y chromium.*CHROMIUM_PATH/),
    ]);
  });

  it('stops with one line when CHROMIUM_PATH points nowhere', async () => {
    const run = await pretest({ CHROMIUM_PATH: '/nonexistent/chrome' });
    expect(run.code).toBe(1);
    expect(lines(run.stderr)).toEqual([expect.stringMatching(/^npm test: CHROMIUM_PATH=\/nonexistent\/chrome /)]);
  });

  it('stops with one line naming redis-tools when redis-cli (the Redis Cluster suites need it) is missing', async () => {
    const run = await pretest({ P2P_TEST_DEPS_REDIS_CLI: 'redis-cli-not-installed' });
    expect(run.code).toBe(1);
    expect(lines(run.stderr)).toEqual([expect.stringMatching(/^npm test: .*redis-cli-not-installed.*apt-get install -y redis-tools/)]);
  });

  it('stops with one line per missing piece when Redis does not answer either', async () => {
    const redisUrl = `redis://127.0.0.1:${await closedPort()}`;
    const run = await pretest({ REDIS_URL: redisUrl, P2P_TEST_DEPS_DEBIAN_CHROMIUM: '/nonexistent/chromium' });
    expect(run.code).toBe(1);
    expect(lines(run.stderr)).toEqual([
      expect.stringMatching(new RegExp(`^npm test: Redis must answer at ${redisUrl} .*ECONNREFUSED.*redis-server`)),
      expect.stringMatching(/^npm test: .*\/nonexistent\/chromium/),
    ]);
  });
});
