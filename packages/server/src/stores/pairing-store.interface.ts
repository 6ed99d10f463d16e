import type { P2pTransport } from 'nest-p2p-gateway-protocol';

/** Where a client stands in the pairing lifecycle. */
export type PairingState =
  | { kind: 'free' }
  /** This client asked `otherId` to pair (request `requestId`) and waits for the answer. */
  | { kind: 'asking'; requestId: string; otherId: string }
  /** `otherId` asked this client to pair (request `requestId`); its answer is awaited. */
  | { kind: 'asked'; requestId: string; otherId: string }
  /** `transport`: the path this client last reported for its traffic (absent: the relay, as every pairing starts). */
  | { kind: 'paired'; peerId: string; since: number; transport?: P2pTransport };

/** One connected client as the store knows it. */
export interface ClientRecord {
  clientId: string;
  /** The Socket.IO socket id of the connection that holds the clientId. */
  connectionId: string;
  /** SHA-256 of the client's session token, when it sent one. */
  sessionTokenHash?: string;
  /** The gateway node that holds the connection. */
  nodeId: string;
  /** The relay protocol version the client declared at handshake. */
  protocolVersion: number;
  /** Protocol 3: the client declared at handshake that it upgrades pairings to WebRTC (`auth.p2pWebRtc`). */
  webrtc?: boolean;
  /**
   * Protocol 3: the client declared at handshake that it takes the e2e key exchange's pre-commitment with its pairing
   * (`auth.p2pE2eCommit`, docs/e2e.md): only then does its pairing request or consent prompt carry it.
   */
  e2eCommit?: boolean;
  connectedAt: number;
  state: PairingState;
  /** Set while the connection is gone but its pairing is held for it to resume (reconnect grace): until when. */
  detachedUntil?: number;
}

/** How `registerClient` treats a clientId that a live connection holds already. */
export type DuplicateClientIdPolicy = 'refuse' | 'replace';

/** What removing a client freed: the other side of its pairing or of its open request. */
export interface RemovedClient {
  record: ClientRecord;
  /** The state the client left. */
  leftState: PairingState;
  /** The client that state named (its peer, or the other side of its open request), now free. */
  other?: ClientRecord;
}

/** A pairing taken over by a new connection of the same session. */
export interface ResumedClient {
  /** The record as it is now, held by the new connection. */
  record: ClientRecord;
  /** The connection that held the id before (gone, or still open and to be closed). */
  previousConnectionId: string;
  /** The peer, as it is now. */
  peer?: ClientRecord;
}

export type RegisterOutcome = { ok: true; displaced?: RemovedClient; resumed?: ResumedClient } | { ok: false; code: 'CLIENT_ID_TAKEN' };

/** What `detachClient` did: held the pairing for the client to resume, or removed the client outright. */
export type DetachOutcome = { detached: ClientRecord; peer?: ClientRecord; removed?: never } | { removed: RemovedClient; detached?: never };

export type ReserveOutcome =
  /** The request is open: the source is `asking`, the target `asked`. */
  | { ok: true; source: ClientRecord; target: ClientRecord; crossed?: undefined; already?: undefined }
  /**
   * The request crossed `crossed`, the target's own open request to the source: the two are paired now (both records
   * in state `paired`), and `crossed` is closed as consented.
   */
  | { ok: true; source: ClientRecord; target: ClientRecord; crossed: PairingRequest; already?: undefined }
  /** The source is paired with the target already (its consent to the target's request was read first): no change. */
  | { ok: true; source: ClientRecord; target: ClientRecord; crossed?: undefined; already: true }
  | { ok: false; code: 'TARGET_OFFLINE' | 'SOURCE_BUSY' | 'TARGET_BUSY' | 'SELF_PAIRING' | 'NOT_CONNECTED' };

export type ConfirmOutcome = { ok: true; source: ClientRecord; target: ClientRecord } | { ok: false; code: 'NO_PENDING_REQUEST' };

export interface PairingRequest {
  requestId: string;
  sourceId: string;
  targetId: string;
}

export interface Pairing {
  a: ClientRecord;
  b: ClientRecord;
  since: number;
}

/**
 * Where a walk over the connected clients stands, in the store's connection sequence numbers: every registration
 * of a new client takes the next number (a resumed pairing keeps its own).
 */
export interface ClientListPosition {
  /** The last position examined already: the next page starts after it. */
  after: number;
  /**
   * The last position registered when the walk started: clients registered later are left out, so a client that
   * leaves and comes back during the walk (taking a new number) is never listed twice.
   */
  until: number;
}

/** One page of a walk over the connected clients, in connection order. */
export interface ClientPageQuery {
  /** Only free clients (neither paired nor in a pairing request). */
  available?: boolean;
  /** Where the previous page ended (its `next`); absent for the first page. */
  from?: ClientListPosition;
  /** How many clients to examine at most; a whole number of at least 1. */
  limit: number;
}

export interface ClientPage<T> {
  items: T[];
  /** Where the next page starts; absent when no client is left to examine. */
  next?: ClientListPosition;
}

export interface StoreCounts {
  clients: number;
  pairings: number;
  pendingRequests: number;
}

/**
 * The single source of truth for clients and pairings. Every method is atomic: concurrent calls, from this process or
 * (for a shared store) from other nodes, see each other's effects whole or not at all. Records returned are copies.
 */
export interface PairingStore {
  /**
   * Adds a connected client. When a connection (live or detached) holds the id already:
   * - same session token hash and the holder is paired: the newcomer takes the record over, pairing included, and the
   *   outcome says `resumed` (the holder's `detachedUntil` is cleared);
   * - same session token hash otherwise, or policy `replace`: the holder is removed as by `removeClient` and returned
   *   as `displaced`;
   * - otherwise the newcomer is refused with CLIENT_ID_TAKEN and nothing changes.
   */
  registerClient(record: ClientRecord, policy: DuplicateClientIdPolicy): Promise<RegisterOutcome>;

  /**
   * The connection `connectionId` of `clientId` dropped. A paired client with a session token hash keeps its record and
   * pairing, marked detached until `until`; any other is removed as by `removeClient`. Undefined (and no change) when
   * another connection holds the id or the id is unknown.
   */
  detachClient(clientId: string, connectionId: string, until: number): Promise<DetachOutcome | undefined>;

  /**
   * Removes the client if `connectionId` still holds its id, freeing the client its pairing or open request named.
   * Returns undefined (and changes nothing) when another connection holds the id or the id is unknown.
   */
  removeClient(clientId: string, connectionId: string): Promise<RemovedClient | undefined>;

  /** The client holding `clientId`, if connected. */
  getClient(clientId: string): Promise<ClientRecord | undefined>;

  /** Connected clients in connection order; with `available`, only the free ones. */
  listClients(filter?: { available?: boolean }): Promise<ClientRecord[]>;

  /**
   * One page of clientIds in connection order, from `query.from` (or the start): at most `query.limit` ids, with
   * `next` when clients registered up to the walk's `until` remain after them. Its cost grows with `limit`, not with
   * the number of clients connected. Over a whole walk (each page read with the previous page's `next`), a client
   * present from the first page to the last is listed exactly once, and no client is listed twice.
   */
  listClientIds(query: ClientPageQuery): Promise<ClientPage<string>>;

  /** `listClientIds`, with the records (copies) instead of the ids. */
  listClientRecords(query: ClientPageQuery): Promise<ClientPage<ClientRecord>>;

  /**
   * Opens a pairing request when both clients are connected and free: the source becomes `asking`, the target `asked`.
   * When the target is asking the source already (crossing requests), pairs the two at once instead and returns that
   * request as `crossed`; when the two are paired with each other already, answers `already` and changes nothing.
   * Refuses with the first failing check: SELF_PAIRING, NOT_CONNECTED (source), TARGET_OFFLINE,
   * SOURCE_BUSY, TARGET_BUSY.
   */
  reservePairing(request: PairingRequest): Promise<ReserveOutcome>;

  /** Turns the open request `requestId` into a pairing. NO_PENDING_REQUEST if that request is not open any more. */
  confirmPairing(request: PairingRequest): Promise<ConfirmOutcome>;

  /** Closes the open request `requestId`, freeing both clients. False if that request is not open any more. */
  cancelPairing(request: PairingRequest): Promise<boolean>;

  /** Ends the pairing of `clientId`, freeing both; returns both records, or undefined if it was not paired. */
  unpair(clientId: string): Promise<UnpairOutcome | undefined>;

  /**
   * Records the path `clientId`'s traffic takes now (relay or direct), in its paired state: false (and no change) when
   * `connectionId` does not hold the id or the client is not paired. A new pairing starts without it (the relay).
   */
  setTransport(clientId: string, connectionId: string, transport: P2pTransport): Promise<boolean>;

  /** Every current pairing, once each. */
  listPairings(): Promise<Pairing[]>;

  counts(): Promise<StoreCounts>;

  /**
   * Optional, for a store whose state lives in this process (the in-memory store): the pairing hot path's calls,
   * answered synchronously. Each returns what the method of the same name resolves to, with the same effect; the
   * engine uses them when present, so a pair + unpair makes no promise and waits no microtask turn. The store stays
   * the single source of truth: these are the same operations on the same state, only not wrapped in a promise. The
   * records they return may be the store's own rather than copies: a caller reads them in the same synchronous step,
   * and never changes or keeps them.
   */
  readonly immediate?: ImmediatePairingCalls;
}

/** The synchronous form of the store calls a pairing and an unpairing make (see `PairingStore.immediate`). */
export interface ImmediatePairingCalls {
  getClient(clientId: string): ClientRecord | undefined;
  reservePairing(request: PairingRequest): ReserveOutcome;
  confirmPairing(request: PairingRequest): ConfirmOutcome;
  cancelPairing(request: PairingRequest): boolean;
  unpair(clientId: string): UnpairOutcome | undefined;
}

/** Both sides of a pairing that `unpair` ended, as they are now (free). */
export interface UnpairOutcome {
  record: ClientRecord;
  peer: ClientRecord;
}

/**
 * Whether a store call failed for want of the store: the error carries code STORE_UNAVAILABLE (as
 * RedisStoreUnavailableError does). The change it asked for did not happen, or its outcome is unknown; the caller may
 * retry, and tells a client STORE_UNAVAILABLE rather than INTERNAL_ERROR.
 */
export function isStoreUnavailable(cause: unknown): boolean {
  return (cause as { code?: unknown } | null)?.code === 'STORE_UNAVAILABLE';
}
