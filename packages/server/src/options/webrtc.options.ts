import type { P2pIceServer } from 'nest-p2p-gateway-protocol';
import type { P2pPairParty } from '../auth/p2p-auth.types.js';

/**
 * Decides whether `client` may open a direct (WebRTC) path to its peer `peer`. Asked once per pairing and side, when
 * the client first asks for its WebRTC configuration or signals. Anything but `true` (and throwing, or taking longer
 * than `canUpgradeTimeoutMs`) refuses: the client keeps the relay.
 */
export type P2pCanUpgradeHook = (client: P2pPairParty, peer: P2pPairParty) => boolean | Promise<boolean>;

/** TURN servers whose credentials the gateway mints per client (coturn's `use-auth-secret` / TURN REST scheme). */
export interface P2pTurnOptions {
  /** The TURN server's URLs, e.g. `'turn:turn.example.com:3478?transport=udp'`. */
  urls: string | string[];
  /** The secret shared with the TURN server (coturn `static-auth-secret`); never sent to a client. */
  secret: string;
  /**
   * How long a minted credential stays valid, in seconds.
   * @default 3600
   */
  ttlSeconds?: number | undefined;
}

/** The `webrtc` option: lets paired protocol 3 clients upgrade to a direct data channel. */
export interface P2pWebRtcOptions {
  /**
   * ICE servers handed to every client as they are (STUN, or TURN with fixed credentials). No public STUN server is
   * ever added by default.
   * @default []
   */
  iceServers?: P2pIceServer[] | undefined;
  /**
   * A TURN server for which each client gets its own short-lived credential:
   * `username = <unix expiry>:<clientId>`, `credential = base64(HMAC-SHA1(secret, username))`.
   * @default none
   */
  turn?: P2pTurnOptions | undefined;
  /**
   * Upgrade policy, like `canPair`.
   * @default none (every paired protocol 3 client may upgrade)
   */
  canUpgrade?: P2pCanUpgradeHook | undefined;
  /**
   * Longest wait for `canUpgrade`; past it the upgrade is refused.
   * @default 5000
   */
  canUpgradeTimeoutMs?: number | undefined;
}

export interface ResolvedTurnOptions {
  urls: string[];
  secret: string;
  ttlSeconds: number;
}

export interface ResolvedWebRtcOptions {
  iceServers: P2pIceServer[];
  turn?: ResolvedTurnOptions;
  canUpgrade?: P2pCanUpgradeHook;
  canUpgradeTimeoutMs: number;
}

const DEFAULT_TURN_TTL_SECONDS = 3600;
const DEFAULT_CAN_UPGRADE_TIMEOUT_MS = 5000;

function isIceServer(value: unknown): value is P2pIceServer {
  if (typeof value !== 'object' || value === null) return false;
  const { urls, username, credential } = value as Record<string, unknown>;
  const urlsOk =
    typeof urls === 'string'
      ? urls.length > 0
      : Array.isArray(urls) && urls.length > 0 && urls.every((url) => typeof url === 'string' && url.length > 0);
  return urlsOk && (username === undefined || typeof username === 'string') && (credential === undefined || typeof credential === 'string');
}

/** Checks the `webrtc` option once, at start-up; undefined when it is off. Throws TypeError on a bad value. */
export function resolveWebRtcOptions(options: P2pWebRtcOptions | undefined): ResolvedWebRtcOptions | undefined {
  if (options === undefined) return undefined;
  const iceServers = options.iceServers ?? [];
  if (!Array.isArray(iceServers) || !iceServers.every(isIceServer)) {
    throw new TypeError('P2pModule: webrtc.iceServers must be an array of {urls, username?, credential?}');
  }
  const canUpgradeTimeoutMs = options.canUpgradeTimeoutMs ?? DEFAULT_CAN_UPGRADE_TIMEOUT_MS;
  if (!Number.isFinite(canUpgradeTimeoutMs) || canUpgradeTimeoutMs <= 0) {
    throw new TypeError('P2pModule: webrtc.canUpgradeTimeoutMs must be a positive number of ms');
  }
  if (options.canUpgrade !== undefined && typeof options.canUpgrade !== 'function') {
    throw new TypeError('P2pModule: webrtc.canUpgrade must be a function');
  }
  return {
    iceServers: iceServers.map((server) => ({ ...server })),
    ...(options.turn ? { turn: resolveTurn(options.turn) } : {}),
    ...(options.canUpgrade ? { canUpgrade: options.canUpgrade } : {}),
    canUpgradeTimeoutMs,
  };
}

function resolveTurn(turn: P2pTurnOptions): ResolvedTurnOptions {
  const urls = typeof turn.urls === 'string' ? [turn.urls] : turn.urls;
  if (!Array.isArray(urls) || urls.length === 0 || !urls.every((url) => typeof url === 'string' && /^turns?:/.test(url))) {
    throw new TypeError('P2pModule: webrtc.turn.urls must be one or more turn: / turns: URLs');
  }
  if (typeof turn.secret !== 'string' || turn.secret.length === 0)
    throw new TypeError('P2pModule: webrtc.turn.secret must be a non-empty string');
  const ttlSeconds = turn.ttlSeconds ?? DEFAULT_TURN_TTL_SECONDS;
  if (!Number.isInteger(ttlSeconds) || ttlSeconds < 1) throw new TypeError('P2pModule: webrtc.turn.ttlSeconds must be a whole number >= 1');
  return { urls: [...urls], secret: turn.secret, ttlSeconds };
}
