import { createServer, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from '@jest/globals';
import { Server } from 'socket.io';
import { type Socket, io } from 'socket.io-client';
import { P2pClient } from '../../packages/client/src/index.js';
import { eventually } from '../support/eventually.js';
import { type GatewayHarness, connectClient, connected, rawSocket, startGateway, waitFor } from '../support/gateway-harness.js';

describe('P2pClient over a socket', () => {
  let gw: GatewayHarness | undefined;
  let silent: { io: Server; http: HttpServer } | undefined;
  const sockets: Socket[] = [];

  afterEach(async () => {
    for (const socket of sockets.splice(0)) socket.disconnect();
    await gw?.close();
    gw = undefined;
    if (silent) {
      const { io: server, http } = silent;
      silent = undefined;
      await new Promise<void>((resolve) => server.close(() => resolve()));
      http.closeAllConnections();
    }
  });

  it('re-handshakes a socket that is connected already, then declares protocol 3 and works', async () => {
    gw = await startGateway({ pairTimeoutMs: 2000 });
    const socket = await connected(rawSocket(gw, { clientId: 'late' }));
    await expect(gw.service.getClient('late')).resolves.toMatchObject({ protocolVersion: 1 });
    const firstId = socket.id;

    const reconnected = waitFor(socket, 'connect');
    const late = new P2pClient(socket);
    await reconnected;
    expect(socket.id).not.toBe(firstId);
    await eventually(async () => expect(await gw!.service.getClient('late')).toMatchObject({ protocolVersion: 3 }));
    expect((await gw.service.listClients()).map((c) => c.clientId)).toEqual(['late']);

    const peer = await connectClient(gw, 'peer');
    peer.socket.on('ping2', (n: number, cb: (m: number) => void) => cb(n + 1));
    await late.pair('peer');
    await expect(late.emitWithAck('ping2', 1)).resolves.toBe(2);
  });

  it('bounds every wait: against a server that never answers, calls reject with REQUEST_TIMEOUT', async () => {
    const http = createServer();
    const server = new Server(http);
    silent = { io: server, http };
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    const { port } = http.address() as AddressInfo;
    const socket = io(`http://127.0.0.1:${port}`, { transports: ['websocket'], reconnection: false, forceNew: true, autoConnect: false });
    sockets.push(socket);
    const client = new P2pClient(socket, { clientId: 'A', pairTimeoutMs: 200, ackTimeoutMs: 200, requestTimeoutMs: 200 });
    socket.connect();
    await waitFor(socket, 'connect');

    const pairing = client.pair('B');
    expect(client.state).toBe('pairing');
    await expect(pairing).rejects.toMatchObject({ code: 'REQUEST_TIMEOUT', event: 'P2P_REGISTER' });
    expect(client.state).toBe('idle');
    await expect(client.emitWithAck('x')).rejects.toMatchObject({ code: 'REQUEST_TIMEOUT' });
    await expect(client.listClients()).rejects.toMatchObject({ code: 'REQUEST_TIMEOUT' });
    await expect(client.unpair()).rejects.toMatchObject({ code: 'REQUEST_TIMEOUT' });
    await expect(client.getClientList()).rejects.toMatchObject({ code: 'REQUEST_TIMEOUT' });
  });

  it('rejects with NOT_CONNECTED when the socket is down', async () => {
    gw = await startGateway();
    const client = await connectClient(gw, 'A', { requestTimeoutMs: 200, pairTimeoutMs: 200 });
    client.socket.disconnect();
    await expect(client.listClients()).rejects.toMatchObject({ code: 'NOT_CONNECTED' });
    await expect(client.pair('B')).rejects.toMatchObject({ code: 'NOT_CONNECTED' });
    expect(client.state).toBe('idle');
  });
});
