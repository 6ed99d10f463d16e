import type { EventEmitter } from 'node:events';
import type { P2pSocket } from './p2p-connection.js';

/** No event of the protocol takes more; Socket.IO spreads a packet's arguments, and tens of thousands overflow the stack. */
export const MAX_PACKET_ARGUMENTS = 16;

/** socket.io-parser packet types carrying arguments: EVENT, ACK, BINARY_EVENT, BINARY_ACK. */
const ARGUMENT_PACKETS = new Set([2, 3, 5, 6]);

/**
 * Cuts the arguments of every decoded packet of the connection down to MAX_PACKET_ARGUMENTS (keeping a trailing ack),
 * before Socket.IO dispatches them: a malformed packet then reaches its handler as just malformed, and no handler or
 * Socket.IO itself spreads an unbounded list. Relies on `socket.client.decoder` (not public API; present through 4.x):
 * its `decoded` listeners run after Socket.IO has queued the dispatch on the same arguments array.
 */
export function guardInboundArity(socket: P2pSocket): void {
  const decoder = (socket.client as unknown as { decoder?: EventEmitter & { p2pArityGuarded?: boolean } }).decoder;
  if (typeof decoder?.on !== 'function' || decoder.p2pArityGuarded) return;
  decoder.p2pArityGuarded = true;
  decoder.on('decoded', (packet: { type: number; data?: unknown }) => {
    const data = packet.data;
    if (!ARGUMENT_PACKETS.has(packet.type) || !Array.isArray(data) || data.length <= MAX_PACKET_ARGUMENTS + 1) return;
    const last: unknown = data[data.length - 1];
    data.length = MAX_PACKET_ARGUMENTS;
    if (typeof last === 'function') data.push(last);
  });
}
