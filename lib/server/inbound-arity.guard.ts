import type { EventEmitter } from 'node:events';
import type { P2pSocket } from './p2p-connection.js';

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
