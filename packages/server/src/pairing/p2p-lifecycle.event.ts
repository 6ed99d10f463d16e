import type { P2pErrorCode, P2pTransport } from 'nest-p2p-gateway-protocol';

/** What `PairingService.events$` streams. `at` is a `Date.now()` timestamp. */
export type P2pLifecycleEvent =
  | { type: 'connected'; clientId: string; at: number }
  | { type: 'disconnected'; clientId: string; reason: string; at: number }
  | { type: 'pair-requested'; sourceId: string; targetId: string; at: number }
  /** One per pairing: two crossing requests make one, reported as the first request (its source, its target). */
  | { type: 'paired'; sourceId: string; targetId: string; at: number }
  | { type: 'pair-refused'; sourceId: string; targetId: string; code: P2pErrorCode; at: number }
  | { type: 'unpaired'; clientId: string; peerId: string; reason: string; at: number }
  /** A paired client's connection dropped; its pairing is held until `until` (reconnect grace). */
  | { type: 'away'; clientId: string; peerId: string; until: number; at: number }
  /** A client came back within its grace period (or took its id over from a stale connection) and kept its pairing. */
  | { type: 'resumed'; clientId: string; peerId: string; at: number }
  /** A paired client reported the path its traffic takes now (`P2P_TRANSPORT`): the relay, or a direct data channel. */
  | { type: 'transport'; clientId: string; peerId: string; transport: P2pTransport; at: number };

export type P2pLifecycleEventType = P2pLifecycleEvent['type'];
