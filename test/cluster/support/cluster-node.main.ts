/**
 * One gateway node of a test cluster, run as a child process by cluster-node.process.ts. Reads its P2pModule options
 * from env P2P_NODE_OPTIONS (JSON), listens on 127.0.0.1 (env PORT, default ephemeral), then over IPC: reports
 * `ready`, forwards every lifecycle event, answers PairingService calls (and `heldCounts`, `rss`), and closes cleanly when asked (IPC `close`, or
 * SIGTERM through Nest's shutdown hooks).
 */
import 'reflect-metadata';
import type { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { P2pModule, type P2pModuleOptions, PairingService } from '../../../packages/server/src/index.js';
import { P2P_GATEWAY } from '../../../packages/server/src/tokens/p2p.constants.js';
import { PairingEngine } from '../../../packages/server/src/pairing/pairing.engine.js';
import type { P2pGatewayBase } from '../../../packages/server/src/gateway/p2p.gateway.js';
import type { NodeReply, NodeRequest } from './cluster-node.ipc.js';

const send = (message: NodeReply) => process.send?.(message);

/** The PairingService methods a test may call on a node. */
const CALLABLE = new Set(['listClients', 'getClient', 'peerOf', 'listPairings', 'unpair', 'disconnect', 'counts', 'relayStats']);

async function main(): Promise<void> {
  const options = JSON.parse(process.env.P2P_NODE_OPTIONS ?? '{}') as P2pModuleOptions;
  const moduleRef = await Test.createTestingModule({ imports: [P2pModule.forRoot(options)] }).compile();
  const app: INestApplication = moduleRef.createNestApplication({ logger: ['error', 'warn'] });
  // SIGTERM drains the node, as in production (ClusterNodeProcess.terminate).
  app.enableShutdownHooks(['SIGTERM']);
  await app.listen(Number(process.env.PORT ?? 0), '127.0.0.1');
  const service = app.get(PairingService);
  service.events$.subscribe((event) => send({ type: 'event', event }));

  let closing: Promise<void> | undefined;
  const close = () => (closing ??= app.close());
  process.on('message', (request: NodeRequest) => {
    if (request.type === 'close') {
      void close().then(() => process.exit(0));
      return;
    }
    if (request.method === 'rss') {
      // Not PairingService: this process's resident memory (after a full GC when asked), for memory bounds that must
      // see the gateway alone, not the test process with its clients.
      if (request.args[0] === true) (globalThis as { gc?: () => void }).gc?.();
      send({ type: 'reply', id: request.id, value: process.memoryUsage().rss });
      return;
    }
    if (request.method === 'heldCounts') {
      // Not PairingService: what the node holds beside its connections (kept outboxes, grace timers, ...).
      const value = { ...app.get(PairingEngine).heldCounts(), ...app.get<P2pGatewayBase>(P2P_GATEWAY).heldCounts() };
      send({ type: 'reply', id: request.id, value });
      return;
    }
    if (!CALLABLE.has(request.method)) {
      send({ type: 'reply', id: request.id, error: `not callable: ${request.method}` });
      return;
    }
    const method = (service as unknown as Record<string, (...args: unknown[]) => Promise<unknown>>)[request.method]!;
    Promise.resolve(method.apply(service, request.args)).then(
      (value) => send({ type: 'reply', id: request.id, value }),
      (error: unknown) => send({ type: 'reply', id: request.id, error: String((error as Error)?.stack ?? error) }),
    );
  });
  // The test process is gone (crashed, or killed by Jest): do not outlive it.
  process.on('disconnect', () => void close().finally(() => process.exit(0)));
  const { port } = app.getHttpServer().address() as { port: number };
  send({ type: 'ready', port });
}

main().catch((error: unknown) => {
  console.error('cluster node failed to start:', error);
  process.exit(1);
});
