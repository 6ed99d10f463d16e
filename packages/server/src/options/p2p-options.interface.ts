import type { ServerOptions } from 'socket.io';
import type { P2pAuthenticateHook, P2pCanPairHook } from '../auth/p2p-auth.types.js';
import type { P2pLimitsOptions } from './p2p-limits.options.js';
import type { P2pRedisOptions } from './redis-cluster.options.js';
import type { P2pControlCenterOptions } from './control-center.options.js';
import type { P2pMetricsOptions } from './p2p-metrics.options.js';
import type { P2pDiscoveryOption } from './p2p-discovery.types.js';
import type { DuplicateClientIdPolicy, PairingStore } from '../stores/pairing-store.interface.js';
import type { P2pWebRtcOptions } from './webrtc.options.js';

/** Options of `P2pModule.forRoot` / `forRootAsync`. Every option is optional; defaults are stated on each. */
export interface P2pModuleOptions {
  /**
   * Socket.IO namespace of the gateway.
   * @default '/'
   */
  namespace?: string | undefined;

  /**
   * Port of a Socket.IO server of its own. By default the gateway shares the Nest app's HTTP server.
   * @default 0 (share the app's HTTP server)
   */
  port?: number | undefined;

  /**
   * Passed to the Socket.IO `Server` (cors, path, transports, pingTimeout, ...). `allowEIO3` defaults to true here so
   * socket.io-client 2.x clients of the original plugin connect unchanged; set it false to turn them away.
   * @default { allowEIO3: true }
   */
  serverOptions?: Partial<ServerOptions> | undefined;

  /**
   * How long a target has to answer a pairing request before the source is refused with PAIR_TIMEOUT.
   * @default 10000
   */
  pairTimeoutMs?: number | undefined;

  /**
   * How long the server waits for the peer's acknowledgement of a `P2P_EMIT_ACKNOWLEDGE` relay before the sender
   * gets ACK_TIMEOUT.
   * @default 10000
   */
  ackTimeoutMs?: number | undefined;

  /** What a valid clientId looks like. */
  clientId?: ClientIdOptions | undefined;

  /**
   * When a clientId is held by a live connection: `refuse` turns the newcomer away with CLIENT_ID_TAKEN unless it
   * presents the holder's session token; `replace` lets the newest connection always win. Either way the replaced
   * connection is disconnected and its peer gets `P2P_DISCONNECT(clientId, 'REPLACED')`.
   * @default 'refuse'
   */
  duplicateClientId?: DuplicateClientIdPolicy | undefined;

  /**
   * How long the pairing of a client whose connection dropped (transport closed, ping timeout) is held for it to come
   * back with the same session token (or authenticated identity). Relays its peer sends meanwhile are held and
   * delivered in order when it is back; if it is not, the peer gets `P2P_DISCONNECT(clientId, 'DISCONNECTED')`.
   * Clients without a session token, and clients that disconnect on purpose, leave at once. 0 disables.
   * @default 5000
   */
  reconnectGraceMs?: number | undefined;

  /**
   * How many relays are held for a peer that is away (reconnect grace); past that the sender gets BUFFER_FULL.
   * @default 100
   */
  reconnectBufferSize?: number | undefined;

  /**
   * Where clients and pairings live.
   * @default a new InMemoryPairingStore (one process)
   */
  store?: PairingStore | undefined;

  /**
   * Identifies this gateway node in client records.
   * @default a random id per process
   */
  nodeId?: string | undefined;

  /**
   * Authenticates each connection before anything else: receives the handshake and returns the authoritative clientId
   * (`'alice'` or `{clientId: 'alice'}`), or null/false to refuse with UNAUTHORIZED (so does throwing or taking longer
   * than `authenticateTimeoutMs`). A clientId the client claims (auth or query) is then only checked: it must be absent
   * or equal to the authenticated one, else UNAUTHORIZED. The id must still match `clientId`'s rules. Connections of
   * one identity count as one session: a newcomer takes the id over from its holder under either duplicate policy,
   * and the client's own `sessionToken` is ignored. Set it through `forRootAsync` to use injected services.
   * @default none (clients name themselves)
   */
  authenticate?: P2pAuthenticateHook | undefined;

  /**
   * Longest wait for `authenticate`; past it the connection is refused with UNAUTHORIZED.
   * @default 5000
   */
  authenticateTimeoutMs?: number | undefined;

  /**
   * Pairing policy, asked before the target is: `(source, target) => boolean | Promise<boolean>` with `{clientId}`
   * objects. Anything but `true` (and throwing, or taking longer than `canPairTimeoutMs`) refuses the source with
   * PAIR_FORBIDDEN; the target never hears of it.
   * @default none (any two free clients may pair)
   */
  canPair?: P2pCanPairHook | undefined;

  /**
   * Longest wait for `canPair`; past it the request is refused with PAIR_FORBIDDEN.
   * @default 5000
   */
  canPairTimeoutMs?: number | undefined;

  /**
   * Who may see whom: `'all'` (every client sees every connected client), `'none'` (`LIST_CLIENTS` is refused with
   * LIST_FORBIDDEN), a hook `(viewer, client) => boolean | Promise<boolean>` with `{clientId}` objects (the shape of
   * `canPair`), or `{forViewer(viewer)}` returning a synchronous predicate, asked once per request. With a hook or a
   * policy a client sees only what it allows, and `P2P_REGISTER` to a client it may not see answers TARGET_OFFLINE.
   * Not applied to `PairingService` or the control center.
   * @default 'all'
   */
  discovery?: P2pDiscoveryOption | undefined;

  /**
   * Longest wait for the discovery hook (for a whole page) or `forViewer`; past it the listing is refused with
   * LIST_FORBIDDEN, and a pairing request with TARGET_OFFLINE.
   * @default 5000
   */
  discoveryTimeoutMs?: number | undefined;

  /**
   * The most clients one `LIST_CLIENTS` examines and returns: protocol 1 clients get the first page; protocol 2+
   * clients may page on with a cursor. From 1 to 100000.
   * @default 1000
   */
  listPageSize?: number | undefined;

  /**
   * Rate, size and connection limits; see `P2pLimitsOptions` for each and its default. `false` turns them all off.
   * @default the defaults of P2pLimitsOptions
   */
  limits?: P2pLimitsOptions | false | undefined;

  /**
   * Run as one node of a cluster sharing clients and pairings over Redis: the store becomes a RedisPairingStore, the
   * Socket.IO Redis adapter is attached, and dead nodes are swept. Needs the optional peer dependencies `ioredis` and
   * `@socket.io/redis-adapter`. Not together with `store`.
   * @default none (one process, in memory)
   */
  redis?: P2pRedisOptions | undefined;

  /**
   * An operator's page and JSON API under `path`: clients, pairings, counts, unpair and disconnect actions, and a live
   * stream of lifecycle events. Never served without credentials: give a `token`, a `guard`, or both; with neither,
   * the module refuses to start. Its routes are registered only when it is on (with `forRootAsync`, pass
   * `controlCenter: true` beside the factory that turns it on).
   * @default off
   */
  controlCenter?: P2pControlCenterOptions | undefined;

  /**
   * Prometheus metrics (`prom-client`, an optional peer dependency), registered in `registry` (the host app's, or
   * prom-client's default one) and served at `path` under the control center's access rules. `true` takes every
   * default. Names and labels are listed in docs/operations.md.
   * @default off
   */
  metrics?: P2pMetricsOptions | boolean | undefined;

  /**
   * Lets paired protocol 3 clients upgrade to a direct WebRTC data channel, signalled through the gateway
   * (`P2P_SIGNAL`): the ICE servers each client gets (none by default: no public STUN server is ever configured),
   * TURN credentials minted per client from a shared secret, and an upgrade policy. See docs/webrtc.md.
   * @default off (`P2P_WEBRTC_CONFIG` answers `{allowed: false}` and `P2P_SIGNAL` is refused with UPGRADE_FORBIDDEN)
   */
  webrtc?: P2pWebRtcOptions | undefined;
}

export interface ClientIdOptions {
  /** @default 128 */
  maxLength?: number | undefined;
  /**
   * Characters allowed, tested against the whole id.
   * @default /^[A-Za-z0-9_.:@-]+$/
   */
  pattern?: RegExp | undefined;
}
