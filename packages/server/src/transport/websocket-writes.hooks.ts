import type { EventEmitter } from 'node:events';
import type { P2pSocket } from '../connection/p2p-connection.state.js';

/*
 * One write system call for each flush of engine.io's write buffer, rather than one per packet.
 *
 * While a WebSocket write is in progress, engine.io keeps what its connection is asked to send in a write buffer, and
 * hands it to the transport in one `send(packets)` once the write is done. The WebSocket transport writes each packet
 * as a frame of its own (`ws` sends every frame straight to the TCP socket), so a flush of ten packets costs ten
 * system calls. Corking the TCP socket around that one `send` lets Node hand the frames to the kernel in one `writev`:
 * the same bytes in the same order, at the same moment (the flush is synchronous), with the same write callbacks.
 * Nothing waits for it: a packet sent alone goes out as before. Under load, where flushes of several packets are
 * common, this is a large share of the gateway's system calls (see docs/benchmarks.md).
 *
 * Relies on engine.io's WebSocket transport (`conn.transport`, its `send(packets)` and `ws` socket) and on `ws`'s TCP
 * socket (`_socket`): not public API, present through engine.io 6 and ws 8. Where any is missing, writes go as they
 * would without the hook.
 */

interface CorkableSocket {
  cork(): void;
  uncork(): void;
}

interface WebSocketTransport {
  readonly name: string;
  send(packets: unknown[]): void;
  /** The `ws` WebSocket, whose `_socket` is its TCP socket. */
  readonly socket?: { readonly _socket?: Partial<CorkableSocket> };
}

interface HookedTransport extends WebSocketTransport {
  p2pClassSend: WebSocketTransport['send'];
}

interface EngineConnection extends EventEmitter {
  readonly transport?: WebSocketTransport;
}

/** The `send` of every hooked transport (`this`), shared: the class's own `send`, with the TCP socket corked. */
function sendCorked(this: HookedTransport, packets: unknown[]): void {
  const send = this.p2pClassSend;
  const tcp = this.socket?._socket;
  if (packets.length < 2 || typeof tcp?.cork !== 'function' || typeof tcp.uncork !== 'function') {
    return send.call(this, packets);
  }
  tcp.cork();
  try {
    send.call(this, packets);
  } finally {
    // Node writes every frame buffered since cork() at once (ws's own cork/uncork around a frame nests inside).
    tcp.uncork();
  }
}

function hookTransport(transport: WebSocketTransport | undefined): void {
  if (transport?.name !== 'websocket' || typeof transport.send !== 'function') return;
  if (Object.prototype.hasOwnProperty.call(transport, 'send')) return;
  // The class's own send, kept on the transport: read once here rather than from the prototype on every flush.
  (transport as HookedTransport).p2pClassSend = transport.send;
  transport.send = sendCorked;
}

/** The one `upgrade` listener of every connection that started on polling (the connection is `this`). */
function onUpgrade(this: EngineConnection, transport: WebSocketTransport): void {
  hookTransport(transport);
}

/**
 * Makes the WebSocket transport of `socket`'s engine.io connection write each flush in one system call; a connection
 * that starts on HTTP long-polling is hooked when it upgrades. Idempotent: namespaces sharing a connection hook it once.
 */
export function coalesceWebSocketWrites(socket: P2pSocket): void {
  const engine = socket.conn as unknown as EngineConnection;
  if (engine.transport?.name === 'websocket') return hookTransport(engine.transport);
  if (!engine.listeners('upgrade').includes(onUpgrade)) engine.on('upgrade', onUpgrade);
}
