import { expect } from '@jest/globals';
import type { Socket } from 'socket.io-client';
import type { GatewayHarness } from '../support/gateway-harness.js';
import { rawSocket } from '../support/gateway-harness.js';
import { emitWithAck, whenConnected } from '../support/wire.js';

/** A raw socket whose handshake `auth` is exactly `auth` (no query), not yet connected. */
export function authSocket(gw: GatewayHarness, auth: Record<string, unknown>, query: Record<string, string> = {}): Socket {
  return rawSocket(gw, query, { auth });
}

/** A connected raw socket speaking protocol 2 with the given handshake `auth`. */
export function connectWithAuth(gw: GatewayHarness, auth: Record<string, unknown>): Promise<Socket> {
  return whenConnected(authSocket(gw, { p2pProtocol: 2, ...auth }));
}

/** `P2P_EMIT` with its (error-first) ack: resolves with the error payload, or null once delivered. */
export async function relay(socket: Socket, event: string, args: unknown[] = [], targetClientId?: string): Promise<unknown> {
  const payload = targetClientId === undefined ? { event, args } : { targetClientId, event, args };
  const [error] = await emitWithAck(socket, 'P2P_EMIT', payload);
  return error;
}

/** Collects the arguments of every `event` the socket receives from now on. */
export function collect(socket: Socket, event: string): unknown[][] {
  const seen: unknown[][] = [];
  socket.on(event, (...args: unknown[]) => void seen.push(args));
  return seen;
}

/** A wire error payload with `code` (and `event`, when given). */
export function wireError(code: string, event?: string): Record<string, unknown> {
  return expect.objectContaining(event === undefined ? { code } : { code, event }) as unknown as Record<string, unknown>;
}
