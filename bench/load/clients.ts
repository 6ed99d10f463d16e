/** Opening socket.io-client 4 connections (websocket only) and the protocol steps the workloads repeat. */
import { type Socket, io } from 'socket.io-client';

export interface Pair {
  source: Socket;
  target: Socket;
  sourceId: string;
  targetId: string;
}

const ANSWER_TIMEOUT_MS = 15_000;

/**
 * `localAddress` (a 127.0.0.x source address) goes through engine.io-client to `ws` and on to `net.connect`: spreading
 * clients over several such addresses gets past the ~28k ephemeral ports that one source address has per server port.
 */
export function openClient(url: string, clientId: string, localAddress?: string): Socket {
  return io(url, {
    transports: ['websocket'],
    forceNew: true,
    reconnection: false,
    query: { clientId },
    timeout: 30_000,
    ...(localAddress ? { localAddress } : {}),
  });
}

export function whenConnected(socket: Socket): Promise<void> {
  return new Promise((resolve, reject) => {
    if (socket.connected) return resolve();
    socket.once('connect', () => resolve());
    socket.once('connect_error', (error) => reject(error));
  });
}

/** Answers every pairing request with consent, naming the source, as P2pClient does. */
export function consentToPairing(socket: Socket): void {
  socket.on('P2P_REGISTER', (sourceId: string) => socket.emit('P2P_REGISTER_SUCCESS', sourceId));
}

export function requestPairing(source: Socket, targetId: string): Promise<void> {
  return new Promise((resolve, reject) => {
    source.timeout(ANSWER_TIMEOUT_MS).emit('P2P_REGISTER', targetId, (timedOut: Error | null, ok?: boolean, error?: unknown) => {
      if (timedOut) reject(timedOut);
      else if (ok !== true) reject(new Error(`pairing refused: ${JSON.stringify(error)}`));
      else resolve();
    });
  });
}

export function unregister(source: Socket): Promise<void> {
  return new Promise((resolve, reject) => {
    source.timeout(ANSWER_TIMEOUT_MS).emit('P2P_UNREGISTER', (timedOut: Error | null, ok?: boolean, error?: unknown) => {
      if (timedOut) reject(timedOut);
      else if (ok !== true) reject(new Error(`unregister refused: ${JSON.stringify(error)}`));
      else resolve();
    });
  });
}

/** Runs `task` over `items` with at most `limit` running at once. */
export async function forEachLimited<T>(
  items: readonly T[],
  limit: number,
  task: (item: T, index: number) => Promise<void>,
): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      await task(items[index]!, index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

/** Where a pair's two clients connect: one gateway, or the source to one node and the target to another. */
export interface PairUrls {
  source: string;
  target: string;
}

/** Opens `count` pairs with ids `${prefix}-s${i}` / `${prefix}-t${i}`, connected and paired. */
export async function openPairs(urls: string | PairUrls, count: number, prefix: string): Promise<Pair[]> {
  const { source, target } = typeof urls === 'string' ? { source: urls, target: urls } : urls;
  const pairs: Pair[] = Array.from({ length: count }, (_, i) => {
    const sourceId = `${prefix}-s${i}`;
    const targetId = `${prefix}-t${i}`;
    return { source: openClient(source, sourceId), target: openClient(target, targetId), sourceId, targetId };
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
