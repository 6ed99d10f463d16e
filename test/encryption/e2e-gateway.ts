import type { Namespace, Socket as ServerSocket } from 'socket.io';
import type { P2pGatewayBase } from '../../packages/server/src/gateway/p2p.gateway.js';
import { P2P_GATEWAY } from '../../packages/server/src/tokens/p2p.constants.js';
import type { GatewayHarness } from '../support/gateway-harness.js';

/**
 * Test-only hooks into a running gateway's Socket.IO server: what a node's operator (or whoever took it over) could do.
 * Install them before the clients connect.
 */
export function gatewayNamespace(gw: GatewayHarness): Namespace {
  return gw.app.get<P2pGatewayBase>(P2P_GATEWAY).namespace;
}

/** Every engine.io packet the gateway receives or sends, as it is on the wire (text, or the binary attachments). */
export interface Spy {
  readonly packets: (string | Buffer)[];
  /** How many recorded packets hold `marker` (as UTF-8 bytes, in text or binary packets). */
  count(marker: string): number;
  /** Bytes recorded, both ways. */
  bytes(): number;
}

export function spyOn(gw: GatewayHarness): Spy {
  const packets: (string | Buffer)[] = [];
  const record = (packet: { data?: unknown }) => {
    const { data } = packet;
    if (typeof data === 'string') packets.push(data);
    else if (Buffer.isBuffer(data)) packets.push(Buffer.from(data));
    else if (data instanceof ArrayBuffer) packets.push(Buffer.from(data));
    else if (ArrayBuffer.isView(data)) packets.push(Buffer.from(data.buffer, data.byteOffset, data.byteLength));
  };
  // The engine.io server under the namespace: every connection, every packet in (`packet`) and out (`packetCreate`).
  gatewayNamespace(gw).server.engine.on(
    'connection',
    (socket: { on(event: string, listener: (packet: { data?: unknown }) => void): void }) => {
      socket.on('packet', record);
      socket.on('packetCreate', record);
    },
  );
  return {
    packets,
    count: (marker) =>
      packets.filter((packet) => (typeof packet === 'string' ? packet.includes(marker) : packet.includes(Buffer.from(marker)))).length,
    bytes: () => packets.reduce((sum, packet) => sum + (typeof packet === 'string' ? Buffer.byteLength(packet) : packet.byteLength), 0),
  };
}

/** A frame as the gateway reads it from a client, before it relays it: the hook may change it in place. */
export type FrameHook = (from: string, frame: Record<string, unknown>) => void | Promise<void>;

/**
 * Runs `hook` on every P2P_FRAME a client sends, before the gateway relays it (a Socket.IO middleware on each server
 * socket): the gateway's own view of the pairing's frames, which a malicious node may read, rewrite or keep.
 */
export function onFrames(gw: GatewayHarness, hook: FrameHook): void {
  gatewayNamespace(gw).on('connection', (socket: ServerSocket) => {
    socket.use((packet, next) => {
      const [event, frame] = packet;
      const from = (socket.data as { p2p?: { clientId?: string } }).p2p?.clientId ?? '?';
      if (event !== 'P2P_FRAME' || typeof frame !== 'object' || frame === null) return next();
      const done = hook(from, frame as Record<string, unknown>);
      if (done instanceof Promise) void done.then(() => next(), next);
      else next();
    });
  });
}

/** The server socket of `clientId` on the gateway: to send it frames the peer never sent. */
export function serverSocketOf(gw: GatewayHarness, clientId: string): ServerSocket | undefined {
  return [...gatewayNamespace(gw).sockets.values()].find(
    (socket) => (socket.data as { p2p?: { clientId?: string } }).p2p?.clientId === clientId,
  );
}

/** A pairing event as the gateway reads it from a client (`[event, ...args, ack]`): the hook may change it in place. */
export type ControlHook = (from: string, packet: unknown[]) => void;

/** Runs `hook` on every event but P2P_FRAME a client sends, before the gateway handles it (pairing requests, consents). */
export function onControl(gw: GatewayHarness, hook: ControlHook): void {
  gatewayNamespace(gw).on('connection', (socket: ServerSocket) => {
    socket.use((packet, next) => {
      const from = (socket.data as { p2p?: { clientId?: string } }).p2p?.clientId ?? '?';
      if (packet[0] !== 'P2P_FRAME') hook(from, packet);
      next();
    });
  });
}

/**
 * A middle that hides the e2e pre-commitment (docs/e2e.md): it drops the commitment from every pair request, so the
 * target is asked as by a gateway without the ability and the key exchange runs in the channel.
 */
export const stripCommitment: ControlHook = (_from, packet) => {
  const extra = packet[2];
  if (packet[0] === 'P2P_REGISTER' && typeof extra === 'object' && extra !== null) packet.splice(2, 1);
};
