/**
 * What `npm run bench:stream` measures a transfer with: the generated source, the CPU time per MiB, and the baseline of
 * the lifted relay: two raw clients of a bare Socket.IO relay (stream-bench.ts says what makes it a fair comparison).
 */
import { type Socket, io } from 'socket.io-client';
import { P2pClient, type P2pClientOptions, Sha256 } from '../../packages/client/src/index.js';
import type { ServerProcess } from '../harness/server-process.js';

const MiB = 1024 * 1024;

/**
 * `total` bytes made as they are read, in pieces of `pieceBytes` (a pattern varied per piece: nothing repeats). Pieces
 * of two chunks (64 KiB for chunks of 32 KiB) cut evenly into chunks for the stream and the bare relay alike.
 */
export async function* generated(total: number, pieceBytes: number): AsyncGenerator<Uint8Array> {
  const base = new Uint8Array(pieceBytes).map((_, i) => (i * 31 + 7) & 0xff);
  for (let at = 0, n = 0; at < total; at += base.byteLength, n++) {
    const chunk = base.slice(0, Math.min(base.byteLength, total - at));
    new DataView(chunk.buffer).setUint32(0, n);
    yield chunk;
  }
}

/** CPU time per MiB moved, of this process (both clients) and of the gateway: what load on the machine does not skew. */
export interface CpuFigures {
  clientsCpuMsPerMiB: number;
  gatewayCpuMsPerMiB: number;
}

export async function cpuNow(server: ServerProcess): Promise<{ clients: number; gateway: number }> {
  const own = process.cpuUsage();
  return { clients: own.user + own.system, gateway: (await server.stats(false)).cpuMicros };
}

export function cpuPerMiB(from: { clients: number; gateway: number }, to: { clients: number; gateway: number }, bytes: number): CpuFigures {
  const perMiB = (micros: number) => micros / 1000 / (bytes / MiB);
  return { clientsCpuMsPerMiB: perMiB(to.clients - from.clients), gatewayCpuMsPerMiB: perMiB(to.gateway - from.gateway) };
}

/** A raw client of the bare relay, connected as `clientId`. */
export async function openBare(url: string, clientId: string): Promise<Socket> {
  const socket = io(url, { auth: { clientId }, transports: ['websocket'], forceNew: true, reconnection: false });
  await new Promise((resolve) => socket.once('connect', () => resolve(undefined)));
  return socket;
}

/** A client of the gateway (the stream's side), connected as `clientId`. */
export async function connectClient(url: string, clientId: string, options: P2pClientOptions = {}): Promise<P2pClient<Socket>> {
  const socket = io(url, { transports: ['websocket'], forceNew: true, reconnection: false, autoConnect: false });
  const client = new P2pClient(socket, { clientId, ...options });
  socket.connect();
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', () => resolve());
    socket.once('connect_error', reject);
  });
  return client;
}

/** The stream's receiving app: accepts the next stream, hashes what it reads and drops it; gives the digest. */
export function receiveStream(client: P2pClient<Socket>): Promise<string> {
  return new Promise<string>((resolve, reject) => {
    client.once('stream', (incoming) => {
      incoming.accept();
      void (async () => {
        const hash = new Sha256();
        for await (const chunk of incoming.readable as unknown as AsyncIterable<Uint8Array>) hash.update(chunk);
        resolve(hash.hex());
      })().catch(reject);
    });
  });
}

/**
 * The bare relay's receiving side (`from` pairs with it): hashes each chunk as it arrives, confirms every 32 chunks,
 * as the reliable channel does, and gives the digest once all have arrived. Listening from the call on.
 */
export function bareReceive(b: Socket, from: string, bytes: number, chunkBytes: number): Promise<string> {
  const total = Math.ceil(bytes / chunkBytes);
  const hash = new Sha256();
  let got = 0;
  b.on('P2P_REGISTER', (sourceId: string) => b.emit('P2P_REGISTER_SUCCESS', sourceId));
  return new Promise((resolve) => {
    b.on('c', (chunk: Uint8Array) => {
      hash.update(chunk);
      got++;
      if (got % 32 === 0 || got === total) b.emit('P2P_EMIT', { targetClientId: from, event: 'ok', args: [got] });
      if (got === total) resolve(hash.hex());
    });
  });
}

/** The bare relay's pairing, asked by the sender: resolves once `to` agreed. */
export function barePair(a: Socket, to: string): Promise<unknown> {
  return new Promise((resolve) => a.emit('P2P_REGISTER', to, resolve));
}

/**
 * The bare relay's sending side (paired with `to`): generates its bytes as it sends them, binary chunks of
 * `chunkBytes`, 4 MiB in flight; resolves once the receiver confirmed the last chunk.
 */
export function bareSend(a: Socket, to: string, bytes: number, chunkBytes: number): Promise<void> {
  const window = (4 * MiB) / chunkBytes;
  const source = generated(bytes, 2 * chunkBytes)[Symbol.asyncIterator]();
  let rest = new Uint8Array(0);
  const nextChunk = async (): Promise<Uint8Array> => {
    if (rest.byteLength === 0) rest = (await source.next()).value ?? new Uint8Array(0);
    const chunk = rest.subarray(0, chunkBytes);
    rest = rest.subarray(chunk.byteLength);
    return chunk;
  };
  const total = Math.ceil(bytes / chunkBytes);
  let sent = 0;
  let confirmed = 0;
  let pumping = false;
  return new Promise<void>((resolve) => {
    const pump = async () => {
      if (pumping) return;
      pumping = true;
      while (sent < total && sent - confirmed < window) {
        a.emit('P2P_EMIT', { targetClientId: to, event: 'c', args: [await nextChunk()] });
        sent++;
      }
      pumping = false;
    };
    a.on('ok', (n: number) => {
      confirmed = n;
      if (n === total) resolve();
      else void pump();
    });
    void pump();
  });
}

/**
 * Two raw clients of the bare Socket.IO relay: binary chunks of the same size, 4 MiB in flight (no less than a stream's
 * credit: 1 MiB through a gateway), and the same work of the app as in the stream bench's `transfer`: the sender
 * generates its bytes as it sends them, the receiver hashes what it receives. What differs is only what carries them.
 */
export async function bareTransfer(server: ServerProcess, bytes: number, chunkBytes: number): Promise<{ mibPerSec: number } & CpuFigures> {
  const a = await openBare(server.url, 'bare-a');
  const b = await openBare(server.url, 'bare-b');
  const received = bareReceive(b, 'bare-a', bytes, chunkBytes);
  await barePair(a, 'bare-b');
  const cpu0 = await cpuNow(server);
  const t0 = performance.now();
  await bareSend(a, 'bare-b', bytes, chunkBytes);
  const seconds = (performance.now() - t0) / 1000;
  const cpu = cpuPerMiB(cpu0, await cpuNow(server), bytes);
  if ((await received).length !== 64) throw new Error('no digest');
  a.disconnect();
  b.disconnect();
  return { mibPerSec: bytes / MiB / seconds, ...cpu };
}
