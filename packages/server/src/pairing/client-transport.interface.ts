import type { E2eCommitAnswer, P2pError } from 'nest-p2p-gateway-protocol';
import type { PairingRequest } from '../stores/pairing-store.interface.js';

/** The peer a connection relays to: cached on the connection for the hot path, derived from the store. */
export interface PeerRef {
  clientId: string;
  /** Undefined while the peer is away (reconnect grace): relays to it are held until it is back. */
  connectionId?: string;
}

/** What the pairing logic needs from the socket layer; the connection router (ConnectionRouter) implements it. */
export interface ClientTransport {
  /** Emits an event to a connection. */
  send(connectionId: string, event: string, ...args: unknown[]): void;
  /** Sets (or clears) the peer cached on a connection. Called in the same step as the store change it mirrors. */
  setPeer(connectionId: string, peer: PeerRef | undefined): void;
  /**
   * Closes a connection. `resumed`: its session resumed on a newer connection of this node, which takes over what it
   * held for its peer; closed for any other reason, what it held goes with it.
   */
  disconnect(connectionId: string, resumed?: boolean): void;
  /**
   * The reconnect grace of a connection that dropped from this node is over: it ran out, or the hold ended otherwise
   * (the session was displaced, the pairing ended, the node shuts down, or the drop was not held at all). Whatever
   * the transport kept for that connection goes now; the engine's grace timer is the only clock of a grace.
   */
  graceEnded?(connectionId: string): void;
  /**
   * Cluster only: tells the node holding a request's source how the request ended (it was not opened here), with the
   * target's e2e key when its consent had one (public, carried once, kept nowhere).
   */
  requestDone?(request: PairingRequest, error?: P2pError, e2e?: E2eCommitAnswer): void;
  /** Cluster: an id for a new pairing request that names this node, so the node settling it can answer here. */
  newRequestId?(): string;
}
