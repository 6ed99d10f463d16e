import type { EventEmitter } from 'node:events';
import { Logger } from '@nestjs/common';
import { P2pEvent } from 'nest-p2p-gateway-protocol';
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
const EVENT = 2;
const ACK = 3;
const BINARY_EVENT = 5;
const BINARY_ACK = 6;

/** What the hooks keep on a connection's decoder: which of them run, and the bytes of the packet being decoded. */
interface HookedDecoder extends EventEmitter {
  p2pArityGuarded?: boolean;
  /** Set once the relay-size meter runs: the bytes of the engine.io packets since the last decoded packet. */
  p2pPendingBytes?: number;
}

/**
 * The one `decoded` listener of every hooked decoder, shared by all connections (the decoder is `this`): the arity
 * guard and the relay-size meter, each when enabled on that decoder. Runs after Socket.IO's own listener has queued
 * the dispatch on the same arguments array, before any handler runs.
 */
function onDecoded(this: HookedDecoder, packet: { type: number; data?: unknown }): void {
  const type = packet.type;
  const data = packet.data;
  const pending = this.p2pPendingBytes;
  if (pending !== undefined) {
    this.p2pPendingBytes = 0;
    if ((type === EVENT || type === BINARY_EVENT) && Array.isArray(data)) tagRelaySize(data, pending);
  }
  if (!this.p2pArityGuarded || !Array.isArray(data)) return;
  if (type === ACK || type === BINARY_ACK) {
    if (data.length > MAX_ACK_VALUES) packet.data = [OVERSIZED_ACK];
    return;
  }
  // data is [eventName, ...arguments]; Socket.IO appends the ack later, when it dispatches.
  if ((type === EVENT || type === BINARY_EVENT) && data.length > MAX_PACKET_ARGUMENTS + 1) data.length = MAX_PACKET_ARGUMENTS + 1;
}

/** The connection's decoder, with the shared `decoded` listener added once; undefined if Socket.IO has none. */
function hookedDecoder(socket: P2pSocket): HookedDecoder | undefined {
  const decoder = (socket.client as unknown as { decoder?: HookedDecoder }).decoder;
  if (typeof decoder?.on !== 'function') return undefined;
  if (decoder.p2pArityGuarded === undefined && decoder.p2pPendingBytes === undefined) decoder.on('decoded', onDecoded);
  return decoder;
}

/**
 * Cuts the arguments of every decoded event packet of the connection down to MAX_PACKET_ARGUMENTS, and replaces an
 * acknowledgement of more than MAX_ACK_VALUES values with OVERSIZED_ACK, before Socket.IO dispatches them: a malformed
 * packet then reaches its handler as just malformed, and no handler or Socket.IO itself spreads an unbounded list.
 * Relies on `socket.client.decoder` (not public API; present through 4.x): its `decoded` listeners run after Socket.IO
 * has queued the dispatch on the same arguments array.
 */
export function guardInboundArity(socket: P2pSocket): void {
  const decoder = hookedDecoder(socket);
  if (decoder) decoder.p2pArityGuarded = true;
}

// --- relay sizes ---------------------------------------------------------------------------------------------

/** Where the size of a relay packet is left for its handler, on the decoded payload object itself. */
const RELAY_BYTES = Symbol('p2pRelayBytes');

interface EnginePacket {
  type: string;
  data?: unknown;
}

/** The engine.io connection of a metered socket knows the decoder its packets go to. */
interface MeteredEngineSocket extends EventEmitter {
  p2pDecoder?: HookedDecoder;
}

let warnedUnmeasurable = false;

function byteLength(data: unknown): number {
  if (typeof data === 'string') return Buffer.byteLength(data);
  return (data as { byteLength?: number } | undefined)?.byteLength ?? 0;
}

/** The one `packet` listener of every metered engine.io connection (the connection is `this`): sums message bytes. */
function onEnginePacket(this: MeteredEngineSocket, packet: EnginePacket): void {
  const decoder = this.p2pDecoder;
  if (packet.type === 'message' && decoder?.p2pPendingBytes !== undefined) decoder.p2pPendingBytes += byteLength(packet.data);
}

/** Tags a decoded relay packet's payload (`data` is `[eventName, payload, ...]`) with the bytes it arrived in. */
function tagRelaySize(data: unknown[], bytes: number): void {
  const name = data[0];
  if (name !== P2pEvent.EMIT && name !== P2pEvent.EMIT_ACKNOWLEDGE && name !== P2pEvent.FRAME && name !== P2pEvent.SIGNAL) return;
  const payload: unknown = data[1];
  if (typeof payload === 'object' && payload !== null && Object.isExtensible(payload)) {
    (payload as Record<symbol, number>)[RELAY_BYTES] = bytes;
  }
}

/**
 * Measures each relay packet as received, without serialising anything: the engine.io `packet` events of the
 * connection (a Socket.IO packet and then its binary attachments) are summed until the Socket.IO decoder emits the
 * packet they make up, and that sum is tagged on the relay payload object the handler receives later. Handlers run
 * one or two ticks after decoding, when more packets may have arrived, so the tag travels with the payload rather than
 * sitting in the connection.
 *
 * Two listeners shared by every connection do it (the sum lives on the decoder), nothing per socket; they go with the
 * engine.io connection and its decoder when it closes. The decoder is not public Socket.IO API
 * (`socket.client.decoder`, present through 4.x); without it sizes read as 0 and a warning is logged once.
 */
export function meterRelaySizes(socket: P2pSocket): void {
  const decoder = hookedDecoder(socket);
  if (!decoder) {
    if (!warnedUnmeasurable) {
      warnedUnmeasurable = true;
      new Logger('P2pGateway').warn(
        'cannot measure relay sizes with this Socket.IO version: maxMessageBytes and relayBytes are not enforced',
      );
    }
    return;
  }
  if (decoder.p2pPendingBytes !== undefined) return;
  decoder.p2pPendingBytes = 0;
  const engine = socket.conn as unknown as MeteredEngineSocket;
  engine.p2pDecoder = decoder;
  engine.on('packet', onEnginePacket);
}

/** The size measured for a relay payload; 0 when unknown (not an object, or not measured). */
export function relayBytesOf(payload: unknown): number {
  if (typeof payload !== 'object' || payload === null) return 0;
  return (payload as Record<symbol, number | undefined>)[RELAY_BYTES] ?? 0;
}
