/** Options of streams (`sendStream` and the `stream` event), under `P2pClient`'s option `streams`. */
export interface StreamOptions {
  /**
   * The largest chunk, in bytes. Each chunk is one message of the reliable channel: keep it well under the gateway's
   * `maxMessageBytes` (64 KiB by default) and the data channel's message size (browsers take 256 KiB).
   * @default 32768
   */
  chunkBytes?: number | undefined;
  /**
   * Receiver side: the credit each incoming stream grants beyond what its app has read. The bytes received and not
   * yet read stay under it: this is the receiver's memory bound per stream. It is also what the sender may have in
   * flight: 4 MiB keeps a data channel busy where 1 MiB left it waiting for credit. Through the gateway at most
   * `RELAY_CREDIT_BYTES` (1 MiB) of it is granted: the relay moves no faster with more, and an app's `emit` would
   * wait behind the chunks in the gateway's buffers (docs/streams.md).
   * @default 4194304 (4 MiB)
   */
  windowBytes?: number | undefined;
}

/**
 * The credit a receiver grants while the pair's frames go through the gateway, when `windowBytes` is larger: more
 * moved no faster over the relay (it is CPU-bound) and held an `emit` sent meanwhile behind up to the whole window
 * in the sockets' buffers (p50 of 19 to 22 ms instead of 4 to 6 ms with 4 MiB, in bench:stream's long transfer).
 */
export const RELAY_CREDIT_BYTES = 1024 * 1024;

export interface ResolvedStreamOptions {
  chunkBytes: number;
  windowBytes: number;
}

/** Above this a chunk could not cross a gateway with the default `maxMessageBytes` (64 KiB) next to its frame. */
const MAX_CHUNK_BYTES = 60 * 1024;

function positiveInteger(name: string, value: number | undefined, fallback: number, max = Number.MAX_SAFE_INTEGER): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value <= 0 || value > max)
    throw new TypeError(`P2pClient: streams.${name} must be an integer from 1 to ${max}`);
  return value;
}

export function resolveStreamOptions(options: StreamOptions = {}): ResolvedStreamOptions {
  const chunkBytes = positiveInteger('chunkBytes', options.chunkBytes, 32 * 1024, MAX_CHUNK_BYTES);
  // Credit below two chunks would leave the sender waiting on every chunk.
  const windowBytes = Math.max(2 * chunkBytes, positiveInteger('windowBytes', options.windowBytes, 4 * 1024 * 1024));
  return { chunkBytes, windowBytes };
}
