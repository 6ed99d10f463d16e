/**
 * DTLS fingerprints (`a=fingerprint:<algorithm> <hex>` in an SDP), normalised as `<algorithm lowercase> <HEX
 * uppercase>`, for the check of option `e2e` with `webrtc` (docs/e2e.md): the fingerprint the peer connection works
 * with must be one the peer sent inside the sealed channel.
 */
export function sdpFingerprints(sdp: string | undefined): string[] {
  const found = new Set<string>();
  for (const match of (sdp ?? '').matchAll(/^a=fingerprint:\s*(\S+)\s+([0-9a-fA-F:]+)\s*$/gm)) {
    found.add(normalise(match[1]!, match[2]!));
  }
  return [...found].sort();
}

/** A stats entry of `getStats()` as far as the check reads it (W3C `RTCCertificateStats`, `RTCTransportStats`). */
interface StatsEntry {
  type?: string;
  id?: string;
  fingerprint?: string;
  fingerprintAlgorithm?: string;
  remoteCertificateId?: string;
}

/**
 * The fingerprints the peer connection negotiated: the remote certificate's (`getStats()`, browsers) when the runtime
 * reports it, else those of the remote description it applied (node-datachannel reports no certificates; it checks the
 * peer's certificate against that description).
 */
export async function negotiatedFingerprints(pc: object): Promise<string[]> {
  const withStats = pc as { getStats?: () => Promise<{ forEach(each: (entry: StatsEntry) => void): void }> };
  try {
    const report = await withStats.getStats?.();
    const entries: StatsEntry[] = [];
    report?.forEach((entry) => entries.push(entry));
    const remoteIds = new Set(entries.filter((entry) => entry.type === 'transport').map((entry) => entry.remoteCertificateId));
    const fromStats = entries
      .filter((entry) => entry.type === 'certificate' && remoteIds.has(entry.id) && entry.fingerprint && entry.fingerprintAlgorithm)
      .map((entry) => normalise(entry.fingerprintAlgorithm!, entry.fingerprint!));
    if (fromStats.length > 0) return [...new Set(fromStats)].sort();
  } catch {
    // No stats in this runtime: the remote description below.
  }
  return sdpFingerprints((pc as { remoteDescription?: { sdp?: string } | null }).remoteDescription?.sdp);
}

/** Whether every fingerprint in use (at least one) is among those the peer sent sealed. */
export function fingerprintsMatch(sealed: readonly string[], inUse: readonly string[]): boolean {
  return inUse.length > 0 && inUse.every((fingerprint) => sealed.includes(fingerprint));
}

function normalise(algorithm: string, hex: string): string {
  return `${algorithm.toLowerCase()} ${hex.toUpperCase()}`;
}
