import { P2P_RELIABLE_PROTOCOL, type PeerInfo } from 'nest-p2p-gateway-protocol';
import type { ClientRecord } from '../stores/pairing-store.interface.js';

/**
 * What a pairing tells `recipient` of its `peer` (protocol 3): the peer's version and, when the recipient itself
 * declared WebRTC (`auth.p2pWebRtc`), whether the peer did too, so that a direct path is tried only when both did.
 * Only a client that declares the capability knows the field: no other client ever sees it. Read from the store's
 * records, so it holds whichever node either side is connected to.
 */
export function peerInfoOf(recipient: ClientRecord, peer: ClientRecord): PeerInfo {
  return recipient.webrtc === true
    ? { peerProtocol: peer.protocolVersion, peerWebRtc: peer.webrtc === true }
    : { peerProtocol: peer.protocolVersion };
}

/**
 * What `P2P_REGISTER` tells a protocol-3 target of the `source` asking it (undefined for older targets: the source's id
 * alone): with the source's e2e pre-commitment only when the target declared that it takes one (`auth.p2pE2eCommit`),
 * so no other client ever sees the field.
 */
export function targetNoticeOf(source: ClientRecord, target: ClientRecord, e2eCommitment?: string): PeerInfo | undefined {
  if (target.protocolVersion < P2P_RELIABLE_PROTOCOL) return undefined;
  const info = peerInfoOf(target, source);
  return e2eCommitment !== undefined && target.e2eCommit === true ? { ...info, e2eCommitment } : info;
}
