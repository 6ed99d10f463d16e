import { type DeliveredSignal, P2pError, P2pEvent, type P2pTransport, type SignalPayload } from 'nest-p2p-gateway-protocol';
import { TypedEmitter } from '../typed.emitter.js';
import { DirectPath, type DirectPathOptions, FINGERPRINT_MISMATCH, directPathRole } from './direct.path.js';
import { RetryBackoff, type RetryBackoffOptions } from './retry.backoff.js';
import { type SignallingChannel, type SignallingSocket, requestWebRtcConfig, socketSignalling } from './socket.signalling.js';

export interface DirectUpgradeEvents {
  /** A direct path is open: carry frames over `path` (a FramePath). */
  direct: (path: DirectPath) => void;
  /** The direct path is gone (`reason` from its `close`); traffic goes back to the relay. */
  relay: (reason: string) => void;
  /** The gateway does not allow an upgrade for this pairing (or the client is not on protocol 3): nothing is tried. */
  unavailable: (reason: string) => void;
  /**
   * With `checkFingerprint`: a path failed the DTLS fingerprint check, here or on the peer's side (E2E_FINGERPRINT_MISMATCH).
   * The upgrade stops for this pairing: its messages stay on the relay.
   */
  refused: (error: P2pError) => void;
}

export interface DirectUpgradeOptions extends Pick<
  DirectPathOptions,
  'RTCPeerConnection' | 'peerConnectionConfig' | 'iceTransportPolicy' | 'connectTimeoutMs' | 'label' | 'checkFingerprint'
> {
  /** A connected protocol 3 socket of this client. */
  socket: SignallingSocket;
  clientId: string;
  peerId: string;
  /** Receives every frame that comes over a direct path. */
  onFrame: (frame: object) => void;
  /** Adapts the gateway's ICE servers to the runtime: `iceServersForNodeDataChannel` with node-datachannel. */
  adaptIceServers?: ((iceServers: RTCIceServer[]) => RTCIceServer[]) | undefined;
  /** Spacing of the offerer's attempts after a failure or a loss. */
  backoff?: RetryBackoffOptions | undefined;
  /** Tells the gateway each change (`P2P_TRANSPORT`), for PairingService and the control center. @default true */
  reportTransport?: boolean | undefined;
  /**
   * Where signals go instead of the gateway's `P2P_SIGNAL` (option `e2e`: sealed inside the reliable channel). With it
   * no signal is sent or taken through `P2P_SIGNAL`. @default the socket's `P2P_SIGNAL`
   */
  signalling?: SignallingChannel | undefined;
}

/** A goodbye of the sealed signalling that tells the peer why: the upgrade stops on both sides. */
type RefusingBye = SignalPayload & { refused?: string };

/** Signals kept while no path takes them (an offer arriving while this side asks for its ICE servers). */
const MAX_WAITING_SIGNALS = 256;

/**
 * Keeps one paired client on a direct path whenever it can: asks the gateway for its ICE servers, negotiates a
 * DirectPath (the smaller clientId offers), reports `direct` / `relay`, and after a loss or a failure tries again, the
 * offerer with backoff and the answerer on the next offer. Create it once paired; `stop()` when the pairing ends.
 */
export class DirectUpgrade extends TypedEmitter<DirectUpgradeEvents> {
  private readonly role;
  private readonly backoff: RetryBackoff;
  private readonly signalling: SignallingChannel;
  private unsubscribe?: () => void;
  private current?: DirectPath;
  /** The offer id of the answerer's current path. */
  private currentOfferId?: string;
  private waiting: DeliveredSignal[] = [];
  private creating = false;
  private stopped = false;
  private currentTransport: P2pTransport = 'relay';
  private attempts = 0;

  constructor(private readonly options: DirectUpgradeOptions) {
    super();
    this.role = directPathRole(options.clientId, options.peerId);
    this.backoff = new RetryBackoff(options.backoff);
    this.signalling = options.signalling ?? socketSignalling(options.socket);
  }

  get transport(): P2pTransport {
    return this.currentTransport;
  }

  /** The open direct path, if any. */
  get path(): DirectPath | undefined {
    return this.currentTransport === 'direct' ? this.current : undefined;
  }

  /** Negotiation attempts started so far (offerer) or offers taken (answerer). */
  get attemptCount(): number {
    return this.attempts;
  }

  start(): void {
    this.unsubscribe = this.signalling.subscribe((signal) => this.onSignal(signal));
    if (this.role === 'offerer') void this.attempt();
  }

  /** Stops trying and closes the path (telling the peer); emits `relay` if it was direct. */
  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    this.backoff.cancel();
    this.unsubscribe?.();
    this.waiting = [];
    const path = this.current;
    this.current = undefined;
    path?.close();
    this.toRelay('stopped');
  }

  private onSignal(signal: DeliveredSignal): void {
    if (this.stopped || signal.sourceClientId !== this.options.peerId) return;
    if (signal.type === 'bye' && this.options.checkFingerprint && (signal as RefusingBye).refused === FINGERPRINT_MISMATCH) {
      return this.refuse('the peer found a DTLS fingerprint it did not receive sealed');
    }
    const newOffer =
      signal.type === 'offer' &&
      (signal.pathId === undefined || signal.pathId !== this.currentOfferId || (!this.current && !this.creating));
    if (this.role === 'answerer' && newOffer) {
      // A new attempt of the offerer: whatever this side had is over for it.
      const previous = this.current;
      this.current = undefined;
      previous?.close();
      // Candidates of this attempt may have come before its offer; the rest is stale.
      this.waiting = [signal, ...this.waiting.filter((early) => early.type === 'candidate' && early.pathId === signal.pathId)];
      void this.answer(signal.pathId);
      return;
    }
    if (this.current) return this.current.handleSignal(signal);
    if (this.waiting.length < MAX_WAITING_SIGNALS) this.waiting.push(signal);
  }

  private async attempt(): Promise<void> {
    await this.createPath(undefined);
  }

  private async answer(offerId: string | undefined): Promise<void> {
    this.currentOfferId = offerId;
    await this.createPath(offerId);
  }

  private async createPath(offerId: string | undefined): Promise<void> {
    if (this.stopped) return;
    this.creating = true;
    this.attempts++;
    let iceServers: RTCIceServer[];
    try {
      const config = await requestWebRtcConfig(this.options.socket);
      if (!config.allowed) {
        this.creating = false;
        this.emitLocal('unavailable', 'the gateway does not allow a direct path for this pairing');
        return this.stop();
      }
      iceServers = this.options.adaptIceServers ? this.options.adaptIceServers(config.iceServers) : config.iceServers;
    } catch (error) {
      this.creating = false;
      if ((error as { code?: string }).code === 'UPGRADE_FORBIDDEN') {
        this.emitLocal('unavailable', (error as Error).message);
        return this.stop();
      }
      return this.retry();
    }
    // Another offer may have come in meanwhile (answerer): only the latest one gets a path.
    if (this.stopped || (this.role === 'answerer' && offerId !== this.currentOfferId)) return;
    this.creating = false;
    const {
      socket: _socket,
      clientId: _clientId,
      peerId: _peerId,
      onFrame,
      adaptIceServers: _adapt,
      backoff: _backoff,
      reportTransport: _report,
      signalling: _signalling,
      ...pathOptions
    } = this.options;
    const path = new DirectPath({
      ...pathOptions,
      role: this.role,
      iceServers,
      onFrame,
      // This class routes the signals (it holds the one subscription): the path only sends.
      signalling: { send: (signal) => this.signalling.send(signal), subscribe: () => () => undefined },
    });
    this.current = path;
    path.once('open', () => {
      if (this.current !== path) return;
      this.backoff.reset();
      this.currentTransport = 'direct';
      this.report('direct');
      this.emitLocal('direct', path);
    });
    const ended = (reason: string) => {
      if (this.current !== path) return;
      this.current = undefined;
      if (reason === FINGERPRINT_MISMATCH) {
        const refusal: RefusingBye = { type: 'bye', refused: FINGERPRINT_MISMATCH };
        this.signalling.send(refusal);
        return this.refuse('the DTLS fingerprint the peer connection negotiated is not the one received sealed');
      }
      this.toRelay(reason);
      this.retry();
    };
    path.once('close', ended);
    path.once('failed', ended);
    const waiting = this.waiting;
    this.waiting = [];
    for (const signal of waiting) path.handleSignal(signal);
    path.start();
  }

  /** A fingerprint check failed: no more attempts for this pairing, the relay carries it. */
  private refuse(why: string): void {
    this.stop();
    this.emitLocal('refused', new P2pError('E2E_FINGERPRINT_MISMATCH', why));
  }

  /** The offerer tries again after the next backoff delay; the answerer waits for the next offer. */
  private retry(): void {
    if (this.stopped || this.role !== 'offerer') return;
    this.backoff.schedule(() => void this.attempt());
  }

  private toRelay(reason: string): void {
    if (this.currentTransport !== 'direct') return;
    this.currentTransport = 'relay';
    this.report('relay');
    this.emitLocal('relay', reason);
  }

  private report(transport: P2pTransport): void {
    if (this.options.reportTransport === false) return;
    this.options.socket.emit(P2pEvent.TRANSPORT, { transport }, () => undefined);
  }
}
