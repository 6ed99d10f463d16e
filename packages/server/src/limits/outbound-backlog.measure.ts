import type { Socket } from 'socket.io';

/** Past this many packets waiting in engine.io's buffer the connection counts as over any byte bound, unsummed. */
const MAX_COUNTED_PACKETS = 4096;

interface EnginePacketLike {
  data?: unknown;
}

interface EngineSocketLike {
  writeBuffer?: EnginePacketLike[];
  transport?: { socket?: { bufferedAmount?: number } };
}

function packetBytes(data: unknown): number {
  if (typeof data === 'string') return data.length;
  return (data as { byteLength?: number } | undefined)?.byteLength ?? 0;
}

/**
 * What the gateway holds for one connection and has not yet handed to the kernel: the packets in engine.io's write
 * buffer (they pile up there while the transport is busy, e.g. the client stops reading and the TCP window closes)
 * plus the bytes queued in the WebSocket (`ws`'s `bufferedAmount`: its sender and the Node socket's write queue).
 * Both are engine.io / ws internals (`writeBuffer`, `transport.socket`), present through engine.io 6; where they are
 * missing the measure reads 0 and the bound is not enforced. A healthy connection has an empty write buffer, so the
 * common case costs two property reads.
 */
export function outboundBytes(socket: Socket): number {
  const engine = socket.conn as unknown as EngineSocketLike;
  let bytes = engine.transport?.socket?.bufferedAmount ?? 0;
  const buffered = engine.writeBuffer;
  if (!buffered || buffered.length === 0) return bytes;
  if (buffered.length > MAX_COUNTED_PACKETS) return Number.POSITIVE_INFINITY;
  for (const packet of buffered) bytes += packetBytes(packet.data);
  return bytes;
}
