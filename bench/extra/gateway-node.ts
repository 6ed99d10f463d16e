/**
 * A gateway node for the soak and cluster benchmarks: the bench gateway's configuration (gateway-server.ts: root
 * namespace, CORS, allowEIO3, rate limits raised above the load unless BENCH_LIMITS=default), plus
 *   REDIS_URL + P2P_KEY_PREFIX   one node of a cluster over Redis (forRoot({redis}))
 *   P2P_SHARDED=1 / 0            force redis.sharded on or off (default: the library's, sharded on Redis 7)
 *   P2P_GRACE_MS                 reconnectGraceMs (the library's default otherwise)
 * Run with the probe preloaded (`node --expose-gc --import server-probe.js gateway-node.js`); it answers the
 * orchestrator's `inspect` (handles, listeners, the library's internal maps) and `close` (a clean Nest shutdown, so a
 * cluster node leaves Redis tidy) over IPC. Prints "ready" once listening.
 */
import 'reflect-metadata';
import { getHeapSpaceStatistics } from 'node:v8';
import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { Namespace } from 'socket.io';
import { type P2pLimitsOptions, P2pModule, type P2pModuleOptions, PairingService } from '../../lib/server/index.js';
import { PairingEngine } from '../../lib/server/pairing.engine.js';
import type { Inspection, NodeReply, NodeRequest } from './node-ipc.js';

// As in gateway-server.ts (not importable: importing it starts its app).
const NOT_BINDING: P2pLimitsOptions = {
  relayMessages: { perSecond: 10_000_000 },
  relayBytes: { perSecond: 10_000_000_000 },
  pairRequests: { perSecond: 1_000_000 },
};

const env = process.env;
const options: P2pModuleOptions = {
  serverOptions: { cors: { origin: true }, allowEIO3: true },
  ...(env.BENCH_LIMITS === 'default' ? {} : { limits: NOT_BINDING }),
  ...(env.P2P_GRACE_MS ? { reconnectGraceMs: Number(env.P2P_GRACE_MS) } : {}),
  ...(env.REDIS_URL ? { redis: { url: env.REDIS_URL, keyPrefix: env.P2P_KEY_PREFIX ?? 'p2p-bench', ...(env.P2P_SHARDED ? { sharded: env.P2P_SHARDED === '1' } : {}) } } : {}),
};

@Module({ imports: [P2pModule.forRoot(options)] })
class GatewayNodeModule {}

const app = await NestFactory.create(GatewayNodeModule, { logger: ['error', 'warn'] });
await app.listen(Number(env.PORT ?? 0), '127.0.0.1');
const service = app.get(PairingService);
const engine = app.get(PairingEngine);

function sizeOf(owner: unknown, field: string): number {
  const value = (owner as Record<string, unknown> | undefined)?.[field];
  return value instanceof Map || value instanceof Set ? value.size : 0;
}

function listenerTotal(emitter: { eventNames(): (string | symbol)[]; listenerCount(name: string | symbol): number } | undefined): number {
  if (!emitter) return 0;
  return emitter.eventNames().reduce((sum, name) => sum + emitter.listenerCount(name), 0);
}

async function inspect(): Promise<Inspection> {
  // The engine's private parts, read for the benchmark only: the library exposes no counters of its own maps.
  const gateway = (engine as unknown as { transport?: { namespace: Namespace; cluster?: unknown } }).transport;
  const namespace = gateway?.namespace;
  const server = namespace?.server;
  const resources: Record<string, number> = {};
  for (const kind of process.getActiveResourcesInfo()) resources[kind] = (resources[kind] ?? 0) + 1;
  const spaces = getHeapSpaceStatistics();
  const codeBytes = spaces.filter((s) => s.space_name.startsWith('code')).reduce((sum, s) => sum + s.space_used_size, 0);
  const allBytes = spaces.reduce((sum, s) => sum + s.space_used_size, 0);
  const adapter = namespace?.adapter as { rooms?: Map<unknown, unknown>; sids?: Map<unknown, unknown> } | undefined;
  return {
    heap: { codeBytes, otherBytes: allBytes - codeBytes },
    resources,
    listeners: {
      namespace: listenerTotal(namespace),
      server: listenerTotal(server),
      engine: listenerTotal(server?.engine),
      http: listenerTotal(app.getHttpServer()),
    },
    sockets: namespace?.sockets.size ?? 0,
    engineClients: server?.engine.clientsCount ?? 0,
    rooms: adapter?.rooms?.size ?? 0,
    sids: adapter?.sids?.size ?? 0,
    store: await service.counts(),
    internals: {
      openRequests: sizeOf(engine, 'openRequests'),
      graceTimers: sizeOf(engine, 'graceTimers'),
      keptOutboxes: sizeOf(gateway, 'keptOutboxes'),
      unsettledDepartures: sizeOf(gateway, 'unsettledDepartures'),
      pendingClusterAcks: sizeOf(gateway?.cluster, 'pendingAcks'),
    },
  };
}

process.on('message', (message: NodeRequest) => {
  if (message.type === 'inspect') {
    void inspect().then((inspection) => process.send?.({ type: 'inspect', id: message.id, inspection } satisfies NodeReply));
  } else if (message.type === 'close') {
    void app.close().finally(() => process.exit(0));
  }
});
// The orchestrator is gone: do not outlive it.
process.on('disconnect', () => void app.close().finally(() => process.exit(0)));
console.log('ready');
