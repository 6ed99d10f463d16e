import { P2P_FRAME_CAPABILITY_E2E_BATCH as BATCHES, P2pE2eEvent, type P2pFrame, P2pError, isE2eEventName } from 'nest-p2p-gateway-protocol';
import type { ChannelSealer } from '../channel-sealer.interface.js';
import type { ClientPart } from '../client-part.interface.js';
import type { MessageDispatcher } from '../message.dispatcher.js';
import type { ClientEventSink } from '../p2p-client.events.js';
import type { ReliableChannel } from '../reliable.channel.js';
import type { OutgoingMessage } from '../reliable-channel-host.interface.js';
import type { ControlAuthenticator } from './control.authenticator.js';
import { E2eHandshake } from './e2e.handshake.js';
import { E2ePrecommit } from './e2e.precommit.js';
import { type MessageSealer, wireForm } from './message.sealer.js';
import { SealBatcher } from './seal.batcher.js';
import { SealedSignalling } from './sealed.signalling.js';

/** How long a key exchange may take by default (option `e2eTimeoutMs`). */
export const DEFAULT_E2E_TIMEOUT_MS = 20_000;
import { isPromiseLike } from '../promise.guard.js';

/** What the e2e part needs of the client. */
export interface E2ePartSetup {
  dispatcher: MessageDispatcher;
  emitLocal: ClientEventSink;
  /** The id this client was admitted under (or declared). */
  ownId(): string | undefined;
  /** The bound of a key exchange: not confirmed by then, the pairing ends with E2E_TIMEOUT. */
  timeoutMs: number;
  /** Ends the current pairing at once, telling the app `error` (E2E_REQUIRED, E2E_FAILED). */
  endPairing(error: P2pError): void;
}

/** One pairing's state: its channel, the exchange, the sealer once the keys are agreed. */
interface Pairing {
  channel: ReliableChannel;
  handshake?: E2eHandshake;
  /** Option `webrtc`: the pairing's signalling, sealed in its channel. */
  signalling: SealedSignalling;
  sealer?: MessageSealer;
  /** Seals the app's messages in batches, when the peer opens them (its frames' `k`). */
  batcher?: SealBatcher;
  /** The tags of acknowledgements and skipped numbers, once the keys are agreed. */
  control?: ControlAuthenticator;
  /** The verification code, derived when it is first asked for. */
  code?: () => string;
  secure: boolean;
  /** The app's messages (and replies) that entered the channel before the keys: sealed, in order, once they are. */
  waiting: { message: OutgoingMessage; release: () => void }[];
  ending: boolean;
  /** Ends the pairing if the exchange is not confirmed in time. */
  bound?: ReturnType<typeof setTimeout>;
  /** Settles once the keys are agreed: the peer's first sealed messages open then, not after this side's CONFIRM. */
  agreed: Promise<void>;
  keysReady: () => void;
}

/**
 * End-to-end encryption (option `e2e`, docs/e2e.md) as a part of P2pClient and the sealer of every reliable channel
 * the client opens: per pairing, an ephemeral X25519 exchange with a commitment (`E2eHandshake`), then every message
 * and reply sealed with AES-256-GCM (`MessageSealer`) before the channel sends it and opened before it counts as
 * received. Nothing of the app leaves the client in the clear: a message waits, held in the channel, until it is
 * sealed; a peer that does not seal (its frames' `k`) ends the pairing with E2E_REQUIRED.
 */
export class E2ePart implements ClientPart, ChannelSealer {
  /** This side opens sealed batches (docs/e2e.md, "Sealed batches"). */
  readonly capabilities = BATCHES;
  private current?: Pairing;
  /** What pair requests and consents carry of the exchange, and what a pairing's handshake starts from. */
  readonly precommit = new E2ePrecommit(() => {
    const handshake = this.current?.handshake;
    return handshake?.first && handshake.preset ? handshake.agreeing : undefined;
  });
  private maxMessageBytes?: number;

  constructor(private readonly setup: E2ePartSetup) {
    setup.dispatcher.register((event, args) => {
      if (!isE2eEventName(event)) return false;
      // Only sealed messages reach here besides the exchange's own (`open` drops the rest): a signal is the peer's.
      if (event === P2pE2eEvent.SIGNAL) this.current?.signalling.deliver(args[0]);
      else this.current?.handshake?.receive(event, args);
      return true;
    });
  }

  /** The gateway's `maxMessageBytes` (its session's): sealed batches stay under it. */
  relayLimit(maxMessageBytes: number | undefined): void {
    this.maxMessageBytes = maxMessageBytes;
  }

  /** Whether the current pairing's keys are agreed and confirmed by the peer. */
  get secure(): boolean {
    return this.current?.secure ?? false;
  }

  /** The current pairing's verification code, once it is secure (the peer confirmed the keys). */
  get verificationCode(): string | undefined {
    return this.current?.secure ? this.current.code?.() : undefined;
  }

  /** The current pairing's WebRTC signalling, sealed in its channel (`SealedSignalling`); undefined when unpaired. */
  signalling(): SealedSignalling | undefined {
    return this.current && !this.current.ending ? this.current.signalling : undefined;
  }

  attach(peerId: string, channel: ReliableChannel): void {
    const ownId = this.setup.ownId();
    const signalling = new SealedSignalling(channel, peerId);
    let keysReady!: () => void;
    const agreed = new Promise<void>((resolve) => (keysReady = resolve));
    const pairing: Pairing = { channel, signalling, secure: false, waiting: [], ending: false, agreed, keysReady };
    this.current = pairing;
    if (ownId === undefined) return this.end(pairing, new P2pError('E2E_FAILED', 'this client does not know its own id'));
    const preset = this.precommit.take(peerId);
    const handshake = (pairing.handshake = new E2eHandshake(
      ownId,
      peerId,
      {
        keysAgreed: (sealer, code, control) => this.keysAgreed(pairing, sealer, code, control),
        confirmed: () => {
          if (this.current !== pairing || pairing.ending) return;
          clearTimeout(pairing.bound);
          pairing.secure = true;
          this.setup.emitLocal('secured', pairing.code!());
        },
        failed: (error) => this.end(pairing, error),
      },
      preset,
    ));
    const timeoutMs = this.setup.timeoutMs;
    pairing.bound = setTimeout(() => {
      const why = `the end-to-end key exchange with ${peerId} did not complete within ${timeoutMs} ms`;
      this.end(pairing, new P2pError('E2E_TIMEOUT', why));
    }, timeoutMs);
    // The exchange's messages take the channel's first numbers: everything else waits behind them.
    for (const event of handshake.messages) channel.send(event, [], false);
    handshake.start();
  }

  detach(_error: P2pError): void {
    clearTimeout(this.current?.bound);
    this.current?.handshake?.end();
    this.current = undefined;
  }

  owns(event: string | undefined): boolean {
    return isE2eEventName(event);
  }

  refused(event: string, _args: unknown[], error: P2pError): boolean {
    if (!isE2eEventName(event)) return false;
    if (this.current) this.end(this.current, new P2pError('E2E_FAILED', `the server refused the key exchange: ${error.message}`));
    return true;
  }

  /** A frame came from the peer: a peer that does not seal ends the pairing before anything goes to it. */
  moved(): void {
    const pairing = this.current;
    if (pairing?.channel.peerE2e === false) this.end(pairing, new P2pError('E2E_REQUIRED'));
  }

  // --- ChannelSealer ----------------------------------------------------------------------------------------------

  admit(message: OutgoingMessage, release: () => void): void {
    const pairing = this.current;
    if (message.event !== undefined && pairing?.handshake?.messages.includes(message.event) && !pairing.ending) {
      return pairing.handshake.reserve(message, release);
    }
    message.held = true;
    if (!pairing || pairing.ending) return;
    // The exchange's messages this side holds back for the peer's first ones go now, ahead of this one.
    pairing.handshake?.flush();
    const batcher = this.batcherOf(pairing);
    if (batcher) batcher.add(message, release);
    else if (pairing.sealer) this.seal(pairing, message, release, false);
    else pairing.waiting.push({ message, release });
  }

  async open(frame: P2pFrame): Promise<P2pFrame | P2pFrame[] | undefined> {
    const pairing = this.current;
    if (!pairing || pairing.ending) return undefined;
    if (frame.z === undefined) {
      // In the clear: only a skipped number (tagged), or a message of the exchange the handshake expects now.
      if (frame.x !== undefined && frame.e === undefined && frame.a === undefined) return this.openSkip(pairing, frame);
      if (frame.r === undefined && frame.w === undefined && pairing.handshake?.expects(frame.e)) return frame;
      return this.reject(pairing, frame, 'a message in the clear');
    }
    // The peer seals from the message after its last one of the exchange: by then this side is deriving the keys.
    if (!pairing.sealer) await Promise.race([pairing.handshake?.agreeing, pairing.agreed]);
    return this.openSealed(pairing, frame);
  }

  /** A sealed frame, opened as it arrives when the keys are known (frames open in parallel, counted in order). */
  openEarly(frame: P2pFrame): P2pFrame | P2pFrame[] | Promise<P2pFrame | P2pFrame[] | undefined> | undefined {
    const pairing = this.current;
    if (!pairing?.sealer || pairing.ending || frame.z === undefined) return undefined;
    const opened = this.openSealed(pairing, frame);
    // Dropped at once: still a promise, as undefined here would mean "open it in order".
    return opened ?? Promise.resolve(undefined);
  }

  /** The message in `frame`: at once where AES-GCM is synchronous (Node), else a promise; undefined: dropped. */
  private openSealed(pairing: Pairing, frame: P2pFrame): P2pFrame | P2pFrame[] | Promise<P2pFrame | P2pFrame[] | undefined> | undefined {
    const sealer = pairing.sealer;
    if (!sealer) return this.reject(pairing, frame, 'a sealed message before the keys were agreed');
    const tampered = () => this.reject(pairing, frame, 'a sealed message that does not open (tampered, forged or replayed)');
    try {
      const opened = sealer.open(frame);
      return isPromiseLike(opened) ? Promise.resolve(opened).catch(tampered) : opened;
    } catch {
      return tampered();
    }
  }

  ackTag(c: number, ready: () => void): string | undefined {
    return this.current?.ending ? undefined : this.current?.control?.ackTag(c, ready);
  }

  checkAck(c: number, tag: unknown): boolean | Promise<boolean> {
    return this.current?.control?.checkAck(c, tag) ?? false;
  }

  skip(message: OutgoingMessage, release: () => void): void {
    const pairing = this.current;
    const control = pairing?.control;
    // Without keys a skipped number cannot go (nothing sealed can have been refused before them).
    message.held = true;
    if (!pairing || !control || message.skipped === undefined) return;
    const fail = (cause: unknown) =>
      this.end(pairing, new P2pError('E2E_FAILED', `a skipped number could not be tagged: ${String(cause)}`));
    try {
      const tag = control.skipTag(message.seq, message.skipped);
      const done = (value: string) => {
        message.skipTag = value;
        message.held = false;
      };
      if (typeof tag === 'string') return done(tag);
      tag.then((value) => (done(value), release()), fail);
    } catch (cause) {
      fail(cause);
    }
  }

  /** The peer's skipped number, taken only with its genuine tag: a forged skip would lose the real message. */
  private async openSkip(pairing: Pairing, frame: P2pFrame): Promise<P2pFrame | undefined> {
    if (!pairing.control) await pairing.handshake?.agreeing;
    if (await pairing.control?.checkSkip(frame.s!, frame.x, frame.u)) return frame;
    return this.reject(pairing, frame, 'a skipped number without its genuine tag');
  }

  private keysAgreed(pairing: Pairing, sealer: MessageSealer, code: () => string, control: ControlAuthenticator): void {
    if (this.current !== pairing || pairing.ending) return;
    pairing.control = control;
    pairing.sealer = sealer;
    pairing.code = code;
    pairing.keysReady();
    for (const { message, release } of pairing.waiting.splice(0)) {
      const batcher = this.batcherOf(pairing);
      if (batcher) batcher.add(message, release);
      else this.seal(pairing, message, release, true);
    }
  }

  /**
   * The pairing's batcher, made once the keys are agreed and the peer announced that it opens batches. Pre-committed,
   * the requester has its keys before any frame of the peer arrived: its first messages are sealed alone, and the
   * batches start with the first message after the peer's announcement.
   */
  private batcherOf(pairing: Pairing): SealBatcher | undefined {
    if (pairing.batcher || !pairing.sealer || !pairing.channel.peerCan(BATCHES)) return pairing.batcher;
    const failed = (cause: unknown) => this.end(pairing, new P2pError('E2E_FAILED', `a message could not be sealed: ${String(cause)}`));
    const [live, maxMessageBytes] = [() => this.current === pairing && !pairing.ending, () => this.maxMessageBytes];
    return (pairing.batcher = new SealBatcher(pairing.sealer, { live, failed, maxMessageBytes }));
  }

  /**
   * Seals `message`; it goes once sealed. Synchronous sealing (Node) clears `held` at once: `release` is called only for
   * a message already in the channel (`inChannel`), as the channel sends what it takes itself.
   */
  private seal(pairing: Pairing, message: OutgoingMessage, release: () => void, inChannel: boolean): void {
    const done = (sealed: Uint8Array<ArrayBuffer>, later: boolean) => {
      if (this.current !== pairing || pairing.ending) return;
      message.sealed = wireForm(sealed);
      message.held = false;
      if (later || inChannel) release();
    };
    const fail = (cause: unknown) => this.end(pairing, new P2pError('E2E_FAILED', `a message could not be sealed: ${String(cause)}`));
    try {
      const sealed = pairing.sealer!.seal(message);
      if (isPromiseLike(sealed)) sealed.then((bytes) => done(bytes, true), fail);
      else done(sealed, false);
    } catch (cause) {
      fail(cause);
    }
  }

  private reject(pairing: Pairing, frame: P2pFrame, why: string): undefined {
    if (this.current === pairing) this.setup.emitLocal('error', new P2pError('E2E_FRAME_REJECTED', `dropped frame ${frame.s}: ${why}`));
    return undefined;
  }

  /** Ends the pairing once, later than the call that found out (it may be inside the channel's own work). */
  private end(pairing: Pairing, error: P2pError): void {
    if (pairing.ending) return;
    pairing.ending = true;
    clearTimeout(pairing.bound);
    pairing.handshake?.end();
    queueMicrotask(() => {
      if (this.current === pairing) this.setup.endPairing(error);
    });
  }
}
