/**
 * ICE servers for node-datachannel's `RTCPeerConnection` polyfill. It hands libdatachannel each TURN server as one URL,
 * `turn:<username>:<credential>@host:port`, without escaping either part, and libdatachannel URL-decodes them. A TURN
 * REST username always holds a `:` (`<expiry>:<clientId>`) and a base64 credential may hold `/`, `+` or `=`, so both
 * are percent-encoded here. Browsers take credentials as they are: use this only with node-datachannel.
 */
export function iceServersForNodeDataChannel(iceServers: readonly RTCIceServer[]): RTCIceServer[] {
  return iceServers.map((server) => {
    const { username, credential } = server;
    return {
      ...server,
      ...(typeof username === 'string' ? { username: encodeURIComponent(username) } : {}),
      ...(typeof credential === 'string' ? { credential: encodeURIComponent(credential) } : {}),
    };
  });
}
