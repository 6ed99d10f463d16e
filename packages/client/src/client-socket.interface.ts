/**
 * What `P2pClient` uses of a socket.io-client `Socket`, and nothing more. Declared structurally, not imported, so a
 * socket of any socket.io-client 4.x fits, from its ESM or its CommonJS build (their `Socket` classes are distinct
 * types to TypeScript: protected members make them nominal), and whatever its typed events: event names and
 * listeners are `any` so that a typed `Socket<ServerEvents, ClientEvents>` fits too (P2pClient listens for its own
 * `P2P_*` events, which a typed socket does not declare).
 */
export interface P2pClientSocket {
  /** Whether the socket is connected to its namespace. */
  readonly connected: boolean;
  /** The handshake's `auth`: an object, or a function that hands one to its callback. P2pClient adds its fields. */
  auth: { [key: string]: any } | ((cb: (data: object) => void) => void);
  /** The socket's Manager: P2pClient listens for `reconnect_failed` and reads whether reconnection is on. */
  readonly io: P2pClientManager;
  on(event: any, listener: any): unknown;
  once(event: any, listener: any): unknown;
  off(event: any, listener: any): unknown;
  emit(event: any, ...args: any[]): unknown;
  /** The listeners of an event: the reliable channel hands the peer's messages to them, as the socket would. */
  listeners(event: any): Array<(...args: any[]) => void>;
  /** The catch-all listeners (`onAny`), called first, as the socket does. */
  listenersAny(): Array<(...args: any[]) => void>;
  /** `socket.timeout(ms).emit(event, ...args, (err, ...results) => ...)`. */
  timeout(timeoutMs: number): { emit(event: any, ...args: any[]): unknown };
  connect(): unknown;
  disconnect(): { connect(): unknown };
}

/** What `P2pClient` uses of a socket.io-client `Manager` (`socket.io`). */
export interface P2pClientManager {
  on(event: 'reconnect_failed', listener: () => void): unknown;
  off(event: 'reconnect_failed', listener: () => void): unknown;
  reconnection(): boolean;
}
