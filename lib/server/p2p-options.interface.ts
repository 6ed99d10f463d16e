import type { ServerOptions } from 'socket.io';
import type { DuplicateClientIdPolicy, PairingStore } from './stores/pairing-store.interface.js';

/** Options of `P2pModule.forRoot` / `forRootAsync`. Every option is optional; defaults are stated on each. */
export interface P2pModuleOptions {
  /**
   * Socket.IO namespace of the gateway.
   * @default '/'
   */
  namespace?: string;

  /**
   * Port of a Socket.IO server of its own. By default the gateway shares the Nest app's HTTP server.
   * @default 0 (share the app's HTTP server)
   */
  port?: number;

  /**
   * Passed to the Socket.IO `Server` (cors, path, transports, pingTimeout, ...). `allowEIO3` defaults to true here so
   * socket.io-client 2.x clients of the original plugin connect unchanged; set it false to turn them away.
   * @default { allowEIO3: true }
   */
  serverOptions?: Partial<ServerOptions>;

  /**
   * How long a target has to answer a pairing request before the source is refused with PAIR_TIMEOUT.
   * @default 10000
   */
  pairTimeoutMs?: number;

  /**
   * How long the server waits for the peer's acknowledgement of a `P2P_EMIT_ACKNOWLEDGE` relay before the sender
   * gets ACK_TIMEOUT.
   * @default 10000
   */
  ackTimeoutMs?: number;

  /** What a valid clientId looks like. */
  clientId?: ClientIdOptions;

  /**
   * When a clientId is held by a live connection: `refuse` turns the newcomer away with CLIENT_ID_TAKEN unless it
   * presents the holder's session token; `replace` lets the newest connection always win. Either way the replaced
   * connection is disconnected and its peer gets `P2P_DISCONNECT(clientId, 'REPLACED')`.
   * @default 'refuse'
   */
  duplicateClientId?: DuplicateClientIdPolicy;

  /**
   * How long the pairing of a client whose connection dropped (transport closed, ping timeout) is held for it to come
   * back with the same session token (or authenticated identity). Relays its peer sends meanwhile are held and
   * delivered in order when it is back; if it is not, the peer gets `P2P_DISCONNECT(clientId, 'DISCONNECTED')`.
   * Clients without a session token, and clients that disconnect on purpose, leave at once. 0 disables.
   * @default 5000
   */
  reconnectGraceMs?: number;

  /**
   * How many relays are held for a peer that is away (reconnect grace); past that the sender gets BUFFER_FULL.
   * @default 100
   */
  reconnectBufferSize?: number;

  /**
   * Where clients and pairings live.
   * @default a new InMemoryPairingStore (one process)
   */
  store?: PairingStore;

  /**
   * Identifies this gateway node in client records.
   * @default a random id per process
   */
  nodeId?: string;
}

export interface ClientIdOptions {
  /** @default 128 */
  maxLength?: number;
  /**
   * Characters allowed, tested against the whole id.
   * @default /^[A-Za-z0-9_.:@-]+$/
   */
  pattern?: RegExp;
}
