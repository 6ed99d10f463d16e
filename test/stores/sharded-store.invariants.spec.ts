import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import type { ShardedRedisPairingStore } from '../../packages/server/src/stores/redis-sharded/sharded-pairing.store.js';
import { REDIS_URL } from '../support/redis.js';
import { useShardedStores } from '../support/sharded-store-suite.js';
import { clientRecord, pairingRequest, uniqueIds } from './pairing-store.fixtures.js';
import { crossingRequests, expectLinksWhole, raceForOneTarget, randomConcurrentOperations } from './support/two-client.invariants.js';

const here = (file: string) => fileURLToPath(new URL(file, import.meta.url));
const CHILD = here('./support/abandoned-operation.main.ts');
const REGISTER = here('../cluster/support/ts-register.mjs');
/** The gateway's default pairTimeoutMs: an abandoned operation must leave nothing stuck for longer. */
const PAIR_TIMEOUT_MS = 10_000;
const LOCK_TTL_MS = 2_000;

describe('ShardedRedisPairingStore two-client invariants (standalone Redis, two connections as two nodes)', () => {
  const redis = useShardedStores();
  let one: ShardedRedisPairingStore;
  let two: ShardedRedisPairingStore;

  beforeEach(async () => {
    one = redis.store();
    two = redis.store(one.keyPrefix, await redis.connection());
  });
  afterEach(async () => {
    await redis.cleanup(one);
  });

  it('100 concurrent requests for one target over two nodes: exactly one succeeds', async () => {
    await raceForOneTarget([one, two]);
  }, 60_000);

  it('crossing requests pair, 20 couples at once', async () => {
    await crossingRequests([one, two], 20);
  }, 60_000);

  it('random concurrent operations over six clients leave every link whole (property)', async () => {
    await randomConcurrentOperations([one, two], 25);
  }, 120_000);

  /**
   * Starts `operation` in a child process that stops at `point` (locks taken; or one half written), SIGKILLs it there,
   * and returns when it is dead.
   */
  async function abandon(point: 'afterLocks' | 'betweenHalves', operation: string, sourceId: string, targetId: string, requestId: string) {
    const { NODE_OPTIONS: _jestFlags, ...env } = process.env;
    const args = [REDIS_URL, one.keyPrefix, String(LOCK_TTL_MS), point, operation, sourceId, targetId, requestId];
    const child = spawn(process.execPath, ['--import', REGISTER, CHILD, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const deadline = Date.now() + 30_000;
    while (!output.includes('paused')) {
      if (Date.now() > deadline || child.exitCode !== null) throw new Error(`the child never paused: ${output}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const exited = once(child, 'exit');
    child.kill('SIGKILL');
    await exited;
    expect(output).not.toContain('finished');
    return Date.now();
  }

  /** Retries `attempt` until it succeeds; returns how long that took from `since`. */
  async function usableWithin(since: number, attempt: () => Promise<boolean>): Promise<number> {
    for (;;) {
      // A call that waited out lockWaitMs for a lock fails with STORE_UNAVAILABLE: the gateway retries, as here.
      if (await attempt().catch(() => false)) return Date.now() - since;
      if (Date.now() - since > PAIR_TIMEOUT_MS + 20_000) return Date.now() - since;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  it.each([
    ['afterLocks', 'confirm'],
    ['betweenHalves', 'confirm'],
    ['betweenHalves', 'reserve'],
    ['betweenHalves', 'unpair'],
  ] as const)(
    'a node SIGKILLed mid-operation (%s of %s) leaves both clients usable within pairTimeoutMs, links whole after a sweep',
    async (point, operation) => {
      const [a, b, c, d] = uniqueIds('a', 'b', 'c', 'd');
      for (const id of [a, b, c, d]) await one.registerClient(clientRecord(id!, { nodeId: 'node-1' }), 'refuse');
      const request = pairingRequest(a!, b!);
      if (operation !== 'reserve') await expect(one.reservePairing(request)).resolves.toMatchObject({ ok: true });
      if (operation === 'unpair') await expect(one.confirmPairing(request)).resolves.toMatchObject({ ok: true });
      const killedAt = await abandon(point, operation, a!, b!, request.requestId);

      // Each of the two can pair with someone else. A request the abandoned operation left open (it wrote nothing) is
      // closed as the pairing timeout closes it, with cancelPairing; one it half wrote is not open any more.
      const tookA = await usableWithin(killedAt, async () => {
        await two.cancelPairing(request);
        return (await two.reservePairing(pairingRequest(c!, a!))).ok;
      });
      const tookB = await usableWithin(killedAt, async () => (await two.reservePairing(pairingRequest(b!, d!))).ok);
      expect(Math.max(tookA, tookB)).toBeLessThan(PAIR_TIMEOUT_MS);
      await two.sweepDeadNodes();
      const records = await expectLinksWhole(two, [a!, b!, c!, d!]);
      expect(records.get(a!)?.state).toMatchObject({ kind: 'asked', otherId: c });
      expect(records.get(b!)?.state).toMatchObject({ kind: 'asking', otherId: d });
    },
    60_000,
  );

  it('the sweep frees the one-sided half an abandoned operation left, without anyone touching it', async () => {
    const [a, b] = uniqueIds('a', 'b');
    for (const id of [a, b]) await one.registerClient(clientRecord(id!, { nodeId: 'node-1' }), 'refuse');
    const request = pairingRequest(a!, b!);
    await one.reservePairing(request);
    await abandon('betweenHalves', 'confirm', a!, b!, request.requestId);
    const sides = [await two.getClient(a!), await two.getClient(b!)].map((r) => r?.state.kind).sort();
    // One half is written (paired), the other is not (still in the request): neither names the other as it is named.
    expect(sides).toEqual(expect.arrayContaining(['paired']));
    const deadline = Date.now() + PAIR_TIMEOUT_MS;
    let whole = false;
    while (!whole && Date.now() < deadline) {
      await two.sweepDeadNodes();
      const [ra, rb] = [await two.getClient(a!), await two.getClient(b!)];
      whole = ra?.state.kind === 'free' && rb?.state.kind === 'free';
      if (!whole) await new Promise((resolve) => setTimeout(resolve, 200));
    }
    expect(whole).toBe(true);
    await expectLinksWhole(two, [a!, b!]);
  }, 60_000);

  it('a node stalled past lockTtlMs between the halves finds its lock gone: it puts its half back and runs again', async () => {
    const [a, b, c] = uniqueIds('a', 'b', 'c');
    for (const id of [a, b, c]) await two.registerClient(clientRecord(id!, { nodeId: 'node-2' }), 'refuse');
    const request = pairingRequest(a!, b!);
    await expect(two.reservePairing(request)).resolves.toMatchObject({ ok: true });
    let reached!: () => void;
    let release!: () => void;
    const atHalf = new Promise<void>((resolve) => (reached = resolve));
    const gate = new Promise<void>((resolve) => (release = resolve));
    // 1.5 s: long enough that its locks outlive the way to its first half on a loaded machine, short for the test.
    const stalled = redis.store(
      one.keyPrefix,
      await redis.connection(),
      { lockTtlMs: 1500 },
      {
        betweenHalves: async () => {
          reached();
          await gate;
        },
      },
    );
    const confirming = stalled.confirmPairing(request);
    await atHalf;
    // One half is written (paired); the other's lock lapses, and another node takes that client for a request of its own.
    const [first, second] = [a!, b!].sort();
    await expect(two.getClient(first!)).resolves.toMatchObject({ state: { kind: 'paired' } });
    await expect(two.reservePairing(pairingRequest(c!, second!))).resolves.toMatchObject({ ok: true });
    release();
    await expect(confirming).resolves.toEqual({ ok: false, code: 'NO_PENDING_REQUEST' });
    const records = await expectLinksWhole(two, [a!, b!, c!]);
    expect(records.get(first!)?.state).toEqual({ kind: 'free' });
    expect(records.get(second!)?.state).toMatchObject({ kind: 'asked', otherId: c });
  }, 60_000);
});
