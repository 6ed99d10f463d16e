/** Pairs whose source connects to one gateway node and whose target to another (or the same, for single-node rows). */
import { type Pair, consentToPairing, openClient, requestPairing, whenConnected } from '../load/clients.js';

export async function openPairsAcross(sourceUrl: string, targetUrl: string, count: number, prefix: string): Promise<Pair[]> {
  const pairs: Pair[] = Array.from({ length: count }, (_, i) => {
    const sourceId = `${prefix}-s${i}`;
    const targetId = `${prefix}-t${i}`;
    return { source: openClient(sourceUrl, sourceId), target: openClient(targetUrl, targetId), sourceId, targetId };
  });
  for (const pair of pairs) consentToPairing(pair.target);
  await Promise.all(pairs.flatMap((pair) => [whenConnected(pair.source), whenConnected(pair.target)]));
  await Promise.all(pairs.map((pair) => requestPairing(pair.source, pair.targetId)));
  return pairs;
}

export function closePairs(pairs: Pair[]): void {
  for (const pair of pairs) {
    pair.source.disconnect();
    pair.target.disconnect();
  }
}
