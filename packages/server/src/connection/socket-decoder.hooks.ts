import type { EventEmitter } from 'node:events';
import { Logger } from '@nestjs/common';
import { P2pError, P2pEvent } from 'nest-p2p-gateway-protocol';
import type { P2pSocket } from './p2p-connection.state.js';
import { MAX_DELIVERED_BINARIES, binaryCensus } from './binary-values.census.js';

/*
 * The hooks into Socket.IO's packet decoder (`socket.client.decoder`, not public API; present through 4.x), kept
 * together so that a Socket.IO upgrade is checked in one place: the inbound arity guard with the binary census, and
 * the relay-size meter.
 */

/** No event of the protocol takes more; Socket.IO spreads a packet's arguments, and tens of thousands overflow the stack. */
export const MAX_PACKET_ARGUMENTS = 16;

/** The most values an acknowledgement may carry back (as many as a relay may carry out). */
export const MAX_ACK_VALUES = 256;

/**
 * Stands in for the values of an acknowledgement that cannot be passed on (its receiver reports it): one the decoder
 * hook made, which no client can forge (JSON makes no instance of a class).
 */
export class RefusedAck {
  constructor(
    readonly code: 'INVALID_PAYLOAD' | 'PAYLOAD_TOO_LARGE' | 'TOO_MANY_ATTACHMENTS',
    readonly message: string,
  ) {}
}

const OVERSIZED_ACK = new RefusedAck('INVALID_PAYLOAD', `an acknowledgement may carry at most ${MAX_ACK_VALUES} values`);

/**
 * The attachments one inbound packet may have when the relay-size meter runs (socket.io-parser's default is 10): a
 * relay of 11 or more binary values is then answered with TOO_MANY_ATTACHMENTS instead of the parser closing the
 * connection. Bounded in memory by the meter, which keeps no attachment bytes past `maxMessageBytes`.
 */
export const MAX_INBOUND_ATTACHMENTS = 256;

/** socket.io-parser packet types: EVENT and BINARY_EVENT carry an event's arguments, ACK and BINARY_ACK an ack's. */
const EVENT = 2;
const ACK = 3;
const BINARY_EVENT = 5;
const BINARY_ACK = 6;

/** What the hooks keep on a connection's decoder: which of them run, and the engine.io packets of the one being decoded. */
interface HookedDecoder extends EventEmitter {
  /** socket.io-parser's options (4.x); `maxAttachments` is raised while the meter runs. */
  opts?: { maxAttachments?: number };
  p2pArityGuarded?: boolean;
  /** Set once the engine.io packets are watched: their bytes since the last decoded packet. */
  p2pPendingBytes?: number;
  /** How many of those engine.io packets were binary attachments. */
  p2pPendingBinaries?: number;
  /** The meter's `maxMessageBytes`: the largest acknowledgement passed on, and past it no attachment bytes are kept. */
  p2pMaxMessageBytes?: number;
}

/**
 * The one `decoded` listener of every hooked decoder, shared by all connections (the decoder is `this`): measures relay
 * packets as delivered (their size and binary values, tagged on the payload for the handler), refuses
 * acknowledgements that could not be passed on, and runs the arity guard when enabled on that decoder. Runs after
 * Socket.IO's own listener has queued the dispatch (`process.nextTick`) on the same packet, before any handler runs.
 * socket.io-parser has already turned BINARY_EVENT and BINARY_ACK into EVENT and ACK here: the attachment count comes
 * from the engine.io packets instead.
 */
function onDecoded(this: HookedDecoder, packet: { type: number; data?: unknown }): void {
  const type = packet.type;
  const data = packet.data;
  const pending = this.p2pPendingBytes;
  const binaries = this.p2pPendingBinaries ?? 0;
  if (pending !== undefined) this.p2pPendingBytes = this.p2pPendingBinaries = 0;
  if (!Array.isArray(data)) return;
  const isAck = type === ACK || type === BINARY_ACK;
  if ((type === EVENT || type === BINARY_EVENT) && pending !== undefined) tagRelaySize(data, pending, binaries);
  if (isAck && pending !== undefined) {
    const refused = refuseAck(data, pending, binaries, this.p2pMaxMessageBytes);
    if (refused) packet.data = [refused];
  }
  if (!this.p2pArityGuarded) return;
  if (isAck) {
    if (data.length > MAX_ACK_VALUES) packet.data = [OVERSIZED_ACK];
    return;
  }
  // data is [eventName, ...arguments]; Socket.IO appends the ack later, when it dispatches.
  if ((type === EVENT || type === BINARY_EVENT) && data.length > MAX_PACKET_ARGUMENTS + 1) data.length = MAX_PACKET_ARGUMENTS + 1;
}

/**
 * An acknowledgement's values as they would go on to the relay's sender, checked as a relay is: more binary values
 * than a client's parser accepts, or more bytes (aliased attachments counted as often as they will be sent) than
 * `maxMessageBytes`, and what stands in for them; undefined when they may go on.
 */
function refuseAck(data: unknown[], received: number, binaries: number, maxMessageBytes: number | undefined): RefusedAck | undefined {
  const census = binaries > 0 ? binaryCensus(data) : undefined;
  if (census && census.count > MAX_DELIVERED_BINARIES) {
    return new RefusedAck('TOO_MANY_ATTACHMENTS', tooManyAttachmentsMessage(census.count, 'acknowledgement'));
  }
  if (maxMessageBytes === undefined) return undefined;
  const bytes = census ? received + census.bytes - census.distinctBytes : received;
  if (bytes <= maxMessageBytes) return undefined;
  return new RefusedAck('PAYLOAD_TOO_LARGE', `the acknowledgement is ${bytes} bytes as delivered; the limit is ${maxMessageBytes}`);
}

export function tooManyAttachmentsMessage(count: number, what: string): string {
  return `the ${what} holds ${count} binary values as delivered (each reference counted); a client accepts at most ${MAX_DELIVERED_BINARIES}`;
}

/**
 * The connection's decoder, with the shared `decoded` listener and the engine.io `packet` listener added once (every
 * connection: the binary census holds whether limits are on or off); undefined if Socket.IO has none.
 */
function hookedDecoder(socket: P2pSocket): HookedDecoder | undefined {
  const decoder = (socket.client as unknown as { decoder?: HookedDecoder }).decoder;
  if (typeof decoder?.on !== 'function') return undefined;
  if (decoder.p2pArityGuarded === undefined && decoder.p2pPendingBytes === undefined) {
    decoder.on('decoded', onDecoded);
    watchEnginePackets(socket, decoder);
  }
  return decoder;
}

/**
 * Cuts the arguments of every decoded event packet of the connection down to MAX_PACKET_ARGUMENTS, and replaces an
 * acknowledgement of more than MAX_ACK_VALUES values with a RefusedAck, before Socket.IO dispatches them: a malformed
 * packet then reaches its handler as just malformed, and no handler or Socket.IO itself spreads an unbounded list.
 * Also tells the client why before Socket.IO closes a connection whose packet it could not decode at all (more
 * attachments than the decoder takes, say): a `P2P_ERROR` is written ahead of the close.
 * Relies on `socket.client.decoder` (not public API; present through 4.x): its `decoded` listeners run after Socket.IO
 * has queued the dispatch on the same arguments array.
 */
export function guardInboundArity(socket: P2pSocket): void {
  const decoder = hookedDecoder(socket);
  if (decoder) decoder.p2pArityGuarded = true;
  socket.on('error', onUndecodable);
}

/**
 * Socket.IO could not decode a packet of the connection and closes it next (its `Client.onerror`, which emits `error`
 * on the socket first): the client gets the reason, written before the close (engine.io flushes before closing).
 */
function onUndecodable(this: P2pSocket, cause: unknown): void {
  // A client's own event named "error" reaches this listener too (Socket.IO does not reserve the name), with values
  // decoded from JSON: never an Error.
  if (!(cause instanceof Error)) return;
  const message = `the server could not decode a packet (${cause.message}); the connection closes`;
  if (this.connected) this.emit(P2pEvent.ERROR, new P2pError('INVALID_PAYLOAD', message).toPayload());
}

// --- relay sizes ---------------------------------------------------------------------------------------------

/** Where the size of a relay packet is left for its handler, on the decoded payload object itself. */
const RELAY_BYTES = Symbol('p2pRelayBytes');
/** Where the count of its binary values as delivered is left, when it had any. */
const RELAY_BINARIES = Symbol('p2pRelayBinaries');

interface EnginePacket {
  type: string;
  data?: unknown;
}

/** The engine.io connection of a hooked socket knows the decoder its packets go to. */
interface MeteredEngineSocket extends EventEmitter {
  p2pDecoder?: HookedDecoder;
}

/** Kept in place of an attachment that arrives past `maxMessageBytes`: the packet is refused, its bytes are not needed. */
const DROPPED_ATTACHMENT = Buffer.alloc(0);

let warnedUnmeasurable = false;

/**
 * The one `packet` listener of every hooked engine.io connection (the connection is `this`): sums the bytes of the
 * messages that make up the Socket.IO packet being decoded, and counts its attachments. It runs before Socket.IO hands
 * the message to the decoder, so an attachment past `maxMessageBytes` is swapped for an empty one there: the packet
 * is refused by its size anyway, and a packet of many attachments holds no more than the limit in memory.
 */
function onEnginePacket(this: MeteredEngineSocket, packet: EnginePacket): void {
  const decoder = this.p2pDecoder;
  if (packet.type !== 'message' || decoder?.p2pPendingBytes === undefined) return;
  const data = packet.data;
  if (typeof data === 'string') {
    decoder.p2pPendingBytes += Buffer.byteLength(data);
    return;
  }
  decoder.p2pPendingBinaries = (decoder.p2pPendingBinaries ?? 0) + 1;
  decoder.p2pPendingBytes += (data as { byteLength?: number } | undefined)?.byteLength ?? 0;
  const limit = decoder.p2pMaxMessageBytes;
  if (limit !== undefined && decoder.p2pPendingBytes > limit) packet.data = DROPPED_ATTACHMENT;
}

function watchEnginePackets(socket: P2pSocket, decoder: HookedDecoder): void {
  decoder.p2pPendingBytes = decoder.p2pPendingBinaries = 0;
  const engine = socket.conn as unknown as MeteredEngineSocket;
  engine.p2pDecoder = decoder;
  engine.on('packet', onEnginePacket);
}

/**
 * Tags a decoded relay packet's payload (`data` is `[eventName, payload, ...]`) with its size as it will be delivered:
 * the bytes it arrived in, plus each attachment again for every further place the sender's placeholders named it
 * (Socket.IO's encoder sends each occurrence as an attachment of its own), and with that count of binary values.
 */
function tagRelaySize(data: unknown[], received: number, binaries: number): void {
  const name = data[0];
  if (name !== P2pEvent.EMIT && name !== P2pEvent.EMIT_ACKNOWLEDGE && name !== P2pEvent.FRAME && name !== P2pEvent.SIGNAL) return;
  const payload: unknown = data[1];
  if (typeof payload !== 'object' || payload === null || !Object.isExtensible(payload)) return;
  const tags = payload as Record<symbol, number>;
  if (binaries === 0) {
    tags[RELAY_BYTES] = received;
    return;
  }
  const census = binaryCensus(payload);
  tags[RELAY_BYTES] = received + census.bytes - census.distinctBytes;
  tags[RELAY_BINARIES] = census.count;
}

/**
 * Enforces `maxMessageBytes` on the connection's packets as they arrive: the relay-size meter (every relay packet is
 * measured as delivered, without serialising anything: the engine.io `packet` events of the connection, a Socket.IO
 * packet and then its binary attachments, are summed until the Socket.IO decoder emits the packet they make up, and
 * that sum is tagged on the relay payload object the handler receives later; handlers run one or two ticks after
 * decoding, when more packets may have arrived, so the tag travels with the payload rather than sitting in the
 * connection), the same bound on acknowledgements, and up to MAX_INBOUND_ATTACHMENTS attachments a packet.
 *
 * Two listeners shared by every connection do it (the sum lives on the decoder), nothing per socket; they go with the
 * engine.io connection and its decoder when it closes. The decoder is not public Socket.IO API
 * (`socket.client.decoder`, present through 4.x); without it sizes read as 0 and a warning is logged once.
 */
export function meterRelaySizes(socket: P2pSocket, maxMessageBytes: number | undefined): void {
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
  if (maxMessageBytes === undefined) return;
  decoder.p2pMaxMessageBytes = maxMessageBytes;
  if (decoder.opts && (decoder.opts.maxAttachments ?? 0) < MAX_INBOUND_ATTACHMENTS) decoder.opts.maxAttachments = MAX_INBOUND_ATTACHMENTS;
}

/** The size measured for a relay payload as it will be delivered; 0 when unknown (not an object, or not measured). */
export function relayBytesOf(payload: unknown): number {
  if (typeof payload !== 'object' || payload === null) return 0;
  return (payload as Record<symbol, number | undefined>)[RELAY_BYTES] ?? 0;
}

/**
 * A relay that would reach the peer with more binary values than its parser accepts: TOO_MANY_ATTACHMENTS, never sent
 * (the peer's client would drop its connection or crash). Undefined when it may go.
 */
export function tooManyAttachments(payload: unknown, event: string): P2pError | undefined {
  if (typeof payload !== 'object' || payload === null) return undefined;
  const count = (payload as Record<symbol, number | undefined>)[RELAY_BINARIES] ?? 0;
  if (count <= MAX_DELIVERED_BINARIES) return undefined;
  return new P2pError('TOO_MANY_ATTACHMENTS', tooManyAttachmentsMessage(count, 'message'), event);
}
