import type { Namespace, Socket } from 'socket.io';
import type { PeerRef } from '../pairing/client-transport.interface.js';
import type { PairingEngine } from '../pairing/pairing.engine.js';
import type { ResolvedP2pOptions } from '../options/p2p-options.resolve.js';
import type { P2pError, P2pErrorCode } from 'nest-p2p-gateway-protocol';
import type { ClientRecord, ResumedClient } from '../stores/pairing-store.interface.js';
import type { AckOutcome, OwedAcks } from './owed-acks.queue.js';

export type { AckOutcome };

/** Why a relay could not be handed to the peer's connection. */
export type RelayRefusal = 'PEER_DISCONNECTED' | 'PEER_SLOW';

/** A relay held for a peer that is reconnecting (reconnect grace), delivered in order when it is back. */
export interface HeldRelay {
  event: string;
  args: unknown[];
  /** Present for relays with ack. */
  outcome?: AckOutcome;
}

/**
 * One connection's rate and size checks (`ConnectionLimits`). Each returns the error to answer with, or undefined.
 * Declared here so that the connection state stays a leaf that the limits import, not the other way round.
 */
export interface ConnectionLimitChecks {
  checkRelayRate(event: string): P2pError | undefined;
  checkRelaySize(payload: unknown, event: string): P2pError | undefined;
  checkPairRequest(): P2pError | undefined;
  checkListRequest(): P2pError | undefined;
}

/** What every handler reaches through its socket: the gateway's shared parts. */
export interface GatewayContext {
  readonly engine: PairingEngine;
  readonly options: ResolvedP2pOptions;
  /** The connected sockets of the gateway's namespace, by socket id. */
  readonly namespace: Namespace;
  /** Counters for the metrics and the control center's charts; undefined while both are off. */
  readonly metrics?: RelayMetrics;
  reportFailure(event: string, error: unknown): void;
  /**
   * Delivers `event(...args)` to a connection on this node or (cluster) another. Returns why it could not: the
   * connection is nowhere, or it is over its buffered-bytes bound (a slow consumer).
   */
  relay(connectionId: string, event: string, args: unknown[]): RelayRefusal | undefined;
  /** Delivers `event(...args, callback)` to a connection wherever it is; `outcome` gets the results or the error. */
  relayWithAck(connectionId: string, event: string, args: unknown[], outcome: AckOutcome): void;
}

/** Per-connection state, kept in `socket.data.p2p`. */
export interface P2pConnection {
  readonly clientId: string;
  /** The protocol version declared at handshake; 1 for original clients. */
  readonly protocolVersion: number;
  readonly gateway: GatewayContext;
  /** The current peer, mirrored from the store by the pairing logic; read by the relay path. */
  peer?: PeerRef;
  /** Relay acks this connection owes to senders, oldest first; failed with PEER_DISCONNECTED if it leaves first. */
  owedAcks?: OwedAcks;
  /** The record this connection registered (state aside): written back if a Redis failover loses it (cluster). */
  readonly registration: Omit<ClientRecord, 'state'>;
  /** Whether this connection's session may come back to it (it has a session token or an authenticated identity). */
  readonly canResume: boolean;
  /** Relays held for the peer while it is away (reconnect grace), in order. */
  outbox?: HeldRelay[];
  /** Set when this connection took over a pairing held for its session; consumed when the socket connects. */
  resumed?: ResumedClient;
  /** Undoes the registration if the transport closes before Socket.IO completes the connection. */
  releaseIfNeverConnected?: () => void;
  /** This connection's rate and size limits; absent when every per-connection limit is off. */
  limits?: ConnectionLimitChecks;
}

export interface P2pSocketData {
  p2p: P2pConnection;
}

export type P2pSocket = Socket<
  Record<string, (...args: any[]) => void>,
  Record<string, (...args: any[]) => void>,
  Record<string, never>,
  P2pSocketData
>;

/**
 * What the hot path tells the node's counters (`GatewayMeter`, lib/server/metrics): declared here so that the
 * connection state stays a leaf. Each call site reads `conn.gateway.metrics?.`, so nothing runs while metrics are off.
 */
export interface RelayMetrics {
  /** A P2P_EMIT (or a P2P_FRAME of the reliable channel) of `bytes` passed every check. */
  relayed(sender: { readonly clientId: string; readonly peer?: PeerRef }, bytes: number, kind?: 'emit' | 'frame'): void;
  /** A P2P_EMIT_ACKNOWLEDGE passed every check; returns its start time, for `acked`. */
  relayedWithAck(sender: { readonly clientId: string; readonly peer?: PeerRef }, bytes: number): number;
  acked(startedAt: number, error: { code: P2pErrorCode } | undefined): void;
  /** A connection, pairing request or relay refused with `code`. */
  refused(code: P2pErrorCode): void;
  /** Wraps a connection middleware's `next` to count its outcome. */
  countAdmission(next: (err?: Error) => void): (err?: Error) => void;
  /** A frame between nodes, by its `ClusterMessage` kind. */
  cluster(direction: 'sent' | 'received', kind: number): void;
}
