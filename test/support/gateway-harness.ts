import 'reflect-metadata';
import type { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { type Socket, io } from 'socket.io-client';
import { P2pClient, type P2pClientOptions } from '../../packages/client/src/index.js';
import { P2pModule, type P2pModuleOptions, PairingService } from '../../packages/server/src/index.js';

/** A real Nest app with the gateway on an ephemeral port. */
export interface GatewayHarness {
  app: INestApplication;
  url: string;
  service: PairingService;
  /** Every socket opened through the harness; closed by `close()`. */
  sockets: Socket[];
  close(): Promise<void>;
}

export async function startGateway(options: P2pModuleOptions = {}): Promise<GatewayHarness> {
  const moduleRef = await Test.createTestingModule({ imports: [P2pModule.forRoot(options)] }).compile();
  const app = moduleRef.createNestApplication({ logger: false });
  await app.listen(0, '127.0.0.1');
  const address = app.getHttpServer().address() as { port: number };
  const sockets: Socket[] = [];
  return {
    app,
    url: `http://127.0.0.1:${address.port}`,
    service: app.get(PairingService),
    sockets,
    async close() {
      for (const socket of sockets) socket.disconnect();
      await app.close();
    },
  };
}

/** A raw socket.io-client 4 socket, as an original client would open it (`?clientId=`), not yet connected. */
export function rawSocket(harness: GatewayHarness, query: Record<string, string>, extra: Parameters<typeof io>[1] = {}): Socket {
  const namespace = '';
  const socket = io(`${harness.url}${namespace}`, {
    query,
    transports: ['websocket'],
    reconnection: false,
    forceNew: true,
    ...extra,
  });
  harness.sockets.push(socket);
  return socket;
}

/** A P2pClient with its own socket, connected. */
export async function connectClient(
  harness: GatewayHarness,
  clientId: string,
  options: P2pClientOptions = {},
  namespace = '',
): Promise<P2pClient<Socket>> {
  const socket = io(`${harness.url}${namespace}`, { transports: ['websocket'], reconnection: false, forceNew: true, autoConnect: false });
  harness.sockets.push(socket);
  const client = new P2pClient(socket, { clientId, ...options });
  socket.connect();
  await waitFor(socket, 'connect');
  return client;
}

export async function connected(socket: Socket): Promise<Socket> {
  if (!socket.connected) await waitFor(socket, 'connect');
  return socket;
}

/** Resolves with the arguments of the next `event` on `emitter`; rejects after `timeoutMs`. */
export function waitFor<T extends unknown[] = unknown[]>(
  emitter: { once(event: string, listener: (...args: any[]) => void): unknown },
  event: string,
  timeoutMs = 5000,
): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`timed out waiting for "${event}"`)), timeoutMs);
    emitter.once(event, (...args: unknown[]) => {
      clearTimeout(timer);
      resolve(args as T);
    });
  });
}

/** Resolves after `ms`; used only to let a message that must NOT arrive have had its chance. */
export function settle(ms = 100): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
