import 'reflect-metadata';
import { afterEach, describe, expect, it } from '@jest/globals';
import { Injectable, Module } from '@nestjs/common';
import { type Socket, io } from 'socket.io-client';
import { P2pModule, PairingService } from '../../packages/server/src/index.js';
import { type GatewayHarness, connectClient, connected, rawSocket, startGateway, waitFor } from '../support/gateway-harness.js';
import { type RunningApp, startApp } from '../support/nest-app.js';

/** Stands for whatever the host app keeps its settings in; no ConfigModule involved. */
@Injectable()
class GatewaySettings {
  readonly pairTimeoutMs = 300;
  readonly idPattern = /^dev-\d+$/;
}

@Module({ providers: [GatewaySettings], exports: [GatewaySettings] })
class SettingsModule {}

describe('P2pModule wiring', () => {
  const apps: RunningApp[] = [];
  const gateways: GatewayHarness[] = [];
  const sockets: Socket[] = [];

  function open(url: string, clientId: string): Socket {
    const socket = io(url, { query: { clientId }, transports: ['websocket'], reconnection: false, forceNew: true });
    sockets.push(socket);
    return socket;
  }

  afterEach(async () => {
    for (const socket of sockets.splice(0)) socket.disconnect();
    for (const app of apps.splice(0)) await app.close();
    for (const gw of gateways.splice(0)) await gw.close();
  });

  it('forRootAsync takes its options from a provider of another module', async () => {
    const app = await startApp([
      P2pModule.forRootAsync({
        imports: [SettingsModule],
        inject: [GatewaySettings],
        useFactory: async (settings: GatewaySettings) => ({
          pairTimeoutMs: settings.pairTimeoutMs,
          clientId: { pattern: settings.idPattern },
        }),
      }),
    ]);
    apps.push(app);
    const refused = open(app.url, 'alice');
    const [error] = await waitFor<[Error & { data?: { code: string } }]>(refused, 'connect_error');
    expect(error.data?.code).toBe('INVALID_CLIENT_ID');

    const target = await connected(open(app.url, 'dev-1'));
    const source = await connected(open(app.url, 'dev-2'));
    const timedOut = waitFor(target, 'P2P_DISCONNECT');
    // The injected pairTimeoutMs (300 ms), not the 10 s default, refuses this unanswered request: the answer must come
    // long before the default could have fired.
    const answer = await Promise.race([
      new Promise((resolve) => source.emit('P2P_REGISTER', 'dev-1', (...args: unknown[]) => resolve(args))),
      new Promise((resolve) => setTimeout(() => resolve('no answer within 5 s: the default timeout is in force'), 5000).unref()),
    ]);
    expect(answer).toEqual([false, expect.objectContaining({ code: 'PAIR_TIMEOUT' })]);
    await expect(timedOut).resolves.toEqual(['dev-2', 'PAIR_TIMEOUT']);
    const clients = await app.app.get(PairingService).listClients();
    expect(clients.map((c) => c.clientId)).toEqual(['dev-1', 'dev-2']);
  });

  it("serves a custom namespace only: '/' cannot reach it, '/p2p' can", async () => {
    const gw = await startGateway({ namespace: '/p2p' });
    gateways.push(gw);
    const outsider = rawSocket(gw, { clientId: 'outsider' });
    await connected(outsider).catch(() => undefined);
    await expect(outsider.timeout(300).emitWithAck('LIST_CLIENTS')).rejects.toThrow();

    const b = await connectClient(gw, 'B', {}, '/p2p');
    const a = await connectClient(gw, 'A', {}, '/p2p');
    await expect(a.listClients()).resolves.toEqual(['B', 'A']);
    await a.pair('B');
    await expect(gw.service.peerOf('B')).resolves.toBe('A');
    expect((await gw.service.listClients()).map((c) => c.clientId)).toEqual(['B', 'A']);
    expect(b.socket.connected).toBe(true);
  });

  it('runs two apps side by side without either seeing the other', async () => {
    const first = await startGateway();
    const second = await startGateway();
    gateways.push(first, second);
    const a1 = await connectClient(first, 'A');
    await connectClient(first, 'B');
    // The same ids are free on the other app: each has its own store.
    const a2 = await connectClient(second, 'A');
    await connectClient(second, 'C');
    await a1.pair('B');
    await expect(a2.pair('B')).rejects.toMatchObject({ code: 'TARGET_OFFLINE' });
    await a2.pair('C');
    expect((await first.service.listPairings()).map((p) => [...p.clientIds].sort())).toEqual([['A', 'B']]);
    expect((await second.service.listPairings()).map((p) => [...p.clientIds].sort())).toEqual([['A', 'C']]);
    await expect(a1.listClients()).resolves.toEqual(['A', 'B']);
    await expect(a2.listClients()).resolves.toEqual(['A', 'C']);
    expect(first.service).not.toBe(second.service);
  });
});
