import { createHash, randomBytes } from 'node:crypto';
import { expect } from '@jest/globals';
import type { Socket } from 'socket.io-client';
import type { IncomingStream, P2pClient, P2pClientOptions } from '../../packages/client/src/index.js';
import type { GatewayHarness } from '../support/gateway-harness.js';
import { eventually } from '../support/eventually.js';
import { reconnectingClient } from '../grace/grace-support.js';

export const sha256 = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

/** Random bytes: no pattern a bug could hide behind (a repeated chunk would hash the same in another order). */
export const bytes = (size: number): Uint8Array<ArrayBuffer> => new Uint8Array(randomBytes(size));

/** Two reconnecting P2pClients, A and B, paired over the reliable channel. */
export async function pairedClients(
  gw: GatewayHarness,
  options: P2pClientOptions = {},
  ids: [string, string] = ['A', 'B'],
): Promise<[P2pClient<Socket>, P2pClient<Socket>]> {
  const a = await reconnectingClient(gw, ids[0], options);
  const b = await reconnectingClient(gw, ids[1], options);
  await a.pair(ids[1]);
  await eventually(() => expect(b.state).toBe('paired'));
  expect(a.reliable && b.reliable).toBe(true);
  return [a, b];
}

/** Reads a stream to its end. */
export async function readAll(readable: ReadableStream<Uint8Array>): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  for await (const part of readable as unknown as AsyncIterable<Uint8Array>) parts.push(part);
  return Buffer.concat(parts);
}

/** The next incoming stream of `client`, accepted and read to its end. */
export function receiveNext(
  client: P2pClient,
  offset = 0,
): Promise<{ incoming: IncomingStream; data: Uint8Array; done: { bytes: number; sha256: string } }> {
  return new Promise((resolve, reject) => {
    client.once('stream', (incoming) => {
      incoming.accept({ offset });
      readAll(incoming.readable)
        .then(async (data) => resolve({ incoming, data, done: await incoming.done }))
        .catch(reject);
    });
  });
}

/** The next incoming stream of `client`, accepted and hashed as it is read (nothing kept): for large ones. */
export function receiveHashed(client: P2pClient): Promise<{ bytes: number; sha256: string; done: { bytes: number; sha256: string } }> {
  return new Promise((resolve, reject) => {
    client.once('stream', (incoming) => {
      incoming.accept();
      void (async () => {
        const hash = createHash('sha256');
        let total = 0;
        for await (const part of incoming.readable as unknown as AsyncIterable<Uint8Array>) {
          hash.update(part);
          total += part.byteLength;
        }
        resolve({ bytes: total, sha256: hash.digest('hex'), done: await incoming.done });
      })().catch(reject);
    });
  });
}

/** The stream chunks a client sent, by frame number: a chunk sent again (after a cut) counts once. */
export interface ChunkSpy {
  readonly chunks: number;
  readonly bytes: number;
  /** Frames with a chunk, resends included. */
  readonly frames: number;
}

export function spyChunks(socket: Socket): ChunkSpy {
  const seen = new Map<number, number>();
  let frames = 0;
  const emit = socket.emit.bind(socket);
  (socket as { emit: (event: string, ...args: unknown[]) => Socket }).emit = (event: string, ...args: unknown[]) => {
    const frame = args[0] as { s?: number; e?: string; a?: unknown[] } | undefined;
    if (event === 'P2P_FRAME' && frame?.e === 'P2P_STREAM_DATA' && typeof frame.s === 'number') {
      frames++;
      seen.set(frame.s, (frame.a![1] as Uint8Array).byteLength);
    }
    return emit(event, ...args);
  };
  return {
    get chunks() {
      return seen.size;
    },
    get bytes() {
      let total = 0;
      for (const size of seen.values()) total += size;
      return total;
    },
    get frames() {
      return frames;
    },
  };
}
