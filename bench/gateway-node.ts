/**
 * A gateway node for the soak and cluster benchmarks: the bench gateway's configuration (gateway-server.ts: root
 * namespace, CORS, allowEIO3, rate limits raised above the load unless BENCH_LIMITS=default), plus
 *   REDIS_URL + P2P_KEY_PREFIX   one node of a cluster over Redis (forRoot({redis}))
 *   REDIS_CLUSTER_NODES          the same on a Redis Cluster (comma-separated host:port; redis.cluster)
 *   P2P_SHARDED=1 / 0            force redis.sharded on or off (default: the library's, sharded on Redis 7)
 *   P2P_STORE=sharded|single-slot  redis.store (default: the library's, sharded on a Redis Cluster)
 *   P2P_GRACE_MS                 reconnectGraceMs (the library's default otherwise)
 * Run with the probe preloaded (`node --expose-gc --import server-probe.js gateway-node.js`); it answers the
 * orchestrator's `inspect` (handles, listeners, the library's internal maps) and `close` (a clean Nest shutdown, so a
 * cluster node leaves Redis tidy) over IPC. Prints "ready" once listening.
 */
import 'reflect-metadata';
import { getHeapSpaceStatistics } from 'node:v8';
import { Module } from '@nestjs/common';
import { DiscoveryModule, DiscoveryService, NestFactory } from '@nestjs/core';
import { type P2pLimitsOptions, P2pModule, type P2pModuleOptions, PairingService } from '../packages/server/src/index.js';
import { P2pGatewayBase } from '../packages/server/src/gateway/p2p.gateway.js';
import { PairingEngine } from '../packages/server/src/pairing/pairing.engine.js';
import type { Inspection, NodeReply, NodeRequest } from './ipc.js';

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
  ...(env.REDIS_URL || env.REDIS_CLUSTER_NODES
    ? {
        redis: {
          ...(env.REDIS_CLUSTER_NODES ? { cluster: env.REDIS_CLUSTER_NODES.split(',') } : { url: env.REDIS_URL }),
          keyPrefix: env.P2P_KEY_PREFIX ?? 'p2p-bench',
          ...(env.P2P_SHARDED ? { sharded: env.P2P_SHARDED === '1' } : {}),
          ...(env.P2P_STORE ? { store: env.P2P_STORE as 'sharded' | 'single-slot' } : {}),
        },
      }
    : {}),
};

@Module({ imports: [P2pModule.forRoot(options), DiscoveryModule] })
class GatewayNodeModule {}

const app = await NestFactory.create(GatewayNodeModule, { logger: ['error', 'warn'] });
await app.listen(Number(env.PORT ?? 0), '127.0.0.1');
const service = app.get(PairingService);
const engine = app.get(PairingEngine);
// The gateway class is made per forRoot, so it is found among the providers rather than by token.
const gateway = app
  .get(DiscoveryService)
  .getProviders()
  .map((wrapper) => wrapper.instance as unknown)
  .find((instance): instance is P2pGatewayBase => instance instanceof P2pGatewayBase);
if (!gateway) throw new Error('gateway-node: no P2P gateway among the providers');

function listenerTotal(emitter: { eventNames(): (string | symbol)[]; listenerCount(name: string | symbol): number } | undefined): number {
  if (!emitter) return 0;
  return emitter.eventNames().reduce((sum, name) => sum + emitter.listenerCount(name), 0);
}

async function inspect(): Promise<Inspection> {
  const namespace = gateway!.namespace;
  const server = namespace.server;
  const resources: Record<string, number> = {};
  for (const kind of process.getActiveResourcesInfo()) resources[kind] = (resources[kind] ?? 0) + 1;
  const spaces = getHeapSpaceStatistics();
  const codeBytes = spaces.filter((s) => s.space_name.startsWith('code')).reduce((sum, s) => sum + s.space_used_size, 0);
  const allBytes = spaces.reduce((sum, s) => sum + s.space_used_size, 0);
  const adapter = namespace.adapter as { rooms?: Map<unknown, unknown>; sids?: Map<unknown, unknown> } | undefined;
  return {
    heap: { codeBytes, otherBytes: allBytes - codeBytes },
    resources,
    listeners: {
      namespace: listenerTotal(namespace),
      server: listenerTotal(server),
      engine: listenerTotal(server.engine),
      http: listenerTotal(app.getHttpServer()),
    },
    sockets: namespace.sockets.size,
    engineClients: server.engine.clientsCount,
    rooms: adapter?.rooms?.size ?? 0,
    sids: adapter?.sids?.size ?? 0,
    store: await service.counts(),
    internals: { ...engine.heldCounts(), ...gateway!.heldCounts() },
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
