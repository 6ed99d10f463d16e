import { P2pE2eEvent, P2pError } from 'nest-p2p-gateway-protocol';
import type { OutgoingMessage } from '../reliable-channel-host.interface.js';
import { fromBase64, sameBytes, toBase64 } from './base64.codec.js';
import {
  CONFIRMATION_BYTES,
  type EphemeralKey,
  NONCE_BYTES,
  PUBLIC_KEY_BYTES,
  type SessionKeys,
  commitmentOf,
  deriveSession,
  ephemeralKey,
  transcriptOf,
} from './key.agreement.js';
import { ControlAuthenticator } from './control.authenticator.js';
import { MessageSealer } from './message.sealer.js';

/** Runs `work` in the next turn of the event loop (Node: `setImmediate`, no timer wait; elsewhere a task). */
const nextTurn: (work: () => void) => void =
  (globalThis as { setImmediate?: (work: () => void) => unknown }).setImmediate ?? ((work) => setTimeout(work, 0));

/**
 * Runs `work` once the input that arrived meanwhile has been read and handled: two turns later. Node runs the first
 * `setImmediate` before it polls for I/O again, so frames that arrived while this turn was busy (the sealed messages
 * that followed REVEAL, during the key derivation) are read and delivered between the two; in browsers the network's
 * tasks queued meanwhile run first anyway.
 */
const afterPendingInput = (work: () => void): void => nextTurn(() => nextTurn(work));

/** A message of the exchange held in the channel until its content is known, with what sends it. */
interface Slot {
  message: OutgoingMessage;
  release: () => void;
}

/**
 * What the pairing itself carried of the exchange (the pre-commitment, docs/e2e.md; `E2ePrecommit` makes it): this
 * side's key, committed or sent with the pairing, and what it learnt of the peer's. Without `peerKey` or
 * `peerCommitment` the exchange runs in the channel as usual, with `own` as this side's key.
 */
export interface HandshakePreset {
  /** Whether this side commits (the requester of a pre-committed pairing); absent: the smaller clientId does. */
  first?: boolean;
  own: Promise<EphemeralKey>;
  /** The requester: the target's key and nonce, which came with the pairing's answer. */
  peerKey?: { key: Uint8Array<ArrayBuffer>; nonce: Uint8Array<ArrayBuffer> };
  /** The target: the requester's commitment, which came with its request (this side's key went after it). */
  peerCommitment?: Uint8Array<ArrayBuffer>;
}

/** What the handshake tells its part. */
export interface HandshakeHost {
  /** The keys are agreed: the app's messages may be sealed and go. `code` gives the verification code (derived then). */
  keysAgreed(sealer: MessageSealer, code: () => string, control: ControlAuthenticator): void;
  /** The peer's key confirmation matched: the pairing is secured. */
  confirmed(): void;
  /** The exchange failed (a broken commitment or confirmation, a bad key): the pairing must end. */
  failed(error: P2pError): void;
}

/**
 * The key exchange of one pairing (docs/e2e.md), four messages over the reliable channel:
 *
 *   first (smaller id)                     second
 *                                    <-    HELLO                    (the peer's acknowledgement tells if it seals)
 *   COMMIT  SHA-256(key, nonce)      ->
 *                                    <-    KEY  key, nonce          (only after it saw the commitment)
 *   REVEAL  key, nonce, confirmation ->                             (second checks the commitment)
 *                                    <-    CONFIRM  confirmation
 *
 * Each side reserves its two messages' numbers first thing (`slots`, held), so they go out ahead of every app message,
 * which waits, held too, until the keys are agreed. The first side commits before it sees the second's key, and the
 * second sends its key only after the commitment: neither side's key can be chosen from the other's, so a middle that
 * substitutes keys cannot search for a pair of keys that gives both sides the same code.
 *
 * Pre-committed (`HandshakePreset`): the requester's commitment went with its pair request and the target's key came
 * back with the consent, so the exchange in the channel is one message each way: the requester's REVEAL, which leaves
 * with its first sealed messages (no COMMIT: the pairing carried it), and the target's CONFIRM, behind a KEY that
 * repeats the key the pairing carried. The target sends both once the requester's first message of the exchange
 * arrived, and only after the input pending then is handled (`afterPendingInput`) or when its own app sends, so that
 * the requester's first sealed messages, which follow REVEAL, are opened and delivered first. Its KEY serves a
 * requester that did not get the key (it then commits in the channel, and its COMMIT brings the KEY). Peers of the
 * previous version send COMMIT before REVEAL, and HELLO before KEY: both are still taken.
 */
export class E2eHandshake {
  /** Whether this side commits: the smaller clientId, or the requester of a pre-committed pairing (`HandshakePreset`). */
  readonly first: boolean;
  private readonly own: Promise<EphemeralKey>;
  private readonly slots = new Map<string, Slot>();
  /** The messages of the peer this side still expects, in the clear. */
  private readonly expected: Set<string>;
  /** Second side: the first side's commitment. */
  private commitment?: Uint8Array<ArrayBuffer>;
  /** Pre-committed: the peer's key as the pairing carried it (first side), or the commitment (second side). */
  readonly preset?: HandshakePreset;
  private keys?: SessionKeys;
  private ended = false;
  /** What the pre-committed target sends once the pending input is handled (`later`), in order. */
  private readonly deferred: (() => Promise<void>)[] = [];
  /** Settles once this side derived the keys (or failed to) from the peer's key: set as that key arrives. */
  agreeing?: Promise<void>;

  constructor(
    private readonly ownId: string,
    private readonly peerId: string,
    private readonly host: HandshakeHost,
    preset?: HandshakePreset,
  ) {
    this.first = preset?.first ?? ownId < peerId;
    this.preset = preset?.peerKey || preset?.peerCommitment ? preset : undefined;
    this.commitment = preset?.peerCommitment;
    this.expected = new Set(
      this.first ? [P2pE2eEvent.HELLO, P2pE2eEvent.KEY, P2pE2eEvent.CONFIRM] : [P2pE2eEvent.COMMIT, P2pE2eEvent.REVEAL],
    );
    // A pre-committed target takes a HELLO too: only to fail at once, as a requester that sends one did not take the
    // pre-committed exchange (it answered as second side) and the two would otherwise wait for each other.
    if (this.commitment) this.expected.add(P2pE2eEvent.HELLO);
    this.own = preset?.own ?? ephemeralKey();
    // Unhandled until someone awaits it: a failure is reported through `step`.
    this.own.catch(() => undefined);
  }

  /** This side's messages of the exchange, in order: reserve them before anything else enters the channel. */
  get messages(): readonly string[] {
    if (this.first) return this.preset ? [P2pE2eEvent.REVEAL] : [P2pE2eEvent.COMMIT, P2pE2eEvent.REVEAL];
    return this.preset ? [P2pE2eEvent.KEY, P2pE2eEvent.CONFIRM] : [P2pE2eEvent.HELLO, P2pE2eEvent.KEY, P2pE2eEvent.CONFIRM];
  }

  /** One of this side's reserved messages entered the channel, held. */
  reserve(message: OutgoingMessage, release: () => void): void {
    // HELLO goes at once, empty.
    if (message.event === P2pE2eEvent.HELLO) return;
    message.held = true;
    this.slots.set(message.event!, { message, release });
  }

  /**
   * The first side commits as soon as its key exists; pre-committed, it derives the keys and reveals at once instead
   * (it holds the peer's key, and its commitment went with the pairing). The second side waits for the first's message.
   */
  start(): void {
    if (!this.first) return;
    const peerKey = this.preset?.peerKey;
    // Pre-committed: the keys and REVEAL at once, the first sealed messages right behind it.
    if (peerKey) this.agreeing = this.step(() => this.reveal(peerKey.key, peerKey.nonce));
    else
      this.step(async () => {
        const own = await this.own;
        this.fill(P2pE2eEvent.COMMIT, [toBase64(await commitmentOf(own.publicKey, own.nonce))]);
      });
  }

  /** Whether the peer's `event` would be taken now (in the clear): only the exchange's messages, each once. */
  expects(event: unknown): boolean {
    return typeof event === 'string' && this.expected.has(event);
  }

  /** A message of the exchange from the peer, in order. */
  receive(event: string, args: unknown[]): void {
    if (!this.expected.delete(event) || this.ended) return;
    if (event === P2pE2eEvent.HELLO) {
      // The first side's HELLO just says the peer seals; only a pre-committed target expects none (see the constructor).
      if (!this.first) this.step(() => Promise.reject(new Error('the peer did not take the pre-committed exchange')));
    } else if (event === P2pE2eEvent.COMMIT) this.step(() => this.onCommit(args));
    else if (event === P2pE2eEvent.KEY) {
      const keyStep = this.step(() => this.onKey(args));
      // Pre-committed, the keys were derived at the start: KEY only has to repeat the key the pairing carried.
      if (!this.preset) this.agreeing = keyStep;
    } else if (event === P2pE2eEvent.REVEAL) this.agreeing = this.step(() => this.onReveal(args));
    else if (event === P2pE2eEvent.CONFIRM) this.step(() => this.onConfirm(args));
  }

  /** The pairing ended: nothing more is done. */
  end(): void {
    this.ended = true;
  }

  private async onCommit([hash]: unknown[]): Promise<void> {
    const commitment = fromBase64(hash, 32);
    if (!commitment) throw new Error('a malformed commitment');
    if (this.preset) {
      // Its key went after the commitment the pairing carried: that one alone binds the peer.
      if (!sameBytes(commitment, this.commitment!)) throw new Error('the commitment is not the one the pairing carried');
      // A requester that commits in the channel may not have the key: it gets it (soon, see `later`).
      this.later(() => this.sendKey());
      return;
    }
    this.commitment = commitment;
    await this.sendKey();
  }

  private async sendKey(): Promise<void> {
    const own = await this.own;
    this.fill(P2pE2eEvent.KEY, [toBase64(own.publicKey), toBase64(own.nonce)]);
  }

  private async onKey([key, nonce]: unknown[]): Promise<void> {
    const peerKey = fromBase64(key, PUBLIC_KEY_BYTES);
    const peerNonce = fromBase64(nonce, NONCE_BYTES);
    if (!peerKey || !peerNonce) throw new Error('a malformed key');
    const known = this.preset?.peerKey;
    if (known) {
      if (!sameBytes(peerKey, known.key) || !sameBytes(peerNonce, known.nonce))
        throw new Error('the key is not the one the pairing carried');
      return;
    }
    return this.reveal(peerKey, peerNonce);
  }

  /** First side: the keys from the peer's key, then REVEAL. */
  private async reveal(peerKey: Uint8Array<ArrayBuffer>, peerNonce: Uint8Array): Promise<void> {
    const own = await this.own;
    const keys = await this.agree(own, peerKey, peerNonce);
    this.fill(P2pE2eEvent.REVEAL, [toBase64(own.publicKey), toBase64(own.nonce), toBase64(keys.firstConfirmation)]);
  }

  private async onReveal([key, nonce, confirmation]: unknown[]): Promise<void> {
    const peerKey = fromBase64(key, PUBLIC_KEY_BYTES);
    const peerNonce = fromBase64(nonce, NONCE_BYTES);
    const peerConfirmation = fromBase64(confirmation, CONFIRMATION_BYTES);
    if (!peerKey || !peerNonce || !peerConfirmation || !this.commitment) throw new Error('a malformed reveal');
    // The key must be the one committed to before this side's key was sent.
    if (!sameBytes(await commitmentOf(peerKey, peerNonce), this.commitment)) throw new Error('the key does not match its commitment');
    const own = await this.own;
    const keys = await this.agree(own, peerKey, peerNonce, peerConfirmation);
    const confirm = () => {
      this.fill(P2pE2eEvent.CONFIRM, [toBase64(keys.secondConfirmation)]);
      this.host.confirmed();
    };
    // Pre-committed: KEY (unless a COMMIT brought it), CONFIRM and `secured` once the first sealed messages that came
    // with REVEAL are delivered (the app then has its first message before `secured`, as the requester may).
    if (!this.preset) return confirm();
    this.later(async () => {
      await this.sendKey();
      confirm();
    });
  }

  private onConfirm([confirmation]: unknown[]): Promise<void> {
    const peerConfirmation = fromBase64(confirmation, CONFIRMATION_BYTES);
    if (!this.keys || !peerConfirmation || !sameBytes(peerConfirmation, this.keys.secondConfirmation)) {
      throw new Error('the key confirmation does not match');
    }
    this.host.confirmed();
    return Promise.resolve();
  }

  /** Derives the keys (checking the peer's confirmation, if it came with its key), and lets the app's messages go. */
  private async agree(
    own: EphemeralKey,
    peerKey: Uint8Array<ArrayBuffer>,
    peerNonce: Uint8Array,
    peerConfirmation?: Uint8Array,
  ): Promise<SessionKeys> {
    const mine = { id: this.ownId, publicKey: own.publicKey, nonce: own.nonce };
    const theirs = { id: this.peerId, publicKey: peerKey, nonce: peerNonce };
    const keys = await deriveSession(own, peerKey, this.first ? transcriptOf(mine, theirs) : transcriptOf(theirs, mine));
    if (peerConfirmation && !sameBytes(peerConfirmation, keys.firstConfirmation)) throw new Error('the key confirmation does not match');
    if (this.ended) throw new Error('ended');
    this.keys = keys;
    // The first side's sending key now (its first sealed message goes next), every other key as it is first used.
    const sealer = this.first
      ? new MessageSealer(keys.firstToSecond, 0, () => keys.secondToFirst)
      : new MessageSealer(() => keys.secondToFirst, 1, keys.firstToSecond);
    const control = this.first
      ? new ControlAuthenticator(
          () => keys.firstToSecondControl,
          0,
          () => keys.secondToFirstControl,
        )
      : new ControlAuthenticator(
          () => keys.secondToFirstControl,
          1,
          () => keys.firstToSecondControl,
        );
    this.host.keysAgreed(sealer, () => keys.verificationCode, control);
    return keys;
  }

  /** Sends one of this side's reserved messages, now that its content is known. */
  private fill(event: string, args: unknown[]): void {
    const slot = this.slots.get(event);
    if (!slot || this.ended) return;
    this.slots.delete(event);
    slot.message.args.push(...args);
    slot.message.held = false;
    slot.release();
  }

  /**
   * `work` as a step of the exchange, after the input pending now (`afterPendingInput`): what the pre-committed target
   * sends waits until the requester's first sealed messages, which follow its message of the exchange, are delivered.
   */
  private later(work: () => Promise<void>): void {
    this.deferred.push(work);
    if (this.deferred.length === 1) afterPendingInput(() => this.runDeferred());
  }

  /**
   * This side has a message of its own to send (its app's, once the keys are agreed): what waits in `later` goes now,
   * ahead of it, rather than hold it back (the requester's first messages are delivered by then).
   */
  flush(): void {
    if (this.deferred.length > 0) queueMicrotask(() => this.runDeferred());
  }

  private runDeferred(): void {
    for (const work of this.deferred.splice(0)) void this.step(work);
  }

  private step(work: () => Promise<void>): Promise<void> {
    return work().catch((cause: unknown) => {
      if (this.ended) return;
      this.ended = true;
      const reason = cause instanceof Error ? cause.message : String(cause);
      this.host.failed(new P2pError('E2E_FAILED', `the end-to-end key exchange with ${this.peerId} failed: ${reason}`));
    });
  }
}
