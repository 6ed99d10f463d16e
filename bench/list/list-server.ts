/**
 * The gateway as `npm run bench:list` runs it: the sample app's configuration with `LIST_CLIENTS`' rate limit raised
 * above what the benchmark sends (its check still runs on every request), on the store named by LIST_STORE
 * (`memory`, or `redis` under the key prefix LIST_KEY_PREFIX at REDIS_URL).
 *
 * Before it listens it registers LIST_BULK clients directly in that store, as the gateway's own middleware would
 * (`registerClient`), and pairs three in four of them: connecting 100,000 real sockets would take this 2-core machine
 * minutes and gigabytes, and `LIST_CLIENTS` reads nothing of a client but its store record. The requests measured
 * still come from real Socket.IO clients through the real handler. Prints "ready" once listening.
 */
import 'reflect-metadata';
import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Redis } from 'ioredis';
import { InMemoryPairingStore, P2pModule, type PairingStore } from '../../packages/server/src/index.js';
import { RedisPairingStore } from '../../packages/server/src/redis.js';

const bulk = Number(process.env.LIST_BULK ?? 0);
const store: PairingStore =
  process.env.LIST_STORE === 'redis'
    ? new RedisPairingStore(new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379'), {
        keyPrefix: process.env.LIST_KEY_PREFIX ?? 'bench-list',
      })
    : new InMemoryPairingStore();

/** Registers `count` clients (ids `bulk-000000`...) and pairs three in four of them, two by two. */
async function fill(count: number): Promise<void> {
  const id = (i: number) => `bulk-${String(i).padStart(6, '0')}`;
  const batch = 500;
  for (let start = 0; start < count; start += batch) {
    const ids = Array.from({ length: Math.min(batch, count - start) }, (_, k) => start + k);
    await Promise.all(
      ids.map((i) =>
        store.registerClient(
          {
            clientId: id(i),
            connectionId: `bulk-conn-${i}`,
            nodeId: 'bench-bulk',
            protocolVersion: 2,
            connectedAt: Date.now(),
            state: { kind: 'free' },
          },
          'refuse',
        ),
      ),
    );
    // Clients 8k+2 to 8k+7 paired, 8k and 8k+1 free: `available` pages skip three in four.
    await Promise.all(
      ids
        .filter((i) => i % 2 === 0 && i + 1 < count && i % 8 !== 0)
        .map(async (i) => {
          const request = { requestId: `bulk-req-${i}`, sourceId: id(i), targetId: id(i + 1) };
          await store.reservePairing(request);
          await store.confirmPairing(request);
        }),
    );
  }
}

@Module({
  imports: [
    P2pModule.forRoot({
      store,
      serverOptions: { cors: { origin: true }, allowEIO3: true },
      limits: { listRequests: { perSecond: 10_000_000 } },
    }),
  ],
})
class BenchListModule {}

await fill(bulk);
const app = await NestFactory.create(BenchListModule, { logger: ['error', 'warn'] });
await app.listen(Number(process.env.PORT ?? 0), '127.0.0.1');
console.log('ready');
