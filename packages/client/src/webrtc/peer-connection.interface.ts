/**
 * What the `RTCPeerConnection` option must build: the W3C peer connection's methods that DirectPath calls, typed loosely
 * (methods, whose parameters TypeScript compares both ways, and no event handler properties) so that both the DOM
 * lib's `RTCPeerConnection` and node-datachannel's polyfill fit without a cast: their handler properties name
 * different event classes, which TypeScript would otherwise refuse (TS2419).
 */
export interface PeerConnectionLike {
  createDataChannel(label: string, init?: RTCDataChannelInit): object;
  createOffer(): Promise<object>;
  createAnswer(): Promise<object>;
  setLocalDescription(description?: RTCLocalSessionDescriptionInit): Promise<void>;
  setRemoteDescription(description: RTCSessionDescriptionInit): Promise<void>;
  addIceCandidate(candidate?: RTCIceCandidateInit): Promise<void>;
  close(): void;
}

/** A W3C `RTCPeerConnection` constructor: the browser's, node-datachannel's polyfill, or any compatible one. */
export type RTCPeerConnectionConstructor = new (configuration: RTCConfiguration) => PeerConnectionLike;
