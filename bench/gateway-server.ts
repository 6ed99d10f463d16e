/**
 * The gateway as the benchmark runs it: the sample app's configuration (root namespace, in memory, CORS, allowEIO3)
 * with the per-connection rate limits raised above anything the load generator offers, so their checks still run on
 * every message but never refuse one. With the defaults (1000 relays/s and 5 pairing requests/s per connection) the
 * saturated workloads would measure the limiter, not the relay; `BENCH_LIMITS=default` (run.ts --default-limits)
 * keeps them. `BENCH_METRICS=1` turns the Prometheus metrics on (a registry of its own, not served): run.ts measures
 * the relay workloads on both, for the cost of the counters. `PORT=... node dist/bench/gateway-server.js` prints
 * "ready" once listening.
 */
import 'reflect-metadata';
import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Registry } from 'prom-client';
import { type P2pLimitsOptions, P2pModule } from '../packages/server/src/index.js';

const NOT_BINDING: P2pLimitsOptions = {
  relayMessages: { perSecond: 10_000_000 },
  relayBytes: { perSecond: 10_000_000_000 },
  pairRequests: { perSecond: 1_000_000 },
};

@Module({
  imports: [
    P2pModule.forRoot({
      serverOptions: { cors: { origin: true }, allowEIO3: true },
      ...(process.env.BENCH_LIMITS === 'default' ? {} : { limits: NOT_BINDING }),
      ...(process.env.BENCH_METRICS === '1' ? { metrics: { registry: new Registry(), path: false } } : {}),
    }),
  ],
})
class BenchGatewayModule {}

const app = await NestFactory.create(BenchGatewayModule, { logger: ['error', 'warn'] });
await app.listen(Number(process.env.PORT ?? 0), '127.0.0.1');
console.log('ready');
