import type { P2pError, P2pTransport } from 'nest-p2p-gateway-protocol';
import type { P2pClientWebRtcOptions } from './client-webrtc.options.js';
import type { DirectPath } from './direct.path.js';
import { DirectUpgrade } from './direct.upgrade.js';
import type { SignallingChannel, SignallingSocket } from './socket.signalling.js';

/** What the switch needs from its owner (P2pClient): where frames go, and where to move the reliable channel. */
export interface TransportSwitchHost {
  /** A frame from the peer over the direct path: the same reliable channel takes it as one from the relay. */
  receive(frame: object): void;
  /** Carry the reliable channel over `path` now. */
  useDirect(path: DirectPath): void;
  /** The direct path is gone: carry the reliable channel over the gateway again, at once. */
  useRelay(): void;
  /** The pairing's transport changed. */
  changed(transport: P2pTransport): void;
  /** With sealed signalling: a DTLS fingerprint check failed (E2E_FINGERPRINT_MISMATCH); the pairing stays on the relay. */
  refused(error: P2pError): void;
}

/**
 * The transport of one pairing of a P2pClient: runs a DirectUpgrade for it and moves the client's reliable channel
 * between the relay and the direct path as the upgrade comes and goes. One instance per pairing (and connection: a
 * resume starts a new one); `stop()` ends it, back on the relay.
 */
export class TransportSwitch {
  private readonly upgrade: DirectUpgrade;
  private current: P2pTransport = 'relay';
  private stopped = false;

  constructor(
    socket: SignallingSocket,
    clientId: string,
    peerId: string,
    options: P2pClientWebRtcOptions,
    private readonly host: TransportSwitchHost,
    /** Option `e2e`: the signalling sealed in the reliable channel; the DTLS fingerprints are checked against it. */
    sealed?: SignallingChannel,
  ) {
    this.upgrade = new DirectUpgrade({
      ...options,
      socket,
      clientId,
      peerId,
      onFrame: (frame) => host.receive(frame),
      signalling: sealed,
      checkFingerprint: sealed !== undefined,
    });
    this.upgrade.on('refused', (error) => host.refused(error));
    this.upgrade.on('direct', (path) => {
      if (this.stopped) return;
      host.useDirect(path);
      this.set('direct');
    });
    // Also on stop(): the channel goes back to the relay before the pairing's next step (unpaired, resuming).
    this.upgrade.on('relay', () => {
      host.useRelay();
      this.set('relay');
    });
  }

  get transport(): P2pTransport {
    return this.current;
  }

  start(): void {
    this.upgrade.start();
  }

  /** Stops upgrading and closes a direct path (telling the peer); the channel is back on the relay. */
  stop(): void {
    if (this.stopped) return;
    this.upgrade.stop();
    this.stopped = true;
  }

  private set(transport: P2pTransport): void {
    if (this.current === transport) return;
    this.current = transport;
    this.host.changed(transport);
  }
}
