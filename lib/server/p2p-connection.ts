import type { Namespace, Socket } from 'socket.io';
import type { PeerRef } from './client-transport.interface.js';
import type { PairingEngine } from './pairing.engine.js';
import type { ResolvedP2pOptions } from './p2p-options.resolve.js';
import type { P2pError } from '../protocol/index.js';
import type { AckOutcome, HeldRelay, RelayRefusal } from './peer-delivery.js';
import type { ResumedClient } from './stores/pairing-store.interface.js';
import type { ConnectionLimits } from './limits/connection-limits.js';
import type { GatewayMeter } from './metrics/gateway.meter.js';

/** What every handler reaches through its socket: the gateway's shared parts. */
export interface GatewayContext {
  readonly engine: PairingEngine;
  readonly options: ResolvedP2pOptions;
  /** The connected sockets of the gateway's namespace, by socket id. */
  readonly namespace: Namespace;
  /** Counters for the metrics and the control center's charts; undefined while both are off. */
  readonly metrics?: GatewayMeter;
  reportFailure(event: string, error: unknown): void;
  /**
   * Delivers `event(...args)` to a connection on this node or (cluster) another. Returns why it could not: the
   * connection is nowhere, or it is over its buffered-bytes bound (a slow consumer).
   */
  relay(connectionId: string, event: string, args: unknown[]): RelayRefusal | undefined;
  /** Delivers `event(...args, callback)` to a connection wherever it is; `onOutcome` gets the results or the error. */
  relayWithAck(connectionId: string, event: string, args: unknown[], onOutcome: AckOutcome): void;
}

/** Per-connection state, kept in `socket.data.p2p`. */
export interface P2pConnection {
  readonly clientId: string;
  /** The protocol version declared at handshake; 1 for original clients. */
  readonly protocolVersion: number;
  readonly gateway: GatewayContext;
  /** The current peer, mirrored from the store by the pairing logic; read by the relay path. */
  peer?: PeerRef;
  /** Relay acks this connection owes to senders; settled with PEER_DISCONNECTED if it leaves first. */
  owedAcks?: Set<(error: P2pError) => void>;
  /** Whether this connection's session may come back to it (it has a session token or an authenticated identity). */
  readonly canResume: boolean;
  /** Relays held for the peer while it is away (reconnect grace), in order. */
  outbox?: HeldRelay[];
  /** Set when this connection took over a pairing held for its session; consumed when the socket connects. */
  resumed?: ResumedClient;
  /** Undoes the registration if the transport closes before Socket.IO completes the connection. */
  releaseIfNeverConnected?: () => void;
  /** This connection's rate and size limits; absent when every per-connection limit is off. */
  limits?: ConnectionLimits;
}

export interface P2pSocketData {
  p2p: P2pConnection;
}

export type P2pSocket = Socket<Record<string, (...args: any[]) => void>, Record<string, (...args: any[]) => void>, Record<string, never>, P2pSocketData>;
