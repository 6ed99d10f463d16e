import type { Socket as NetSocket } from 'node:net';
import type { Socket } from 'socket.io-client';
import type { P2pClient } from '../../packages/client/src/index.js';

/** Reads paused before the reset, as on a link that stalls and then dies. */
export const CUT_STALL_MS = 150;

/** The TCP socket under a connected socket.io-client 4 socket on the websocket transport (Node's `ws`). */
export function tcpOf(socket: Socket): NetSocket {
  const transport = socket.io.engine?.transport as unknown as { ws?: { _socket?: NetSocket } } | undefined;
  const tcp = transport?.ws?._socket;
  if (!tcp) throw new Error('network cut: the socket has no websocket TCP connection (connected, transports: [websocket]?)');
  return tcp;
}

/** How long a cut client may take to notice the loss of its connection before `cutConnection` fails. */
const NOTICE_BOUND_MS = 10_000;

/**
 * Cuts a client's TCP connection abruptly: reads are paused for `stallMs` (whatever the server writes meanwhile piles up
 * and is lost), then the connection is reset (RST), with no WebSocket or Socket.IO goodbye. Both ends see a transport
 * error; a socket with reconnection on reconnects by itself. Resolves once the client noticed the loss (its
 * 'disconnect'), not merely once the reset was sent: a test that checks the client's state right after a cut would
 * otherwise see it still paired, before the reset reached it, and count a resume that has not happened yet.
 */
export async function cutConnection(socket: Socket, stallMs = CUT_STALL_MS): Promise<void> {
  const tcp = tcpOf(socket);
  let bound: ReturnType<typeof setTimeout> | undefined;
  const noticed = new Promise<void>((resolve, reject) => {
    socket.once('disconnect', () => resolve());
    bound = setTimeout(
      () => reject(new Error(`network cut: the client did not notice the cut within ${NOTICE_BOUND_MS} ms`)),
      NOTICE_BOUND_MS,
    );
  });
  tcp.pause();
  await new Promise((resolve) => setTimeout(resolve, stallMs));
  tcp.resetAndDestroy();
  try {
    await noticed;
  } finally {
    clearTimeout(bound);
  }
}

const stalled = new Set<NetSocket>();

/**
 * Stops reading a client's connection (a slow consumer): the TCP window closes and the server's writes pile up.
 * `resumeReading` undoes it; `resetStalled` (after each test) resets whatever is still stalled, so closing the
 * gateway does not wait on connections that never read its goodbye.
 */
export function stopReading(socket: Socket): void {
  const tcp = tcpOf(socket);
  tcp.pause();
  stalled.add(tcp);
}

export function resumeReading(socket: Socket): void {
  const tcp = tcpOf(socket);
  stalled.delete(tcp);
  tcp.resume();
}

export function resetStalled(): void {
  for (const tcp of stalled) tcp.resetAndDestroy();
  stalled.clear();
}

/** What a receiver saw of a numbered stream, and what its sender was told. */
export interface StreamRecord {
  received: number[];
  errors: string[];
  undelivered: number;
}

/** Records the numbered messages `event(n)` that arrive at `receiver`, and every failure its sender is told of. */
export function recordStream(sender: P2pClient, receiver: P2pClient, event: string): StreamRecord {
  const record: StreamRecord = { received: [], errors: [], undelivered: 0 };
  receiver.socket.on(event, (n: number) => record.received.push(n));
  sender.on('error', (error) => record.errors.push(`${error.code}: ${error.message}`));
  sender.on('undelivered', (messages) => (record.undelivered += messages.length));
  return record;
}

/**
 * Sends `event(n, padding)` for n = 0..count-1 from `sender`, about `perSecond` a second, as an app honouring
 * backpressure does: when `emit` returns false it waits for room (`drained()`). `padding(n)` sets each message's size.
 */
export async function sendNumbered(
  sender: P2pClient,
  event: string,
  count: number,
  perSecond: number,
  padding: (n: number) => string = () => '',
): Promise<void> {
  const tickMs = 10;
  const perTick = Math.max(1, Math.round((perSecond * tickMs) / 1000));
  for (let n = 0; n < count;) {
    for (let i = 0; i < perTick && n < count; i++, n++) {
      if (!sender.emit(event, n, padding(n))) await sender.drained();
    }
    await new Promise((resolve) => setTimeout(resolve, tickMs));
  }
}

/** 0, 1, ..., count-1. */
export function sequence(count: number): number[] {
  return Array.from({ length: count }, (_, n) => n);
}
