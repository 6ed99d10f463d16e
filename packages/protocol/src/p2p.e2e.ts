/**
 * End-to-end encryption (docs/e2e.md): the key exchange travels as messages of the reliable channel under these
 * internal names (reserved like every `P2P_` name: an app can neither send nor receive one). They are the only
 * messages an e2e client sends or accepts in the clear; every other message and reply travels sealed in `z`.
 * - `HELLO()`: the second side's first message, with nothing in it: whatever the peer sends back (an acknowledgement
 *   at least) tells from its `k` whether it encrypts too;
 * - `COMMIT(hash)`: the first side (the smaller clientId) commits to its public key and nonce (SHA-256), base64;
 * - `KEY(publicKey, nonce)`: the second side's public key, sent only after it saw the commitment;
 * - `REVEAL(publicKey, nonce, confirmation)`: the first side's key and nonce, opening the commitment, and its key
 *   confirmation;
 * - `CONFIRM(confirmation)`: the second side's key confirmation.
 * - `SIGNAL(signal)`: with the `webrtc` option, one WebRTC signal (offer, answer, ICE candidate, bye, as `P2P_SIGNAL`
 *   carries them) to the peer. Always sealed: an e2e client never sends `P2P_SIGNAL` and ignores the gateway's, so no
 *   SDP, DTLS fingerprint or candidate crosses the gateway in the clear.
 */
export const P2pE2eEvent = {
  HELLO: 'P2P_E2E_HELLO',
  COMMIT: 'P2P_E2E_COMMIT',
  KEY: 'P2P_E2E_KEY',
  REVEAL: 'P2P_E2E_REVEAL',
  CONFIRM: 'P2P_E2E_CONFIRM',
  SIGNAL: 'P2P_E2E_SIGNAL',
} as const;

export type P2pE2eEvent = (typeof P2pE2eEvent)[keyof typeof P2pE2eEvent];

const E2E_EVENTS: ReadonlySet<string> = new Set(Object.values(P2pE2eEvent));

/** Whether `event` is one of the key exchange's messages. */
export function isE2eEventName(event: unknown): event is P2pE2eEvent {
  return typeof event === 'string' && E2E_EVENTS.has(event);
}

/** Frame capability bit (`k`): the sending side encrypts end to end and takes nothing else. */
export const P2P_FRAME_CAPABILITY_E2E = 2;

const BASE64_32_BYTES = /^[A-Za-z0-9+/]{43}=$/;
const BASE64_16_BYTES = /^[A-Za-z0-9+/]{22}==$/;

/** `value` as an `E2eCommitRequest` (a base64 SHA-256), or undefined when it is not one. */
export function e2eCommitRequestOf(value: unknown): { e2eCommitment: string } | undefined {
  const commitment = typeof value === 'object' && value !== null ? (value as { e2eCommitment?: unknown }).e2eCommitment : undefined;
  return typeof commitment === 'string' && BASE64_32_BYTES.test(commitment) ? { e2eCommitment: commitment } : undefined;
}

/** `value` as an `E2eCommitAnswer` (a base64 X25519 key and 16-byte nonce), or undefined when it is not one. */
export function e2eCommitAnswerOf(value: unknown): { e2eKey: string; e2eNonce: string } | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const { e2eKey, e2eNonce } = value as { e2eKey?: unknown; e2eNonce?: unknown };
  if (typeof e2eKey !== 'string' || typeof e2eNonce !== 'string') return undefined;
  return BASE64_32_BYTES.test(e2eKey) && BASE64_16_BYTES.test(e2eNonce) ? { e2eKey, e2eNonce } : undefined;
}
/**
 * Frame capability bit (`k`): the sending side, encrypting end to end, opens sealed batches (a frame whose `z` seals
 * `n` consecutive messages). A client seals batches only for a peer that announced it.
 */
export const P2P_FRAME_CAPABILITY_E2E_BATCH = 4;

/** The most messages one sealed batch holds (`n`): a receiver drops a frame that claims more. */
export const P2P_E2E_MAX_BATCH = 64;
