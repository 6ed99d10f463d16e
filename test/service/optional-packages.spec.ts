import 'reflect-metadata';
import { describe, expect, it } from '@jest/globals';
import { Registry } from 'prom-client';
import { GatewayMeter } from '../../packages/server/src/metrics/gateway.meter.js';
import { registerPrometheusMetrics } from '../../packages/server/src/metrics/prometheus.metrics.js';
import { loadOptionalPackage } from '../../packages/server/src/options/optional-package.loader.js';

/** A package that is installed nowhere: what the loaders see when an optional peer dependency is missing. */
const MISSING = 'nest-p2p-gateway-no-such-package';

const sources = { counts: () => Promise.resolve(undefined), heldRelays: () => 0 };

describe('optional peer dependencies: a missing one says what needs it and what to install', () => {
  it.each([
    [
      'ioredis',
      'P2pModule: the `redis` option needs the optional peer dependencies ioredis and @socket.io/redis-adapter, and ioredis is not installed: npm install ioredis @socket.io/redis-adapter',
    ],
    [
      '@socket.io/redis-adapter',
      'P2pModule: the `redis` option needs the optional peer dependencies ioredis and @socket.io/redis-adapter, and @socket.io/redis-adapter is not installed: npm install ioredis @socket.io/redis-adapter',
    ],
    [
      'prom-client',
      'P2pModule: the `metrics` option needs the optional peer dependency prom-client, and prom-client is not installed: npm install prom-client',
    ],
    [
      '@nestjs/terminus',
      'P2pHealthIndicator (nest-p2p-gateway/health) needs the optional peer dependency @nestjs/terminus, and @nestjs/terminus is not installed: npm install @nestjs/terminus',
    ],
  ] as const)('%s', async (name, message) => {
    const attempt = loadOptionalPackage(name, MISSING);
    await expect(attempt).rejects.toThrow(message);
    // Node's own message stays at the end, for the details.
    await expect(attempt).rejects.toThrow(MISSING);
  });

  it('the metrics start-up path: registering the Prometheus metrics without prom-client fails with that message', async () => {
    const attempt = registerPrometheusMetrics(new GatewayMeter(10), new Registry(), sources, MISSING);
    await expect(attempt).rejects.toThrow(
      /^P2pModule: the `metrics` option needs the optional peer dependency prom-client, and prom-client is not installed: npm install prom-client/,
    );
  });

  it('installed packages load, and the metrics register with prom-client there', async () => {
    const ioredis = await loadOptionalPackage<{ Redis: unknown }>('ioredis');
    expect(typeof ioredis.Redis).toBe('function');
    const registry = new Registry();
    const exporter = await registerPrometheusMetrics(new GatewayMeter(10), registry, sources);
    expect(registry.getSingleMetric('p2p_clients')).toBeDefined();
    exporter.unregister();
  });
});
