import type { EventEmitter } from 'node:events';
import { Logger } from '@nestjs/common';
import { P2pEvent } from '../../protocol/index.js';
import type { P2pSocket } from './p2p-connection.state.js';

/*
 * The two hooks into Socket.IO's packet decoder (`socket.client.decoder`, not public API; present through 4.x), kept
 * together so that a Socket.IO upgrade is checked in one place: the inbound arity guard, and the relay-size meter.
 */

/** No event of the protocol takes more; Socket.IO spreads a packet's arguments, and tens of thousands overflow the stack. */
export const MAX_PACKET_ARGUMENTS = 16;

/** The most values an acknowledgement may carry back (as many as a relay may carry out). */
export const MAX_ACK_VALUES = 256;

/** Stands in for the values of an acknowledgement that carried more than MAX_ACK_VALUES; its receiver reports it. */
export const OVERSIZED_ACK = Object.freeze({ message: `an acknowledgement may carry at most ${MAX_ACK_VALUES} values` });

/** socket.io-parser packet types: EVENT and BINARY_EVENT carry an event's arguments, ACK and BINARY_ACK an ack's. */
const EVENT_PACKETS = new Set([2, 5]);
const ACK_PACKETS = new Set([3, 6]);

/**
 * Cuts the arguments of every decoded event packet of the connection down to MAX_PACKET_ARGUMENTS, and replaces an acknowledgement of more than MAX_ACK_VALUES values with OVERSIZED_ACK, before Socket.IO
 * dispatches them: a malformed packet then reaches its handler as just malformed, and no handler or Socket.IO itself
 * spreads an unbounded list. Relies on `socket.client.decoder` (not public API; present through 4.x):
 * its `decoded` listeners run after Socket.IO has queued the dispatch on the same arguments array.
 */
export function guardInboundArity(socket: P2pSocket): void {
  const decoder = (socket.client as unknown as { decoder?: EventEmitter & { p2pArityGuarded?: boolean } }).decoder;
  if (typeof decoder?.on !== 'function' || decoder.p2pArityGuarded) return;
  decoder.p2pArityGuarded = true;
  decoder.on('decoded', (packet: { type: number; data?: unknown }) => {
    const data = packet.data;
    if (!Array.isArray(data)) return;
    if (ACK_PACKETS.has(packet.type)) {
      if (data.length > MAX_ACK_VALUES) packet.data = [OVERSIZED_ACK];
      return;
    }
    // data is [eventName, ...arguments]; Socket.IO appends the ack later, when it dispatches.
    if (EVENT_PACKETS.has(packet.type) && data.length > MAX_PACKET_ARGUMENTS + 1) data.length = MAX_PACKET_ARGUMENTS + 1;
  });
}

// --- relay sizes ---------------------------------------------------------------------------------------------

/** Where the size of a relay packet is left for its handler, on the decoded payload object itself. */
const RELAY_BYTES = Symbol('p2pRelayBytes');

/** socket.io-parser packet types of events (text and binary). */
const EVENT = 2;
const BINARY_EVENT = 5;

interface EnginePacket {
  type: string;
  data?: unknown;
}

interface DecodedPacket {
  type: number;
  data?: unknown;
}

let warnedUnmeasurable = false;

function byteLength(data: unknown): number {
  if (typeof data === 'string') return Buffer.byteLength(data);
  return (data as { byteLength?: number } | undefined)?.byteLength ?? 0;
}

/**
 * Measures each relay packet as received, without serialising anything: the engine.io `packet` events of the
 * connection (a Socket.IO packet and then its binary attachments) are summed until the Socket.IO decoder emits the
 * packet they make up, and that sum is tagged on the relay payload object the handler receives later. Handlers run
 * one or two ticks after decoding, when more packets may have arrived, so the tag travels with the payload rather than
 * sitting in the connection.
 *
 * The decoder is not public Socket.IO API (`socket.client.decoder`, present through 4.x); without it sizes read as 0
 * and a warning is logged once.
 */
export function meterRelaySizes(socket: P2pSocket): () => void {
  const decoder = (socket.client as unknown as { decoder?: EventEmitter }).decoder;
  if (typeof decoder?.on !== 'function') {
    if (!warnedUnmeasurable) {
      warnedUnmeasurable = true;
      new Logger('P2pGateway').warn(
        'cannot measure relay sizes with this Socket.IO version: maxMessageBytes and relayBytes are not enforced',
      );
    }
    return () => undefined;
  }
  let pending = 0;
  const onPacket = (packet: EnginePacket) => {
    if (packet.type === 'message') pending += byteLength(packet.data);
  };
  const onDecoded = (packet: DecodedPacket) => {
    const bytes = pending;
    pending = 0;
    if (packet.type !== EVENT && packet.type !== BINARY_EVENT) return;
    const data = packet.data;
    if (!Array.isArray(data)) return;
    const name = data[0];
    if (name !== P2pEvent.EMIT && name !== P2pEvent.EMIT_ACKNOWLEDGE && name !== P2pEvent.FRAME && name !== P2pEvent.SIGNAL) return;
    const payload: unknown = data[1];
    if (typeof payload === 'object' && payload !== null && Object.isExtensible(payload)) {
      (payload as Record<symbol, number>)[RELAY_BYTES] = bytes;
    }
  };
  socket.conn.on('packet', onPacket);
  decoder.on('decoded', onDecoded);
  return () => {
    socket.conn.off('packet', onPacket);
    decoder.off('decoded', onDecoded);
  };
}

/** The size measured for a relay payload; 0 when unknown (not an object, or not measured). */
export function relayBytesOf(payload: unknown): number {
  if (typeof payload !== 'object' || payload === null) return 0;
  return (payload as Record<symbol, number | undefined>)[RELAY_BYTES] ?? 0;
}
