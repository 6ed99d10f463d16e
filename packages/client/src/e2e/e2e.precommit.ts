import type { E2eCommitAnswer, E2eCommitRequest } from 'nest-p2p-gateway-protocol';
import { fromBase64, toBase64 } from './base64.codec.js';
import type { HandshakePreset } from './e2e.handshake.js';
import { type EphemeralKey, NONCE_BYTES, PUBLIC_KEY_BYTES, commitmentOf, ephemeralKey } from './key.agreement.js';

/** How a pairing was made, as the pairing machine saw it. */
export type PairedVia =
  /** This client's `pair()` resolved: `info` is its ack's PeerInfo. */
  | { as: 'requester'; info: unknown }
  /** This client's consent was acknowledged: `info` is that ack's third argument. */
  | { as: 'target'; info: unknown }
  /** Another way (a resumed session the server paired anew). */
  | { as: 'other' };

/** What the pairing machine asks of the e2e part around a pairing's request and consent. */
export interface PairPrecommit {
  /** What this client's pair request to `targetId` carries besides the id (undefined: nothing). */
  request(targetId: string): Promise<E2eCommitRequest | undefined>;
  /** What this client's consent to `sourceId`'s request carries besides the id, given that request's PeerInfo. */
  consent(sourceId: string, info: unknown): Promise<E2eCommitAnswer | undefined>;
  /** The pairing with `peerId` is made (before its channel opens). */
  paired(peerId: string, via: PairedVia): void;
  /**
   * Settles once the pairing that just opened has derived its keys, when it carried the peer's key (the requester of a
   * pre-committed pairing); at once otherwise. Never rejects: a failure ends the pairing its own way.
   */
  keysDerived(): Promise<void>;
}

/**
 * How long a pair request waits for the connection's P2P_SESSION (which says whether the gateway carries the
 * pre-commitment) when it is made before that arrived, right after connecting: it comes first thing.
 */
const SESSION_WAIT_MS = 2_000;

/** The most requests whose committed key is kept while their answers are awaited. */
const OFFERS_KEPT = 4;

function field(info: unknown, name: string): unknown {
  return typeof info === 'object' && info !== null ? (info as Record<string, unknown>)[name] : undefined;
}

/**
 * The e2e key exchange's pre-commitment (docs/e2e.md): with a gateway that carries it (`e2eCommit` in P2P_SESSION),
 * the requester's commitment to a fresh key leaves with its pair request, and a target that sees one answers with a
 * fresh key of its own in its consent. The pairing then starts with the requester holding the target's key, so it
 * derives the keys and sends REVEAL and its first sealed messages at once (`HandshakePreset`).
 *
 * Whatever is missing (a gateway or peer without the ability, crossing requests, a consent the gateway did not pass
 * on) leaves the exchange to the channel, as before. There the requester keeps the key it committed to (only its
 * hash left it), but the target never reuses the key its consent sent: a key known before the exchange would let a
 * middle choose its own after it.
 */
export class E2ePrecommit implements PairPrecommit {
  /** Whether the gateway carries the pre-commitment; undefined until the current connection's P2P_SESSION said. */
  private gatewayCarries: boolean | undefined;
  /** Pair requests waiting for that word (each bounded by SESSION_WAIT_MS). */
  private readonly waiting = new Set<() => void>();
  /**
   * This client's own requests: the key committed to, by target. More than one only when a request overlaps another
   * (which the gateway refuses): the answer of each finds its own key. Bounded by OFFERS_KEPT, cleared on pairing.
   */
  private readonly offered = new Map<string, Promise<EphemeralKey>>();
  /** The request this client consented to with a key: the source, the key sent, the commitment seen before it. */
  private answered?: { peerId: string; own: Promise<EphemeralKey>; commitment: Uint8Array<ArrayBuffer> };
  /** What the next pairing's handshake starts from. */
  private next?: { peerId: string; preset: HandshakePreset };

  /** `agreeing`: the current pairing's handshake deriving its keys from the key the pairing carried, if it does. */
  constructor(private readonly agreeing: () => Promise<void> | undefined) {}

  /** P2P_SESSION: whether the gateway carries the pre-commitment (it said `e2eCommit`); undefined: connection lost. */
  session(carries: boolean | undefined): void {
    this.gatewayCarries = carries;
    if (carries !== undefined) for (const wake of [...this.waiting]) wake();
  }

  /** Whether the gateway carries the pre-commitment, waiting (bounded) for the connection's word if it has not come. */
  private async carried(): Promise<boolean> {
    if (this.gatewayCarries === undefined) {
      await new Promise<void>((resolve) => {
        const wake = () => {
          clearTimeout(timer);
          this.waiting.delete(wake);
          resolve();
        };
        const timer = setTimeout(wake, SESSION_WAIT_MS);
        // Never keeps a Node process alive on its own.
        (timer as { unref?: () => void }).unref?.();
        this.waiting.add(wake);
      });
    }
    return this.gatewayCarries === true;
  }

  async request(targetId: string): Promise<E2eCommitRequest | undefined> {
    this.offered.delete(targetId);
    if (!(await this.carried())) return undefined;
    const own = ephemeralKey();
    this.offered.set(targetId, own);
    if (this.offered.size > OFFERS_KEPT) this.offered.delete(this.offered.keys().next().value!);
    const key = await own;
    return { e2eCommitment: toBase64(await commitmentOf(key.publicKey, key.nonce)) };
  }

  async consent(sourceId: string, info: unknown): Promise<E2eCommitAnswer | undefined> {
    const commitment = fromBase64(field(info, 'e2eCommitment'), 32);
    if (this.gatewayCarries !== true || !commitment) return undefined;
    const own = ephemeralKey();
    this.answered = { peerId: sourceId, own, commitment };
    const key = await own;
    return { e2eKey: toBase64(key.publicKey), e2eNonce: toBase64(key.nonce) };
  }

  paired(peerId: string, via: PairedVia): void {
    const offered = this.offered.get(peerId);
    const answered = this.answered?.peerId === peerId ? this.answered : undefined;
    this.offered.clear();
    this.answered = undefined;
    this.next = undefined;
    if (via.as === 'requester' && offered) {
      const key = fromBase64(field(via.info, 'e2eKey'), PUBLIC_KEY_BYTES);
      const nonce = fromBase64(field(via.info, 'e2eNonce'), NONCE_BYTES);
      // With the target's key this side commits (it did); without, the roles are the usual ones, the key the same.
      const preset: HandshakePreset = key && nonce ? { first: true, own: offered, peerKey: { key, nonce } } : { own: offered };
      this.next = { peerId, preset };
    } else if (via.as === 'target' && answered && field(via.info, 'e2eCommitted') === true) {
      // Only once the gateway said the key went with the answer: else the requester runs the exchange in the channel.
      this.next = { peerId, preset: { first: false, own: answered.own, peerCommitment: answered.commitment } };
    }
  }

  async keysDerived(): Promise<void> {
    await this.agreeing();
  }

  /** What the pairing with `peerId`'s handshake starts from (once); undefined: a fresh key, the usual exchange. */
  take(peerId: string): HandshakePreset | undefined {
    const next = this.next?.peerId === peerId ? this.next.preset : undefined;
    this.next = undefined;
    return next;
  }
}
