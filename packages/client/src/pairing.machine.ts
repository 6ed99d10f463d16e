import { P2pDisconnectReason, P2pError, P2pEvent, type P2pFrame, type SessionPayload } from 'nest-p2p-gateway-protocol';
import type { P2pClientSocket } from './client-socket.interface.js';
import type { GatewayCall } from './gateway.requests.js';
import type { ClientEventSink, P2pClientState } from './p2p-client.events.js';
import type { ResumeClockHost } from './resume.clock.js';
import type { PairPrecommit, PairedVia } from './e2e/e2e.precommit.js';

/** A pairing request this client was asked, while it decides. */
interface IncomingRequest {
  sourceId: string;
  peerProtocol: number;
  peerWebRtc: boolean | undefined;
  /** What the request told of its source (PeerInfo), for the e2e pre-commitment. */
  info: unknown;
}

function peerProtocolOf(info: unknown): number {
  const declared = (typeof info === 'object' && info !== null ? (info as { peerProtocol?: unknown }).peerProtocol : undefined) ?? 1;
  return typeof declared === 'number' ? declared : 1;
}

/** Whether the peer enabled WebRTC too; undefined when the gateway did not say (one older than the field). */
function peerWebRtcOf(info: unknown): boolean | undefined {
  const told = typeof info === 'object' && info !== null ? (info as { peerWebRtc?: unknown }).peerWebRtc : undefined;
  return typeof told === 'boolean' ? told : undefined;
}

/** What the state machine asks of the client around it as pairings begin and end. */
export interface PairingMachineHost {
  /**
   * The pairing with `peerId` began: its reliable channel (both sides speak protocol 3) and direct path start; the
   * direct path only if `peerWebRtc` is not false (the peer's own WebRTC, as the gateway told; undefined: not told).
   */
  openChannel(peerId: string, peerProtocol: number, peerWebRtc: boolean | undefined): void;
  /** The connection came back and the pairing with `peerId` carries on: the channel resyncs, the upgrade restarts. */
  resumeChannel(peerId: string, peerWebRtc: boolean | undefined): void;
  /** The pairing ended (or none began): its channel closes with `error`. */
  closeChannel(error: P2pError): void;
  /**
   * The peer's frames held while this client awaited the server's answer to its pairing (see `awaitingOwnAnswer`), in
   * arrival order; none are held afterwards. Taken, and dropped, when that wait ends without a pairing.
   */
  takeEarlyFrames(): readonly P2pFrame[];
  /** Hands frames taken by `takeEarlyFrames` to the pairing's reliable channel, if it has one. */
  deliverEarlyFrames(frames: readonly P2pFrame[]): void;
}

/** The state machine's fixed parts, from the client's options. */
export interface PairingMachineSetup {
  readonly socket: Pick<P2pClientSocket, 'emit'>;
  readonly call: GatewayCall;
  readonly emitLocal: ClientEventSink;
  readonly pairTimeoutMs: number;
  readonly requestTimeoutMs: number;
  readonly consent: (sourceId: string) => boolean | Promise<boolean>;
  /** Option `e2e`: what pair requests and consents carry of the key exchange (docs/e2e.md). */
  readonly precommit?: PairPrecommit | undefined;
}

/**
 * The pairing state machine (`idle`, `pairing`, `asked`, `paired`, `resuming`): this client's own requests (`pair`),
 * the requests it is asked and their consent, the peer's departure, and the server's word on each connection
 * (P2P_SESSION). The server is the truth; the machine follows its acks and notices, also when they cross.
 */
export class PairingMachine implements ResumeClockHost {
  private currentPeer?: string;
  /** The request this client is being asked, while it decides and until the server has its answer. */
  private asked?: IncomingRequest;
  /** The target of this client's own request while its answer is awaited. */
  private pendingTarget?: string;
  /** A request from `pendingTarget` that crossed this client's own (the gateway pairs the two): asked if pair() fails. */
  private crossingRequest?: IncomingRequest;
  /** The source whose request this client has consented to, while the server's ack is awaited. */
  private consentingTo?: string;
  /**
   * A P2P_DISCONNECT naming the other side of a request whose ack is still awaited: the server made the pairing and
   * ended it before this client read the ack (both can arrive in one socket read, the notice handled first).
   */
  private endedBeforeAck?: { peerId: string; reason: string };
  private currentState: P2pClientState = 'idle';
  private readonly socket: PairingMachineSetup['socket'];
  private readonly call: GatewayCall;
  private readonly emitLocal: ClientEventSink;
  private readonly pairTimeoutMs: number;
  private readonly requestTimeoutMs: number;
  private readonly consent: PairingMachineSetup['consent'];
  private readonly precommit: PairPrecommit | undefined;

  constructor(
    setup: PairingMachineSetup,
    private readonly host: PairingMachineHost,
  ) {
    this.socket = setup.socket;
    this.call = setup.call;
    this.emitLocal = setup.emitLocal;
    this.pairTimeoutMs = setup.pairTimeoutMs;
    this.requestTimeoutMs = setup.requestTimeoutMs;
    this.consent = setup.consent;
    this.precommit = setup.precommit;
  }

  /** The clientId this client is paired with, if any. */
  get peerId(): string | undefined {
    return this.currentPeer;
  }

  get state(): P2pClientState {
    return this.currentState;
  }

  /**
   * Whether the server may have paired this client while it has not read the server's answer yet: its own request or
   * its consent awaits the ack. The only peer a frame can then come from is that one.
   */
  get awaitingOwnAnswer(): boolean {
    return (
      (this.currentState === 'pairing' && this.pendingTarget !== undefined) ||
      (this.currentState === 'asked' && this.consentingTo !== undefined)
    );
  }

  /** Asks `targetId` to pair; see `P2pClient.pair`. */
  async pair(targetId: string): Promise<void> {
    const before = this.currentState;
    if (before === 'idle') this.currentState = 'pairing';
    this.pendingTarget = targetId;
    this.endedBeforeAck = undefined;
    try {
      // Option e2e: the key exchange's commitment goes with the request (docs/e2e.md); without it, no wait at all.
      const extra = this.precommit ? await this.precommit.request(targetId).catch(() => undefined) : undefined;
      const [ok, error, info] = await this.call(P2pEvent.REGISTER, extra ? [targetId, extra] : [targetId], this.pairTimeoutMs);
      const ended = this.takeEndedBeforeAck(targetId);
      if (ok !== true) throw P2pError.fromPayload(error);
      // Paired with the target already (this client consented to its request meanwhile): nothing begins twice.
      if (this.currentState !== 'paired' || this.currentPeer !== targetId)
        this.becomePaired(targetId, peerProtocolOf(info), peerWebRtcOf(info), { as: 'requester', info });
      if (ended) this.becomeIdle(targetId, ended.reason);
      // Pre-committed, pair() resolves once the keys are derived (a local step): the first message is sealed at once.
      else await this.precommit?.keysDerived();
    } catch (error) {
      if (this.currentState === 'pairing') this.currentState = 'idle';
      this.host.takeEarlyFrames();
      throw error;
    } finally {
      if (this.pendingTarget === targetId) this.pendingTarget = undefined;
      // Crossing requests paired the two, or this request failed: then the target's own request is asked as usual.
      const crossing = this.crossingRequest;
      this.crossingRequest = undefined;
      if (crossing?.sourceId === targetId && this.currentState === 'idle') this.askConsent(crossing);
    }
  }

  becomePaired(peerId: string, peerProtocol: number, peerWebRtc: boolean | undefined, via: PairedVia = { as: 'other' }): void {
    this.asked = undefined;
    this.precommit?.paired(peerId, via);
    this.currentPeer = peerId;
    this.currentState = 'paired';
    this.host.openChannel(peerId, peerProtocol, peerWebRtc);
    const early = this.host.takeEarlyFrames();
    this.emitLocal('paired', peerId);
    // The peer's first frames, when they came before the server's answer was read: delivered now, not resent.
    this.host.deliverEarlyFrames(early);
  }

  /** `error`: what the pairing's lost messages are reported with, when this side ended it for a cause of its own. */
  becomeIdle(peerId: string | undefined, reason: string, error?: P2pError): void {
    const wasPaired = (this.currentState === 'paired' || this.currentState === 'resuming') && peerId !== undefined;
    // Withdrawn, not answered: an answer's own outcome passes no reason.
    if (this.currentState === 'asked' && this.asked !== undefined && reason !== '')
      this.emitLocal('request-withdrawn', this.asked.sourceId, reason);
    this.currentPeer = undefined;
    this.asked = undefined;
    this.currentState = 'idle';
    this.host.takeEarlyFrames();
    this.host.closeChannel(error ?? new P2pError('PEER_DISCONNECTED', `the pairing with ${peerId} ended (${reason || 'DISCONNECTED'})`));
    if (wasPaired) this.emitLocal('unpaired', peerId, reason);
  }

  /** The connection is lost while paired, and will come back by itself: the peer is kept (ResumeClock). */
  suspend(): void {
    this.currentState = 'resuming';
  }

  /** No resume came in time, or none will come (ResumeClock): the pairing ends. */
  endResume(): void {
    this.becomeIdle(this.currentPeer, P2pDisconnectReason.DISCONNECTED);
  }

  readonly onPairRequest = (sourceId: unknown, info?: unknown): void => {
    if (typeof sourceId !== 'string') return;
    const request: IncomingRequest = { sourceId, peerProtocol: peerProtocolOf(info), peerWebRtc: peerWebRtcOf(info), info };
    // Crossing requests: this client's own request to `sourceId` is its consent, and the gateway pairs the two as the
    // requests meet. The late request of a pairing made so (from another node) needs no answer either.
    if (this.currentState === 'pairing' && sourceId === this.pendingTarget) this.crossingRequest = request;
    else if (this.currentState === 'paired' && sourceId === this.currentPeer) return;
    else if (this.currentState !== 'idle') this.socket.emit(P2pEvent.REGISTER_FAILED, sourceId);
    else this.askConsent(request);
  };

  private askConsent(request: IncomingRequest): void {
    const { sourceId } = request;
    this.currentState = 'asked';
    this.asked = request;
    this.emitLocal('request', sourceId);
    // The e2e key for the consent is made while the app decides (the pre-commitment, when the request carried one).
    const extra = this.precommit?.consent(sourceId, request.info).catch(() => undefined);
    Promise.resolve()
      .then(() => this.consent(sourceId))
      .catch(() => false)
      .then((accepted) => {
        if (accepted !== true || !extra) return this.answerRequest(request, accepted === true);
        return extra.then((data) => this.answerRequest(request, true, data));
      });
  }

  /**
   * Sends this client's answer to `request`. Each request is its own object: the outcome of one answer only ever
   * touches the state that same request created, never a later request from the same source (a refusal's ack and
   * that source's next request can arrive in one socket read, the request first).
   */
  private answerRequest(request: IncomingRequest, accepted: boolean, extra?: object): void {
    if (this.asked !== request) return; // withdrawn meanwhile (source left, or timed out)
    const { sourceId } = request;
    const event = accepted ? P2pEvent.REGISTER_SUCCESS : P2pEvent.REGISTER_FAILED;
    if (accepted) {
      this.consentingTo = sourceId;
      this.endedBeforeAck = undefined;
    } else {
      // A refusal frees this client at once (the server frees it on receipt), so a request right behind is asked.
      this.becomeIdle(undefined, '');
    }
    this.call(event, extra ? [sourceId, extra] : [sourceId], this.requestTimeoutMs).then(
      ([ok, error, info]) => {
        const ended = accepted ? this.takeConsentOutcome(sourceId) : undefined;
        if (accepted && ok === true && this.asked === request) {
          this.becomePaired(sourceId, request.peerProtocol, request.peerWebRtc, { as: 'target', info });
          if (ended) this.becomeIdle(sourceId, ended.reason);
          return;
        }
        if (this.asked === request) this.becomeIdle(undefined, '');
        if (ok !== true) this.emitLocal('error', P2pError.fromPayload(error));
      },
      (error: P2pError) => {
        if (accepted) this.takeConsentOutcome(sourceId);
        if (this.asked === request) this.becomeIdle(undefined, '');
        this.emitLocal('error', error);
      },
    );
  }

  readonly onPeerGone = (peerId: unknown, reason: unknown): void => {
    const why = typeof reason === 'string' ? reason : P2pDisconnectReason.DISCONNECTED;
    if (this.currentState === 'paired' && (peerId === this.currentPeer || peerId === undefined)) {
      this.becomeIdle(this.currentPeer, why);
    } else if (typeof peerId !== 'string') {
      return;
    } else if (this.currentState === 'pairing' && peerId === this.crossingRequest?.sourceId) {
      // The crossing request was withdrawn before the two requests met (a pairing would have been acked first).
      this.crossingRequest = undefined;
    } else if (this.currentState === 'pairing' && peerId === this.pendingTarget) {
      this.endedBeforeAck = { peerId, reason: why };
    } else if (this.currentState === 'asked' && peerId === this.asked?.sourceId) {
      // With a consent in flight, its ack settles the state: a pairing that ended, or a request withdrawn.
      if (peerId === this.consentingTo) this.endedBeforeAck = { peerId, reason: why };
      else this.becomeIdle(undefined, why);
    }
  };

  private takeEndedBeforeAck(peerId: string): { peerId: string; reason: string } | undefined {
    const ended = this.endedBeforeAck;
    if (ended?.peerId !== peerId) return undefined;
    this.endedBeforeAck = undefined;
    return ended;
  }

  private takeConsentOutcome(sourceId: string): { peerId: string; reason: string } | undefined {
    if (this.consentingTo === sourceId) this.consentingTo = undefined;
    return this.takeEndedBeforeAck(sourceId);
  }

  /** The server's word on each connection: whether it kept this client's pairing. */
  sessionStarted(session: SessionPayload): void {
    const { resumed, peerId, peerProtocol, peerWebRtc } = session;
    if (resumed === true && typeof peerId === 'string') {
      if (this.currentState === 'resuming' && this.currentPeer === peerId) {
        this.currentState = 'paired';
        // Frames in flight on the lost connection may be gone either way: both sides resend what the other lacks.
        this.host.resumeChannel(peerId, peerWebRtcOf({ peerWebRtc }));
        this.emitLocal('resumed', peerId);
      } else {
        if (this.currentState === 'resuming') this.becomeIdle(this.currentPeer, P2pDisconnectReason.DISCONNECTED);
        this.becomePaired(peerId, peerProtocolOf({ peerProtocol }), peerWebRtcOf({ peerWebRtc }));
      }
    } else if (this.currentState === 'resuming') {
      this.becomeIdle(this.currentPeer, P2pDisconnectReason.DISCONNECTED);
    }
  }
}
