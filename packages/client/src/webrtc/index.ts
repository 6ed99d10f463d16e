export {
  DirectPath,
  directPathRole,
  type DirectPathEvents,
  type DirectPathOptions,
  type DirectPathRole,
  type DirectPathState,
} from './direct.path.js';
export type { PeerConnectionLike, RTCPeerConnectionConstructor } from './peer-connection.interface.js';
export { FrameCodecError, decodeFrame, encodeFrame } from './frame.codec.js';
export { RetryBackoff, type RetryBackoffOptions } from './retry.backoff.js';
export { type SignallingChannel, type SignallingSocket, requestWebRtcConfig, socketSignalling } from './socket.signalling.js';
export { iceServersForNodeDataChannel } from './ice-servers.adapter.js';
export { DirectUpgrade, type DirectUpgradeEvents, type DirectUpgradeOptions } from './direct.upgrade.js';
export type { P2pClientWebRtcOptions } from './client-webrtc.options.js';
export { TransportSwitch, type TransportSwitchHost } from './transport.switch.js';
