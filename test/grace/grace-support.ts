import { expect } from '@jest/globals';
import type { Subscription } from 'rxjs';
import { type Socket, io } from 'socket.io-client';
import { P2pClient, type P2pClientOptions } from '../../packages/client/src/index.js';
import type { P2pLifecycleEvent, P2pModuleOptions } from '../../packages/server/src/index.js';
import { type GatewayHarness, startGateway, waitFor } from '../support/gateway-harness.js';
import { emitWithAck, eventually, whenConnected } from '../support/wire.js';

/** Client reconnection delays small enough for a test, large enough to see the socket away for a moment. */
export const FAST_RECONNECT = { reconnection: true, reconnectionDelay: 50, reconnectionDelayMax: 100 } as const;

/**
 * A gateway and every lifecycle event it emits from the start. Its reconnect grace is long unless a test sets one: a
 * test that comes back within the grace must not depend on how fast a loaded machine reconnects; a test of what
 * happens past the grace sets a short one and waits for the events that end it.
 */
export interface GraceGateway extends GatewayHarness {
  events: P2pLifecycleEvent[];
}

export async function startGraceGateway(options: P2pModuleOptions = {}): Promise<GraceGateway> {
  const gw = await startGateway({ reconnectGraceMs: 10_000, pairTimeoutMs: 2000, ackTimeoutMs: 2000, ...options });
  const events: P2pLifecycleEvent[] = [];
  const subscription: Subscription = gw.service.events$.subscribe((event) => events.push(event));
  return {
    ...gw,
    events,
    async close() {
      subscription.unsubscribe();
      await gw.close();
    },
  };
}

/**
 * A raw protocol 2 socket with a session token (`undefined`: none) that reconnects by itself, with the same auth, after
 * a lost transport. Not yet connected: see `connectWithToken`, or `refusalOf` for one the server must turn away.
 */
export function tokenSocket(gw: GatewayHarness, clientId: string, token: string | undefined, extra: Parameters<typeof io>[1] = {}): Socket {
  const auth = token === undefined ? { clientId, p2pProtocol: 2 } : { clientId, sessionToken: token, p2pProtocol: 2 };
  const socket = io(gw.url, { auth, transports: ['websocket'], forceNew: true, ...FAST_RECONNECT, ...extra });
  gw.sockets.push(socket);
  return socket;
}

export function connectWithToken(
  gw: GatewayHarness,
  clientId: string,
  token: string | undefined,
  extra: Parameters<typeof io>[1] = {},
): Promise<Socket> {
  return whenConnected(tokenSocket(gw, clientId, token, extra));
}

/** Closes the socket's engine.io transport without a goodbye: the server sees 'transport close', as on a network drop. */
export function dropTransport(socket: Socket): void {
  socket.io.engine.close();
}

/**
 * Drops the transport and keeps the socket away (no automatic reconnection) until `comeBack()` is called, which
 * reconnects it with the same auth and resolves once it is connected again.
 */
export function dropAndHold(socket: Socket): { comeBack(): Promise<Socket> } {
  socket.io.reconnection(false);
  dropTransport(socket);
  return {
    async comeBack() {
      socket.io.reconnection(true);
      const back = whenConnected(socket);
      socket.connect();
      return back;
    },
  };
}

/** Resolves when the gateway has emitted a lifecycle event matching `pattern` (the server noticed the drop, ...). */
export async function lifecycle(gw: GraceGateway, pattern: Partial<P2pLifecycleEvent>): Promise<P2pLifecycleEvent> {
  let found: P2pLifecycleEvent | undefined;
  await eventually(() => {
    found = gw.events.find((event) => Object.entries(pattern).every(([key, value]) => (event as Record<string, unknown>)[key] === value));
    return found !== undefined;
  });
  return found!;
}

/** The types of the lifecycle events naming `clientId`, in order. */
export function lifecycleOf(gw: GraceGateway, clientId: string): string[] {
  return gw.events
    .filter((event) => ('clientId' in event && event.clientId === clientId) || ('sourceId' in event && event.sourceId === clientId))
    .map((event) => event.type);
}

/** The next P2P_SESSION payload on `socket` (sent first thing after each connection of a protocol 2 client). */
export function nextSession(socket: Socket): Promise<[{ resumed: boolean; peerId?: string }]> {
  return waitFor(socket, 'P2P_SESSION');
}

/** A P2pClient over a socket that reconnects by itself (same auth), connected. */
export async function reconnectingClient(gw: GatewayHarness, clientId: string, options: P2pClientOptions = {}): Promise<P2pClient<Socket>> {
  const socket = io(gw.url, { transports: ['websocket'], forceNew: true, autoConnect: false, ...FAST_RECONNECT });
  gw.sockets.push(socket);
  const client = new P2pClient(socket, { clientId, ...options });
  socket.connect();
  await whenConnected(socket);
  return client;
}

/**
 * Drops the transport of a socket that will reconnect by itself, as far as anyone listening to its 'disconnect' can
 * tell (a P2pClient goes 'resuming'), but keeps it away until `comeBack()`: reconnection is switched off only once
 * the 'disconnect' listeners have run, before the manager would schedule its first attempt.
 */
export function dropWhileReconnecting(socket: Socket): { comeBack(): Promise<Socket> } {
  socket.once('disconnect', () => socket.io.reconnection(false));
  dropTransport(socket);
  return {
    async comeBack() {
      socket.io.reconnection(true);
      const back = whenConnected(socket);
      socket.connect();
      return back;
    },
  };
}

/**
 * A and B paired: A drops and is held, B sends two notes (held for A; B is told they were accepted), then B drops too.
 * Resolves once the gateway holds both; what B held for A is kept for B's return.
 */
export async function bothAwayAfterHeldNotes(
  gw: GraceGateway,
  a: Socket,
  b: Socket,
): Promise<{ awayA: { comeBack(): Promise<Socket> }; awayB: { comeBack(): Promise<Socket> } }> {
  const awayCount = () => gw.events.filter((event) => event.type === 'away').length;
  const before = awayCount();
  const awayA = dropAndHold(a);
  await eventually(() => awayCount() === before + 1);
  expect(await emitWithAck(b, 'P2P_EMIT', { event: 'note', args: [1] })).toEqual([null]);
  expect(await emitWithAck(b, 'P2P_EMIT', { event: 'note', args: [2] })).toEqual([null]);
  const awayB = dropAndHold(b);
  await eventually(() => awayCount() === before + 2);
  return { awayA, awayB };
}
