/// <reference path="../support/socket.io-client-v2.d.ts" />
import { randomBytes } from 'node:crypto';
import { request } from 'node:http';
import type { Socket as NetSocket } from 'node:net';
import { afterEach, describe, expect, it } from '@jest/globals';
import ioV2, { type V2Socket } from 'socket.io-client-v2';
import type { Socket } from 'socket.io-client';
import { resolveP2pOptions } from '../../packages/server/src/index.js';
import { PENDING_CONNECTIONS_REFUSAL } from '../../packages/server/src/limits/pending-connections.bound.js';
import { type GatewayHarness, rawSocket, startGateway, waitFor } from '../support/gateway-harness.js';
import { connectRaw, eventually, listClients, refusalOf, whenConnected } from '../support/wire.js';

/** A raw engine.io polling handshake: `{status, sid}` (sid when engine.io opened a session), never joining a namespace. */
async function pollingHandshake(url: string): Promise<{ status: number; sid?: string; body: string }> {
  const response = await fetch(`${url}/socket.io/?EIO=4&transport=polling`);
  const body = await response.text();
  const open = /^0(\{.*\})$/.exec(body);
  return { status: response.status, body, ...(open ? { sid: (JSON.parse(open[1]!) as { sid: string }).sid } : {}) };
}

/** Ends a polling session the way a client does: an engine.io close packet (`1`). */
async function closePolling(url: string, sid: string): Promise<void> {
  const response = await fetch(`${url}/socket.io/?EIO=4&transport=polling&sid=${sid}`, { method: 'POST', body: '1' });
  await response.text();
}

/**
 * A raw WebSocket handshake for engine.io (`transport=websocket`, written by hand): resolves with the upgraded socket
 * (the server then sends engine.io's open packet), or with the HTTP status and body of a refusal.
 */
function webSocketHandshake(url: string): Promise<{ socket?: NetSocket; status?: number; body?: string }> {
  return new Promise((resolve, reject) => {
    const req = request(`${url}/socket.io/?EIO=4&transport=websocket`, {
      headers: {
        Connection: 'Upgrade',
        Upgrade: 'websocket',
        'Sec-WebSocket-Key': randomBytes(16).toString('base64'),
        'Sec-WebSocket-Version': '13',
      },
    });
    req.on('upgrade', (_response, socket) => resolve({ socket }));
    req.on('response', (response) => {
      let body = '';
      response.on('data', (chunk: Buffer) => (body += chunk.toString()));
      response.on('end', () => resolve({ status: response.statusCode, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** Connects a legitimate client, retrying while the gateway still refuses handshakes (the raw sessions are going). */
async function connectOnceAdmitted(gw: GatewayHarness, clientId: string): Promise<Socket> {
  let admitted: Socket | undefined;
  await eventually(async () => {
    const socket = rawSocket(gw, { clientId });
    try {
      admitted = await whenConnected(socket);
      return true;
    } catch {
      socket.close();
      return false;
    }
  }, 15_000);
  return admitted!;
}

describe('security: engine.io connections that never join the namespace are bounded', () => {
  let gw: GatewayHarness;
  const rawSockets: NetSocket[] = [];
  const v2Sockets: V2Socket[] = [];
  afterEach(async () => {
    for (const socket of rawSockets.splice(0)) socket.destroy();
    for (const socket of v2Sockets.splice(0)) socket.close();
    await gw.close();
  });

  it('refuses raw handshakes past maxPendingConnections whatever maxClients says; a client connects once they go', async () => {
    gw = await startGateway({ limits: { maxClients: 20, maxPendingConnections: 5 } });
    // A burst at once: engine.io awaits an id before making each connection, so only counting what it let through
    // holds the bound here.
    const burst = await Promise.all(Array.from({ length: 40 }, () => pollingHandshake(gw.url)));
    const opened = burst.filter((handshake) => handshake.sid !== undefined);
    expect(opened).toHaveLength(5);
    expect(opened.every((handshake) => handshake.status === 200)).toBe(true);
    const refused = burst.filter((handshake) => handshake.sid === undefined);
    expect(refused.map((handshake) => handshake.status)).toEqual(Array(35).fill(403));
    expect(JSON.parse(refused[0]!.body)).toEqual({ code: 4, message: PENDING_CONNECTIONS_REFUSAL });

    // A raw WebSocket handshake and a legitimate client are refused too while the bound is reached.
    const ws = await webSocketHandshake(gw.url);
    if (ws.socket) rawSockets.push(ws.socket);
    expect(ws).toEqual({ status: 400, body: PENDING_CONNECTIONS_REFUSAL });
    await refusalOf(rawSocket(gw, { clientId: 'A' }));
    expect(await gw.service.counts()).toMatchObject({ clients: 0 });

    for (const { sid } of opened) await closePolling(gw.url, sid!);
    const a = await connectOnceAdmitted(gw, 'A');
    expect(await listClients(a)).toEqual(['A']);
  });

  it('counts raw WebSocket sessions too, and frees their places when they close', async () => {
    gw = await startGateway({ limits: { maxClients: 20, maxPendingConnections: 3 } });
    const sessions = await Promise.all(Array.from({ length: 3 }, () => webSocketHandshake(gw.url)));
    for (const { socket } of sessions) rawSockets.push(socket!);
    expect(sessions.every(({ socket }) => socket !== undefined)).toBe(true);
    expect(await webSocketHandshake(gw.url)).toEqual({ status: 400, body: PENDING_CONNECTIONS_REFUSAL });
    expect((await pollingHandshake(gw.url)).status).toBe(403);
    for (const socket of rawSockets.splice(0)) socket.destroy();
    const a = await connectOnceAdmitted(gw, 'A');
    expect(await listClients(a)).toEqual(['A']);
  });

  it('closes sessions that do not join within connectTimeout, which frees their places without any client action', async () => {
    gw = await startGateway({ limits: { maxPendingConnections: 2 }, serverOptions: { connectTimeout: 500 } });
    const sessions = await Promise.all([webSocketHandshake(gw.url), webSocketHandshake(gw.url)]);
    const closedByServer = sessions.map(({ socket }) => {
      rawSockets.push(socket!);
      // The server's WebSocket close frame (0x88: FIN + opcode 8). Every other frame here is short ASCII text.
      return new Promise<void>((resolve) => socket!.on('data', (data: Buffer) => data.includes(0x88) && resolve()));
    });
    expect((await pollingHandshake(gw.url)).status).toBe(403);
    // The server ends them itself: the client never closes them, nor answers the close.
    await Promise.all(closedByServer);
    const a = await connectOnceAdmitted(gw, 'A');
    expect(await listClients(a)).toEqual(['A']);
  });

  it('does not count clients that joined: far more than the bound connect one after another, 4.x and 2.x alike', async () => {
    gw = await startGateway({ limits: { maxPendingConnections: 2 } });
    for (let i = 0; i < 6; i++) await connectRaw(gw, `c${i}`);
    for (let i = 0; i < 4; i++) {
      const socket = ioV2(`${gw.url}?clientId=v${i}`, { transports: ['websocket'], forceNew: true, reconnection: false });
      v2Sockets.push(socket);
      await waitFor(socket, 'connect');
    }
    expect(await gw.service.counts()).toMatchObject({ clients: 10 });
    // Two raw sessions still fit: the ten joined clients hold no place.
    const raw = await Promise.all([pollingHandshake(gw.url), pollingHandshake(gw.url)]);
    expect(raw.map(({ status }) => status)).toEqual([200, 200]);
    expect((await pollingHandshake(gw.url)).status).toBe(403);
  });

  it('a connection refused by the connection middleware stays counted until it closes', async () => {
    gw = await startGateway({ limits: { maxPendingConnections: 2 } });
    // A raw polling session asks to join with an invalid clientId, gets CONNECT_ERROR, and stays open.
    const { sid } = await pollingHandshake(gw.url);
    const session = `${gw.url}/socket.io/?EIO=4&transport=polling&sid=${sid!}`;
    const posted = await fetch(session, { method: 'POST', body: '40{"clientId":"not valid"}' });
    expect(await posted.text()).toBe('ok');
    expect(await (await fetch(session)).text()).toMatch(/^44\{.*INVALID_CLIENT_ID/);
    expect((await pollingHandshake(gw.url)).status).toBe(200);
    expect((await pollingHandshake(gw.url)).status).toBe(403);
    await closePolling(gw.url, sid!);
    expect(await gw.service.counts()).toMatchObject({ clients: 0 });
    const a = await connectOnceAdmitted(gw, 'A');
    expect(await listClients(a)).toEqual(['A']);
  });

  it('sets connectTimeout to 10 s by default (Socket.IO: 45 s), longer for a slower authenticate, as given by the app', () => {
    expect(resolveP2pOptions({}).serverOptions.connectTimeout).toBe(10_000);
    expect(resolveP2pOptions({ authenticateTimeoutMs: 8_000 }).serverOptions.connectTimeout).toBe(13_000);
    expect(resolveP2pOptions({ serverOptions: { connectTimeout: 2_000 } }).serverOptions.connectTimeout).toBe(2_000);
    expect(resolveP2pOptions({}).limits.maxPendingConnections).toBe(1000);
    expect(resolveP2pOptions({ limits: { maxPendingConnections: false } }).limits.maxPendingConnections).toBeUndefined();
  });
});
