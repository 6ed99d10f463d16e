import { type P2pErrorCode, isP2pErrorCode } from 'nest-p2p-gateway-protocol';
import type { PeerRef } from '../pairing/client-transport.interface.js';
import type { RelayMetrics } from '../connection/p2p-connection.state.js';
import type { P2pLifecycleEvent } from '../pairing/p2p-lifecycle.event.js';
import { ClusterMessage } from '../cluster/cluster.message.js';
import { PairingTrafficTable } from './pairing-traffic.table.js';
import type { TrafficTotals } from './traffic.history.js';

/** `emit`: P2P_EMIT; `ack`: P2P_EMIT_ACKNOWLEDGE; `frame`: P2P_FRAME of the reliable channel (protocol 3). */
export type RelayKind = 'emit' | 'ack' | 'frame';
/** `accepted`, or the code the connection was refused with. */
export type ConnectionOutcome = 'accepted' | P2pErrorCode;
/** `paired`, or the code the request was refused with. */
export type PairRequestOutcome = 'paired' | P2pErrorCode;
/** `resumed`: the client came back within its grace and kept its pairing; `lost`: it left (or was sent away) first. */
export type ResumeOutcome = 'resumed' | 'lost';
export type ClusterDirection = 'sent' | 'received';

/** How long past its grace an away client is remembered, in case its end is reported late. */
const AWAY_MARGIN_MS = 60_000;

/** The relay that a sender's connection reads on the hot path. */
interface RelaySender {
  readonly clientId: string;
  readonly peer?: PeerRef;
}

type Next = (err?: Error) => void;

function codeOf(value: unknown): P2pErrorCode {
  return isP2pErrorCode(value) ? value : 'INTERNAL_ERROR';
}

/** Label values of the frames between nodes: the `ClusterMessage` kinds by name, `SET_PEER` as `set-peer`. */
const CLUSTER_TYPES: ReadonlyMap<number, string> = new Map(
  Object.entries(ClusterMessage).map(([name, kind]) => [kind as number, name.toLowerCase().replace(/_/g, '-')]),
);

function bump<K>(map: Map<K, number>, key: K, by = 1): void {
  map.set(key, (map.get(key) ?? 0) + by);
}

/**
 * The node's own counters: plain numbers bumped on the relay path (no label hashing, no allocation per relay), read by
 * the Prometheus collectors and the control center's charts when asked. Present on the gateway only when `metrics` or
 * `controlCenter` is on; otherwise every call site is a skipped optional call.
 *
 * Label values are bounded: kinds and outcomes are fixed sets, codes are `P2pErrorCode`s; no clientId is a label.
 */
export class GatewayMeter implements RelayMetrics {
  readonly relayedMessages = { emit: 0, ack: 0, frame: 0 };
  relayedBytes = 0;
  readonly refusals = new Map<P2pErrorCode, number>();
  readonly connections = new Map<ConnectionOutcome, number>();
  readonly pairRequests = new Map<PairRequestOutcome, number>();
  readonly resumes = { resumed: 0, lost: 0 };
  /** By direction, then frame type (the `ClusterMessage` kinds by name: `send`, `set-peer`, `relay-with-ack`, ...). */
  readonly clusterMessages = { sent: new Map<string, number>(), received: new Map<string, number>() };
  readonly traffic: PairingTrafficTable;
  /** Set while Prometheus metrics are on: observes each relay-with-ack's round trip, in seconds. */
  onAckRoundTrip?: (seconds: number, outcome: 'ok' | P2pErrorCode) => void;
  /** Clients of this node whose pairing is held for them (reconnect grace), until when. */
  private readonly away = new Map<string, number>();

  constructor(maxTrackedPairings: number) {
    this.traffic = new PairingTrafficTable(maxTrackedPairings);
  }

  /**
   * A fire-and-forget relay (P2P_EMIT, or a P2P_FRAME of the reliable channel) of `bytes` (as received) passed every
   * check; it is delivered, or held for an away peer.
   */
  relayed(sender: RelaySender, bytes: number, kind: 'emit' | 'frame' = 'emit'): void {
    this.relayedMessages[kind]++;
    this.countBytes(sender, bytes);
  }

  /** A relay with ack passed every check; the time it returns goes back to `acked` with the outcome. */
  relayedWithAck(sender: RelaySender, bytes: number): number {
    this.relayedMessages.ack++;
    this.countBytes(sender, bytes);
    return performance.now();
  }

  acked(startedAt: number, error: { code: P2pErrorCode } | undefined): void {
    this.onAckRoundTrip?.((performance.now() - startedAt) / 1000, error ? codeOf(error.code) : 'ok');
  }

  private countBytes(sender: RelaySender, bytes: number): void {
    this.relayedBytes += bytes;
    const peer = sender.peer;
    if (peer) this.traffic.count(sender.clientId, peer.clientId, bytes);
  }

  /** A request answered with an error code: a refused connection, pairing request or relay. */
  refused(code: P2pErrorCode): void {
    bump(this.refusals, codeOf(code));
  }

  /** Wraps a connection middleware's `next` to count its outcome, refusals by their code. */
  countAdmission(next: Next): Next {
    return (err?: Error) => {
      if (err) {
        const code = codeOf((err as { data?: { code?: unknown } }).data?.code);
        bump(this.connections, code);
        this.refused(code);
      } else {
        bump(this.connections, 'accepted');
      }
      next(err);
    };
  }

  cluster(direction: ClusterDirection, kind: number): void {
    bump(this.clusterMessages[direction], CLUSTER_TYPES.get(kind) ?? 'other');
  }

  /** Follows this node's lifecycle events (PairingService.events$). */
  onEvent(event: P2pLifecycleEvent): void {
    switch (event.type) {
      case 'paired':
        bump(this.pairRequests, 'paired');
        return;
      case 'pair-refused':
        bump(this.pairRequests, codeOf(event.code));
        this.refused(event.code);
        return;
      case 'unpaired':
        this.traffic.pairingEnded(event.clientId, event.peerId);
        return;
      case 'disconnected':
        this.traffic.clientLeft(event.clientId);
        if (this.away.delete(event.clientId)) this.resumes.lost++;
        return;
      case 'away':
        this.forgetStaleAway(event.at);
        this.away.set(event.clientId, event.until);
        return;
      case 'resumed':
        this.away.delete(event.clientId);
        this.resumes.resumed++;
        return;
      default:
        return;
    }
  }

  /** An away client whose end this node never heard of (it resumed on another node): forgotten, uncounted. */
  private forgetStaleAway(now: number): void {
    for (const [clientId, until] of this.away) if (until + AWAY_MARGIN_MS < now) this.away.delete(clientId);
  }

  /** What the charts turn into rates. */
  totals(): TrafficTotals {
    let pairRequests = 0;
    for (const n of this.pairRequests.values()) pairRequests += n;
    let refusals = 0;
    for (const n of this.refusals.values()) refusals += n;
    return {
      relays: this.relayedMessages.emit + this.relayedMessages.ack + this.relayedMessages.frame,
      relayBytes: this.relayedBytes,
      pairRequests,
      refusals,
    };
  }
}
