/**
 * What this node's gateway passed from one client to its peer since it started. Plain counters, read by
 * `PairingService.relayStats()`: they show, for one, that a pairing upgraded to a direct path relays no application
 * message through the server any more.
 */
export class RelayStats {
  /** Application messages accepted for relaying (`P2P_EMIT`, `P2P_EMIT_ACKNOWLEDGE`, and the reliable channel's `P2P_FRAME`): delivered, or held for the peer. */
  relayedMessages = 0;
  /** WebRTC signalling messages (`P2P_SIGNAL`) passed on to a peer. */
  signals = 0;
}

/** A copy of the counters at one moment. */
export type RelayStatsSnapshot = Readonly<Pick<RelayStats, 'relayedMessages' | 'signals'>>;
