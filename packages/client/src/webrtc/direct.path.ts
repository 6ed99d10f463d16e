import type { DeliveredSignal, SignalPayload } from 'nest-p2p-gateway-protocol';
import type { FramePath } from '../frame-path.interface.js';
import { TypedEmitter } from '../typed.emitter.js';
import type { DirectPathEvents, DirectPathOptions, DirectPathRole, DirectPathState } from './direct-path.options.js';
import { FINGERPRINT_MISMATCH } from './direct-path.options.js';
import { fingerprintsMatch, negotiatedFingerprints, sdpFingerprints } from './dtls.fingerprint.js';
import { ChannelBufferGate, DEFAULT_MAX_BUFFERED_BYTES } from './channel-buffer.gate.js';
import { decodeFrame, encodeFrameToSend } from './frame.codec.js';
import type { RTCPeerConnectionConstructor } from './peer-connection.interface.js';

// The options, events, states and role choice live beside it; importers of this file keep finding them here.
export * from './direct-path.options.js';

type CandidateInit = { candidate: string; sdpMid?: string | null; sdpMLineIndex?: number | null };

/** Signals that may wait for `start()`; a peer sends far fewer before it gets an answer. */
const MAX_EARLY_SIGNALS = 256;

function randomPathId(): string {
  return `${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 12)}`;
}

/**
 * One ordered, reliable WebRTC data channel to the peer, negotiated through the gateway's signalling, and a FramePath
 * over it. Frames are encoded by `encodeFrame` (JSON text; one binary message when they hold binary values).
 *
 * It only moves frames: delivery guarantees across a switch between paths belong to the reliable channel that uses it.
 * Frames handed to `send` while the channel dies may be lost with it.
 */
export class DirectPath extends TypedEmitter<DirectPathEvents> implements FramePath {
  private currentState: DirectPathState = 'new';
  private pc?: RTCPeerConnection;
  private channel?: RTCDataChannel;
  private unsubscribe?: () => void;
  private connectTimer?: ReturnType<typeof setTimeout>;
  private disconnectedTimer?: ReturnType<typeof setTimeout>;
  /** Signals are handled one after the other: a candidate never overtakes the description it belongs to. */
  private signals: Promise<void> = Promise.resolve();
  /** Candidates that came before the remote description, with the attempt they name. */
  private pendingCandidates: { init: CandidateInit; pathId?: string }[] = [];
  private remoteDescriptionSet = false;
  /**
   * The offerer's own candidates, held back until the answer is applied (see `start()`); undefined once they go out
   * as they come.
   */
  private heldCandidates?: SignalPayload[];
  private readonly label: string;
  /** The attempt's id: the offerer's own; the answerer's once it took the offer's. */
  private pathId?: string;
  /** Signals that came before `start()`, replayed by it. */
  private early: DeliveredSignal[] = [];
  /** Option `checkFingerprint`: the DTLS fingerprints of the remote description the peer sent (sealed). */
  private sealedFingerprints?: string[];
  private verifying = false;
  /** The data channel's backpressure (option `maxBufferedBytes`). */
  private readonly gate: ChannelBufferGate;
  /** Frames sent and received over this path. */
  sentFrames = 0;
  receivedFrames = 0;

  /**
   * Listens to the signalling at once: signals that come before `start()` (an offer that overtook this side's own
   * set-up) wait for it.
   */
  constructor(private readonly options: DirectPathOptions) {
    super();
    this.label = options.label ?? 'p2p-frames';
    this.gate = new ChannelBufferGate(options.maxBufferedBytes ?? DEFAULT_MAX_BUFFERED_BYTES, () => this.currentState === 'open');
    if (options.role === 'offerer') this.pathId = options.pathId ?? randomPathId();
    this.unsubscribe = options.signalling.subscribe((signal) => this.handleSignal(signal));
  }

  get state(): DirectPathState {
    return this.currentState;
  }

  get role(): DirectPathRole {
    return this.options.role;
  }

  /** Bytes queued on the data channel, not sent yet (0 when it is not open). */
  get bufferedAmount(): number {
    return this.channel?.bufferedAmount ?? 0;
  }

  /** Starts negotiating (call once): the offerer offers; the answerer answers the offer, come before or after. */
  start(): void {
    if (this.currentState !== 'new') throw new Error(`DirectPath: start() in state ${this.currentState}`);
    this.currentState = 'connecting';
    const PeerConnection =
      this.options.RTCPeerConnection ?? (globalThis as { RTCPeerConnection?: RTCPeerConnectionConstructor }).RTCPeerConnection;
    if (!PeerConnection) return this.end('negotiation: no RTCPeerConnection in this runtime (pass one in the options)', false);
    this.connectTimer = setTimeout(() => this.end('timeout', true), this.options.connectTimeoutMs ?? 15_000);
    try {
      // The option's type checks only the methods (see PeerConnectionLike); the object is a W3C peer connection.
      this.pc = new PeerConnection({
        iceServers: this.options.iceServers ?? [],
        iceTransportPolicy: this.options.iceTransportPolicy ?? 'all',
        ...this.options.peerConnectionConfig,
      } as RTCConfiguration) as unknown as RTCPeerConnection;
    } catch (error) {
      return this.end(`negotiation: ${describe(error)}`, true);
    }
    const pc = this.pc;
    // The offerer tells its candidates only once it applied the answer: the offer goes without them, and the ones
    // gathered meanwhile wait. Until the answerer knows a candidate of ours it cannot run ICE checks against us, so
    // ICE and DTLS start here only after the answer (and its DTLS fingerprint) is in place. Otherwise the answerer,
    // connected first, starts the DTLS handshake (it is the DTLS client) while we apply the answer; libdatachannel
    // hands the answer to ICE before it records the answer's fingerprint, so on a busy machine ICE connects and the
    // handshake reaches the certificate check in between: the check finds no fingerprint, DTLS fails, the connection
    // closes, and setRemoteDescription throws `Got a remote candidate without ICE transport` (docs/webrtc.md).
    if (this.options.role === 'offerer') this.heldCandidates = [];
    pc.onicecandidate = (event) => {
      const candidate = event.candidate;
      // A null candidate (or an empty one) only says gathering ended; the peer does not need it.
      if (!candidate?.candidate) return;
      const signal: SignalPayload = {
        type: 'candidate',
        candidate: candidate.candidate,
        sdpMid: candidate.sdpMid ?? null,
        sdpMLineIndex: candidate.sdpMLineIndex ?? null,
      };
      if (this.heldCandidates) this.heldCandidates.push(signal);
      else this.signal(signal);
    };
    pc.onconnectionstatechange = () => this.onConnectionState(pc.connectionState);
    pc.oniceconnectionstatechange = () => {
      if (pc.iceConnectionState === 'failed') this.end('ice-failed', true);
    };
    const early = this.early;
    this.early = [];
    for (const signal of early) this.handleSignal(signal);
    if (this.options.role === 'offerer') {
      this.attach(pc.createDataChannel(this.label, { ordered: true }));
      this.queue(async () => {
        const offer = await pc.createOffer();
        await pc.setLocalDescription(offer);
        // Each candidate also comes through onicecandidate, held until the answer is applied (see above).
        this.signal({ type: 'offer', sdp: withoutCandidates(pc.localDescription?.sdp ?? offer.sdp ?? '') });
      });
    } else {
      pc.ondatachannel = (event) => {
        if (event.channel.label === this.label) this.attach(event.channel);
      };
    }
  }

  /** Sends one frame over the data channel; false when the channel is not open (or refused the message). */
  send(frame: object): boolean {
    const channel = this.channel;
    this.gate.clearRefusal();
    if (this.currentState !== 'open' || channel?.readyState !== 'open' || this.gate.refuses(frame)) return false;
    try {
      const message = encodeFrameToSend(frame);
      if (typeof message === 'string') channel.send(message);
      else channel.send(message);
    } catch {
      return false;
    }
    this.sentFrames++;
    return true;
  }

  /**
   * `ready` is called once the data channel's buffer fell low again (`bufferedamountlow`), when the last `send` was
   * refused for a full buffer. Refused for another cause (the channel closing), it is never called: the path ends.
   */
  onceWritable(ready: () => void): void {
    this.gate.onceWritable(ready);
  }

  /** Ends the path and tells the peer (`bye`). Emits `close` if it was open, `failed` otherwise. */
  close(): void {
    this.end('closed', true);
  }

  private onConnectionState(state: RTCPeerConnectionState): void {
    if (state === 'failed') return this.end('ice-failed', true);
    if (state === 'closed') return this.end('channel-closed', false);
    if (state === 'disconnected') {
      this.disconnectedTimer ??= setTimeout(() => this.end('disconnected', true), this.options.disconnectedTimeoutMs ?? 3_000);
      return;
    }
    clearTimeout(this.disconnectedTimer);
    this.disconnectedTimer = undefined;
  }

  private attach(channel: RTCDataChannel): void {
    this.channel = channel;
    channel.binaryType = 'arraybuffer';
    this.gate.attach(channel);
    channel.onopen = () => this.opened();
    channel.onclose = () => this.end('channel-closed', true);
    channel.onmessage = (event: MessageEvent) => this.onMessage(event.data);
    if (channel.readyState === 'open') this.opened();
  }

  private opened(): void {
    if (this.currentState !== 'connecting') return;
    if (this.options.checkFingerprint && !this.verifying) {
      this.verifying = true;
      void this.verifyThenOpen();
      return;
    }
    this.currentState = 'open';
    clearTimeout(this.connectTimer);
    this.emitLocal('open');
  }

  /**
   * Option `checkFingerprint`: the channel opens for frames only if the DTLS fingerprint the connection negotiated is
   * one the peer sent in its (sealed) description; otherwise the path ends with `E2E_FINGERPRINT_MISMATCH`.
   */
  private async verifyThenOpen(): Promise<void> {
    const inUse = this.pc ? await negotiatedFingerprints(this.pc) : [];
    if (this.currentState !== 'connecting') return;
    if (!fingerprintsMatch(this.sealedFingerprints ?? [], inUse)) return this.end(FINGERPRINT_MISMATCH, true);
    this.opened();
  }

  /**
   * Option `checkFingerprint`, once a remote description is applied: the connection must check the peer's certificate
   * against a fingerprint the peer sent (sealed), not one put there on the way. False (and the path ended) otherwise.
   */
  private remoteMatches(pc: RTCPeerConnection, sdp: string): boolean {
    if (!this.options.checkFingerprint) return true;
    this.sealedFingerprints = sdpFingerprints(sdp);
    if (fingerprintsMatch(this.sealedFingerprints, sdpFingerprints(pc.remoteDescription?.sdp))) return true;
    this.end(FINGERPRINT_MISMATCH, true);
    return false;
  }

  private onMessage(data: unknown): void {
    if (this.currentState !== 'open') return;
    let frame: object;
    try {
      frame = decodeFrame(data as string | ArrayBuffer | ArrayBufferView);
    } catch {
      return this.end('bad-frame', true);
    }
    this.receivedFrames++;
    this.options.onFrame?.(frame);
    this.emitLocal('frame', frame);
  }

  /**
   * Takes one signal from the peer. Called by the signalling's subscription; call it yourself when you route
   * `P2P_SIGNAL`s (a `subscribe` that does nothing then). Before `start()` signals wait; after the end they are ignored.
   */
  handleSignal(signal: DeliveredSignal): void {
    if (this.currentState === 'new') {
      if (this.early.length < MAX_EARLY_SIGNALS) this.early.push(signal);
      return;
    }
    if (this.currentState !== 'connecting' && this.currentState !== 'open') return;
    const pc = this.pc;
    if (!pc) return;
    if (signal.pathId !== undefined) {
      // The answerer joins the attempt of the first offer it takes; anything of another attempt is stale. Until then
      // it keeps candidates (the offerer trickles some before its offer), sorted out once it knows the attempt.
      if (this.pathId === undefined && this.options.role === 'answerer') {
        if (signal.type === 'offer') {
          this.pathId = signal.pathId;
          this.pendingCandidates = this.pendingCandidates.filter((pending) => pending.pathId === signal.pathId);
        } else if (signal.type !== 'candidate') {
          return;
        }
      } else if (signal.pathId !== this.pathId) {
        return;
      }
    }
    switch (signal.type) {
      case 'bye':
        return this.end('peer-closed', false);
      case 'offer':
        if (this.options.role !== 'answerer') return;
        return this.queue(async () => {
          await pc.setRemoteDescription({ type: 'offer', sdp: signal.sdp });
          if (!this.remoteMatches(pc, signal.sdp)) return;
          await this.remoteDescriptionReady(pc);
          const answer = await pc.createAnswer();
          await pc.setLocalDescription(answer);
          this.signal({ type: 'answer', sdp: pc.localDescription?.sdp ?? answer.sdp ?? '' });
        });
      case 'answer':
        if (this.options.role !== 'offerer') return;
        return this.queue(async () => {
          await pc.setRemoteDescription({ type: 'answer', sdp: signal.sdp });
          if (!this.remoteMatches(pc, signal.sdp)) return;
          await this.remoteDescriptionReady(pc);
          this.releaseCandidates();
        });
      case 'candidate': {
        if (!signal.candidate) return;
        const init: CandidateInit = {
          candidate: signal.candidate,
          sdpMid: signal.sdpMid ?? null,
          sdpMLineIndex: signal.sdpMLineIndex ?? null,
        };
        const pathId = signal.pathId;
        return this.queue(async () => {
          if (!this.remoteDescriptionSet) this.pendingCandidates.push({ init, pathId });
          else await pc.addIceCandidate(init);
        });
      }
    }
  }

  /** The offerer, its answer applied: sends the candidates it held back, and from now on each as it comes. */
  private releaseCandidates(): void {
    const held = this.heldCandidates ?? [];
    this.heldCandidates = undefined;
    for (const candidate of held) this.signal(candidate);
  }

  /** Sends a signal of this attempt. */
  private signal(signal: SignalPayload): void {
    // A negotiation step still running when the path ended sends nothing more; only the goodbye goes out.
    if ((this.currentState === 'closed' || this.currentState === 'failed') && signal.type !== 'bye') return;
    this.options.signalling.send(this.pathId === undefined ? signal : { ...signal, pathId: this.pathId });
  }

  private async remoteDescriptionReady(pc: RTCPeerConnection): Promise<void> {
    this.remoteDescriptionSet = true;
    const pending = this.pendingCandidates;
    this.pendingCandidates = [];
    for (const { init, pathId } of pending) {
      if (pathId === undefined || pathId === this.pathId) await pc.addIceCandidate(init);
    }
  }

  /** Runs a negotiation step after the ones before it; a failure ends the path. */
  private queue(step: () => Promise<void>): void {
    this.signals = this.signals.then(async () => {
      if (this.currentState !== 'connecting' && this.currentState !== 'open') return;
      try {
        await step();
      } catch (error) {
        this.end(`negotiation: ${describe(error)}`, true);
      }
    });
  }

  private end(reason: string, tellPeer: boolean): void {
    if (this.currentState === 'closed' || this.currentState === 'failed') return;
    const wasOpen = this.currentState === 'open';
    this.currentState = wasOpen ? 'closed' : 'failed';
    clearTimeout(this.connectTimer);
    clearTimeout(this.disconnectedTimer);
    // An answerer that never took an offer has nothing to end on the other side, and an unnamed bye could end a
    // later attempt there.
    if (tellPeer && this.unsubscribe && this.pathId !== undefined) {
      try {
        this.signal({ type: 'bye' });
      } catch {
        // The signalling socket may be gone too; the peer then finds out from its own channel.
      }
    }
    this.unsubscribe?.();
    this.unsubscribe = undefined;
    const { channel, pc } = this;
    if (channel) {
      channel.onopen = null;
      channel.onclose = null;
      channel.onmessage = null;
    }
    this.gate.detach();
    this.early = [];
    if (pc) {
      pc.onicecandidate = null;
      pc.onconnectionstatechange = null;
      pc.oniceconnectionstatechange = null;
      pc.ondatachannel = null;
    }
    try {
      channel?.close();
    } catch {
      // Closing a channel that is closing already.
    }
    try {
      pc?.close();
    } catch {
      // Same for the connection.
    }
    this.emitLocal(wasOpen ? 'close' : 'failed', reason);
  }
}

/** The SDP without its candidate lines (`a=candidate:...`, `a=end-of-candidates`); line endings are kept. */
function withoutCandidates(sdp: string): string {
  return sdp
    .split(/(?<=\n)/)
    .filter((line) => !/^a=(candidate:|end-of-candidates)/.test(line))
    .join('');
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
