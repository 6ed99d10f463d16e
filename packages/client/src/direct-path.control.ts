import { P2pError, type P2pFrame, type P2pTransport } from 'nest-p2p-gateway-protocol';
import type { P2pClientSocket } from './client-socket.interface.js';
import type { FramePath } from './frame-path.interface.js';
import type { ClientEventSink } from './p2p-client.events.js';
import type { ReliableChannel } from './reliable.channel.js';
import type { SendPacer } from './send.pacer.js';
import type { SignallingChannel } from './webrtc/socket.signalling.js';
import type { P2pClientWebRtcOptions } from './webrtc/client-webrtc.options.js';
import { TransportSwitch } from './webrtc/transport.switch.js';

/** What the direct path's control needs of the reliable channel's host (ReliableLink). */
export interface DirectPathHost {
  /** The current pairing's reliable channel: a switch acts only while the channel it started with is still current. */
  readonly channel: ReliableChannel | undefined;
  /** The gateway as the channel's path, where a fallback moves it. */
  readonly relayPath: FramePath;
  /** The current connection's pacer, under its relay rates: the same one at every fallback to the relay. */
  pacer(): SendPacer | undefined;
}

/**
 * Option `webrtc`: starts and stops the current pairing's direct path (a `TransportSwitch` per pairing and
 * connection), moves its reliable channel between the relay and the data channel, and tells the app where the
 * messages go (`transport`).
 */
export class DirectPathControl {
  /**
   * This client's clientId, for the direct path's roles: the one the gateway admitted its connection under (protocol 3
   * P2P_SESSION), else the one it declared (option, or `socket.auth`).
   */
  private ownId?: string;
  /** The current pairing's transport, when `webrtc` is on and the pairing is reliable. */
  private transportSwitch?: TransportSwitch;
  private currentTransport: P2pTransport = 'relay';

  constructor(
    private readonly socket: P2pClientSocket,
    /** Option `webrtc`; undefined when off. */
    private readonly webrtcOptions: P2pClientWebRtcOptions | undefined,
    declaredId: string | undefined,
    private readonly host: DirectPathHost,
    private readonly emitLocal: ClientEventSink,
    /** Option `e2e`: the current pairing's signalling, sealed in its reliable channel (never `P2P_SIGNAL`). */
    private readonly sealedSignalling?: () => SignallingChannel | undefined,
  ) {
    this.ownId = declaredId;
  }

  /** Where the pairing's messages go now. */
  get transport(): P2pTransport {
    return this.currentTransport;
  }

  /** Whether an upgrade runs for the current pairing. */
  get upgrading(): boolean {
    return this.transportSwitch !== undefined;
  }

  /** The id the gateway admitted this connection under (protocol 3) is the one the peer and the direct path know. */
  admittedAs(clientId: string): void {
    this.ownId = clientId;
  }

  /**
   * Keeps the reliable pairing with `peerId` on a direct data channel whenever one opens (the peer must have enabled
   * it too, and the gateway allow it). Each switch resyncs the channel (`y` sync): both sides send again what the other
   * has not confirmed, and the receiver's sequence numbers drop what arrives twice. `peerWebRtc`: whether the peer
   * enabled WebRTC, as the gateway told (PeerInfo's `peerWebRtc`): false, and no direct path is tried; undefined (a
   * gateway that does not tell), and the offerer tries as it did before the field existed.
   */
  start(peerId: string, peerWebRtc: boolean | undefined): void {
    this.stop();
    const channel = this.host.channel;
    // A peer that did not enable WebRTC would never answer: no offer at all, rather than retries forever.
    if (!this.webrtcOptions || !channel || peerWebRtc === false) return;
    if (this.ownId === undefined) {
      queueMicrotask(() =>
        this.emitLocal(
          'error',
          new P2pError('INVALID_CLIENT_ID', 'option webrtc needs the clientId of this client (option clientId or socket.auth)'),
        ),
      );
      return;
    }
    // With e2e the signalling is sealed or there is none: never P2P_SIGNAL in the clear.
    const sealed = this.sealedSignalling?.();
    if (this.sealedSignalling && !sealed) return;
    const transportSwitch = new TransportSwitch(
      this.socket,
      this.ownId,
      peerId,
      this.webrtcOptions,
      {
        receive: (frame) => {
          if (this.host.channel === channel) channel.receive(frame as P2pFrame);
        },
        useDirect: (path) => {
          if (this.host.channel === channel) channel.attach(path, true);
        },
        useRelay: () => {
          if (this.host.channel !== channel) return;
          // Without a connection the resume attaches the relay again (P2P_SESSION); until then nothing is sent.
          if (this.socket.connected) channel.attach(this.host.relayPath, true, this.host.pacer());
          else channel.detach();
        },
        changed: (transport) => this.setTransport(transport),
        refused: (error) => this.emitLocal('error', error),
      },
      sealed,
    );
    this.transportSwitch = transportSwitch;
    transportSwitch.start();
  }

  /** Ends the current upgrade: a direct path is closed and the channel is back on the relay. */
  stop(): void {
    const transportSwitch = this.transportSwitch;
    this.transportSwitch = undefined;
    transportSwitch?.stop();
    this.setTransport('relay');
  }

  private setTransport(transport: P2pTransport): void {
    if (this.currentTransport === transport) return;
    this.currentTransport = transport;
    this.emitLocal('transport', transport);
  }
}
