import { expect } from '@jest/globals';
import type { Socket } from 'socket.io-client';
import { type GatewayHarness, rawSocket, settle, waitFor } from './gateway-harness.js';

type RawOptions = Parameters<typeof rawSocket>[2];

export interface ConnectError extends Error {
  data?: { code?: string; message?: string };
}

/** Resolves when the socket connects; rejects with the connect_error if it is refused. */
export function whenConnected(socket: Socket, timeoutMs = 5000): Promise<Socket> {
  if (socket.connected) return Promise.resolve(socket);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => done(new Error('timed out waiting for connect')), timeoutMs);
    const done = (error?: Error) => {
      clearTimeout(timer);
      socket.off('connect', onConnect);
      socket.off('connect_error', onError);
      if (error) reject(error);
      else resolve(socket);
    };
    const onConnect = () => done();
    const onError = (error: Error) => done(error);
    socket.on('connect', onConnect);
    socket.on('connect_error', onError);
  });
}

/** Resolves with the connect_error of a socket the server must refuse; rejects if it connects instead. */
export async function refusalOf(socket: Socket): Promise<ConnectError> {
  try {
    await whenConnected(socket);
  } catch (error) {
    return error as ConnectError;
  }
  throw new Error(`socket was admitted, expected a connect_error`);
}

/** A raw socket.io-client 4 socket speaking the original protocol, identified by `?clientId=`, connected. */
export function connectRaw(gw: GatewayHarness, clientId: string, extra: RawOptions = {}): Promise<Socket> {
  return whenConnected(rawSocket(gw, { clientId }, extra));
}

/** A raw socket that declares protocol 2 (error-first relay acks) in its handshake auth, connected. */
export function connectRawV2(gw: GatewayHarness, clientId: string): Promise<Socket> {
  return whenConnected(rawSocket(gw, {}, { auth: { clientId, p2pProtocol: 2 } }));
}

/** Emits `event(...args, ack)` and resolves with the arguments the server passes to the ack. */
export function emitWithAck(socket: Socket, event: string, ...args: unknown[]): Promise<unknown[]> {
  return new Promise((resolve, reject) => {
    socket.timeout(5000).emit(event, ...args, (timedOut: Error | null, ...results: unknown[]) => {
      if (timedOut) reject(new Error(`no ack for "${event}"`));
      else resolve(results);
    });
  });
}

/** An ack that records whether (and with what) it was called, for acks that must NOT be called. */
export function spyAck(): { ack: (...args: unknown[]) => void; calls: unknown[][] } {
  const calls: unknown[][] = [];
  return { ack: (...args: unknown[]) => void calls.push(args), calls };
}

/** Every event a socket receives from now on, as `[event, ...args]`. */
export function recordEvents(socket: Socket): unknown[][] {
  const seen: unknown[][] = [];
  socket.onAny((event: string, ...args: unknown[]) => seen.push([event, ...args]));
  return seen;
}

/**
 * A round trip through the gateway on `socket` (LIST_CLIENTS and its answer): whatever the gateway sent this socket
 * before it answered has arrived when this resolves, however slow the machine.
 */
export async function roundTrip(socket: Socket): Promise<void> {
  await emitWithAck(socket, 'LIST_CLIENTS');
}

/**
 * Watches `sockets` for `event` (any event when none is named) from now on; start it before the action under test.
 * `verify()`, called once the action was answered, makes a round trip on each socket, so that anything the action
 * wrongly sent them has arrived by then, and asserts that nothing came. No quiet window decides it.
 */
export function watchNothing(sockets: Socket[], event?: string): { verify(): Promise<void> } {
  const logs = sockets.map((socket) => recordEvents(socket));
  return {
    async verify() {
      await Promise.all(sockets.map((socket) => roundTrip(socket)));
      const seen = logs.map((log) => (event === undefined ? log : log.filter(([name]) => name === event)));
      expect(seen).toEqual(sockets.map(() => []));
    },
  };
}

/** Asserts that `event` has not reached `socket` by the end of a round trip on it (the action was answered already). */
export function expectNoEvent(socket: Socket, event: string): Promise<void> {
  return watchNothing([socket], event).verify();
}

/** The next P2P_ERROR payload on `socket`. */
export async function nextP2pError(socket: Socket): Promise<Record<string, unknown>> {
  const [payload] = await waitFor<[Record<string, unknown>]>(socket, 'P2P_ERROR');
  return payload;
}

/** Pairs two raw sockets over the wire: `source` asks, `target` consents. */
export async function pairRaw(source: Socket, target: Socket, targetId: string): Promise<void> {
  const asked = waitFor<[string]>(target, 'P2P_REGISTER');
  const answer = emitWithAck(source, 'P2P_REGISTER', targetId);
  const [sourceId] = await asked;
  expect(await emitWithAck(target, 'P2P_REGISTER_SUCCESS', sourceId)).toEqual([true]);
  // Protocol 3 sources also learn their peer's version: `ack(true, null, {peerProtocol})`.
  expect(await answer).toEqual(expect.arrayContaining([true]));
  const [, error, info, ...rest] = await answer;
  if (error !== undefined) expect([error, info, rest]).toEqual([null, { peerProtocol: expect.any(Number) }, []]);
}

/**
 * Sends a pairing request and resolves once the target has been asked, with the source's pending ack answer
 * (wrapped, so awaiting this does not also wait for the answer).
 */
export async function askRaw(source: Socket, target: Socket, targetId: string): Promise<{ answer: Promise<unknown[]> }> {
  const asked = waitFor(target, 'P2P_REGISTER');
  const answer = emitWithAck(source, 'P2P_REGISTER', targetId);
  answer.catch(() => undefined); // a test that never awaits it must not leave an unhandled rejection
  await asked;
  return { answer };
}

/** LIST_CLIENTS over the wire, sorted so tests do not depend on connection order. */
export async function listClients(socket: Socket, filter?: { available?: boolean }): Promise<string[]> {
  const [ids] = filter ? await emitWithAck(socket, 'LIST_CLIENTS', filter) : await emitWithAck(socket, 'LIST_CLIENTS');
  return [...(ids as string[])].sort();
}

/** The server's view of every client's state, sorted by id: `{A: 'paired', B: 'free', ...}`. */
export async function states(gw: GatewayHarness): Promise<Record<string, string>> {
  const clients = await gw.service.listClients();
  return Object.fromEntries(clients.map((c) => [c.clientId, c.state] as const).sort(([a], [b]) => a.localeCompare(b)));
}

/** Polls `check` until it holds; for server-side effects of a client's disconnect, which no event announces. */
export async function eventually(check: () => Promise<boolean> | boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not reached in time');
    await settle(10);
  }
}

/** Asserts that `a` and `b` are still paired and relay between each other, in both directions. */
export async function expectHealthyPair(a: Socket, b: Socket, bId: string): Promise<void> {
  const atB = waitFor(b, 'health-check');
  a.emit('P2P_EMIT', { targetClientId: bId, event: 'health-check', args: ['ping', 1] });
  expect(await atB).toEqual(['ping', 1]);
  const atA = waitFor(a, 'health-check');
  b.emit('P2P_EMIT', { event: 'health-check', args: ['pong', 2] });
  expect(await atA).toEqual(['pong', 2]);
}

/** Pairs `source` with `target` by hand (the target consents); what each was told of the other (undefined: nothing). */
export async function pairAndRead(source: Socket, target: Socket, targetId: string): Promise<{ toSource: unknown; toTarget: unknown }> {
  const asked = waitFor<[string, unknown?]>(target, 'P2P_REGISTER');
  const answer = emitWithAck(source, 'P2P_REGISTER', targetId);
  const [sourceId, toTarget] = await asked;
  await emitWithAck(target, 'P2P_REGISTER_SUCCESS', sourceId);
  const [ok, , toSource] = await answer;
  expect(ok).toBe(true);
  return { toSource, toTarget };
}
