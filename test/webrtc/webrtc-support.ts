import { type Socket, io } from 'socket.io-client';
import { RTCPeerConnection } from 'node-datachannel/polyfill';
import {
  DirectPath,
  type DirectPathOptions,
  type DirectPathRole,
  type RTCPeerConnectionConstructor,
  type SignallingChannel,
  socketSignalling,
} from '../../packages/client/src/index.js';
import type { P2pError, SignalPayload } from '../../packages/protocol/src/index.js';
import { type GatewayHarness, waitFor } from '../support/gateway-harness.js';

/**
 * node-datachannel's W3C RTCPeerConnection, ICE bound to 127.0.0.1: the network rule (loopback only) holds without a
 * namespace. Every candidate it offers is checked by the tests (`candidateAddresses`).
 */
export const LoopbackPeerConnection: RTCPeerConnectionConstructor = RTCPeerConnection;
export const LOOPBACK_CONFIG = { bindAddress: '127.0.0.1' } as const;

/** A loopback RTCPeerConnection that records each peer connection it makes (for tests that close one on purpose). */
export function recordingPeerConnections(): { RTCPeerConnection: RTCPeerConnectionConstructor; connections: RTCPeerConnection[] } {
  const connections: RTCPeerConnection[] = [];
  class Recorded extends (LoopbackPeerConnection as unknown as new (config: RTCConfiguration) => RTCPeerConnection) {
    constructor(config: RTCConfiguration) {
      super(config);
      connections.push(this);
    }
  }
  return { RTCPeerConnection: Recorded as unknown as RTCPeerConnectionConstructor, connections };
}

/** A raw protocol 3 socket of a client, connected (the lead's P2pClient speaks protocol 3 later; the wire is the same). */
export async function protocol3Socket(harness: GatewayHarness, clientId: string, protocol = 3): Promise<Socket> {
  const socket = io(harness.url, {
    auth: { clientId, sessionToken: `token-${clientId}`, p2pProtocol: protocol },
    transports: ['websocket'],
    reconnection: false,
    forceNew: true,
  });
  harness.sockets.push(socket);
  await waitFor(socket, 'connect');
  return socket;
}

/** Pairs two connected sockets through the gateway: `a` asks, `b` consents. */
export async function pairSockets(a: Socket, b: Socket, bId: string): Promise<void> {
  b.once('P2P_REGISTER', (sourceId: string) => b.emit('P2P_REGISTER_SUCCESS', sourceId));
  const [ok, error] = await new Promise<[boolean, unknown]>((resolve) =>
    a.emit('P2P_REGISTER', bId, (...r: [boolean, unknown]) => resolve(r)),
  );
  if (!ok) throw new Error(`pairing failed: ${JSON.stringify(error)}`);
}

/** Signalling over the gateway that also records every signal this side sent (to read the candidates offered). */
export function recordingSignalling(socket: Socket, sent: SignalPayload[], errors: P2pError[]): SignallingChannel {
  const inner = socketSignalling(socket, (error) => errors.push(error));
  return {
    send(signal) {
      sent.push(signal);
      inner.send(signal);
    },
    subscribe: (listener) => inner.subscribe(listener),
  };
}

/** The connection address of every candidate line (`candidate:... <ip> <port> typ ...`). */
export function candidateAddresses(signals: SignalPayload[]): string[] {
  return signals.flatMap((signal) => (signal.type === 'candidate' ? [signal.candidate.split(' ')[4] ?? '?'] : []));
}

export interface PathSide {
  path: DirectPath;
  sent: SignalPayload[];
  errors: P2pError[];
  frames: object[];
}

export function directPath(socket: Socket, role: DirectPathRole, extra: Partial<DirectPathOptions> = {}): PathSide {
  const sent: SignalPayload[] = [];
  const errors: P2pError[] = [];
  const frames: object[] = [];
  const path = new DirectPath({
    role,
    signalling: recordingSignalling(socket, sent, errors),
    RTCPeerConnection: LoopbackPeerConnection,
    peerConnectionConfig: LOOPBACK_CONFIG,
    onFrame: (frame) => frames.push(frame),
    ...extra,
  });
  return { path, sent, errors, frames };
}

/** Resolves when `path` emits `event`; rejects on the other terminal event, or after `timeoutMs`. */
export function pathEvent(path: DirectPath, event: 'open' | 'close' | 'failed', timeoutMs = 15_000): Promise<string | undefined> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`timed out waiting for DirectPath "${event}" (state ${path.state})`)), timeoutMs);
    const done = (outcome: string) => (reason?: string) => {
      clearTimeout(timer);
      if (outcome === event) resolve(reason);
      else reject(new Error(`DirectPath (${path.role}) emitted "${outcome}" (${reason ?? ''}) while waiting for "${event}"`));
    };
    for (const name of ['open', 'close', 'failed'] as const) path.once(name, done(name));
  });
}

/** Waits until `predicate` holds, checking every 20 ms; rejects after `timeoutMs`. */
export async function until(predicate: () => boolean, what: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
