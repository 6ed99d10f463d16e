import type { ReliableChannelOptions } from './reliable-channel.options.js';
import type { P2pGatewayWatchOptions } from './gateway.watch.js';
import type { P2pClientWebRtcOptions } from './webrtc/client-webrtc.options.js';
import type { StreamOptions } from './streams/stream.options.js';

/** Options of `P2pClient`. */
export interface P2pClientOptions extends P2pGatewayWatchOptions {
  /** The clientId to present; put in `socket.auth`. Leave out if the socket already carries one (auth or query). */
  clientId?: string | undefined;
  /**
   * The session token that lets this client take its id back after a drop the server has not noticed yet.
   * @default a random token per P2pClient
   */
  sessionToken?: string | undefined;
  /**
   * Longest wait for the server's answer to a pairing request. Keep it above the server's `pairTimeoutMs`.
   * @default 15000
   */
  pairTimeoutMs?: number | undefined;
  /**
   * Longest wait for the peer's acknowledgement relayed by the server. Keep it above the server's `ackTimeoutMs`.
   * @default 15000
   */
  ackTimeoutMs?: number | undefined;
  /**
   * Longest wait for the server's answer to other requests (unpair, list clients).
   * @default 10000
   */
  requestTimeoutMs?: number | undefined;
  /**
   * After a lost connection, how long a paired client waits to reconnect and hear that the server kept its pairing
   * (reconnect grace) before it counts the pairing as ended.
   * @default 30000
   */
  resumeTimeoutMs?: number | undefined;
  /**
   * Decides on an incoming pairing request while this client is free. A busy client refuses without asking.
   * @default accept (as the original plugin did)
   */
  consent?: ((sourceClientId: string) => boolean | Promise<boolean>) | undefined;
  /**
   * The reliable channel (protocol 3), used when the peer speaks protocol 3 too: every `emit` and `emitWithAck` is
   * delivered exactly once and in order across connection losses, with a bounded send window. `false` declares
   * protocol 2 instead: messages go as plain relays, at most once.
   * @default {} (on, with the defaults of `ReliableChannelOptions`)
   */
  reliable?: ReliableChannelOptions | false | undefined;
  /**
   * Upgrade each reliable pairing to a direct WebRTC data channel when the peer enabled it too and the gateway allows
   * it (its `webrtc` option); the relay stays the fallback. `emit`, `emitWithAck` and the reliable channel then go
   * over the data channel, with the same guarantees; `client.transport` and the `transport` event tell where. In
   * Node pass `RTCPeerConnection` from `node-datachannel/polyfill` (and `adaptIceServers: iceServersForNodeDataChannel`);
   * browsers use their own. Needs the reliable channel (protocol 3).
   * @default false (always the relay)
   */
  webrtc?: P2pClientWebRtcOptions | false | undefined;
  /**
   * Streams (`sendStream` and the `stream` event): chunk size and the credit each incoming stream grants. Streams need
   * the reliable channel. See docs/streams.md.
   * @default {} (the defaults of `StreamOptions`)
   */
  streams?: StreamOptions | undefined;
  /**
   * End-to-end encryption (docs/e2e.md): per pairing, an ephemeral X25519 key exchange with a commitment, then every
   * message, reply and stream chunk sealed with AES-256-GCM, so the gateway relays only ciphertext. The `secured`
   * event, `secure` and `verificationCode` tell when the keys are agreed. Needs the reliable channel; a peer that does
   * not encrypt ends the pairing with E2E_REQUIRED, before anything is sent to it.
   * @default false
   */
  e2e?: boolean | undefined;
  /**
   * Option `e2e`: the longest a pairing's key exchange may take, from the pairing to the peer's key confirmation. Not
   * done by then (a peer or a gateway that holds the exchange back), the pairing ends with E2E_TIMEOUT: the messages
   * waiting for the keys are reported `undelivered` and pending `emitWithAck`s reject, with that code.
   * @default 20000
   */
  e2eTimeoutMs?: number | undefined;
}
