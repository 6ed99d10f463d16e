/** What `sendStream` reads from. A Node `fs.createReadStream(...)` is an AsyncIterable of Buffers, so it fits. */
export type StreamSource = Uint8Array | ArrayBuffer | Blob | ReadableStream<Uint8Array> | AsyncIterable<Uint8Array> | SeekableOpener;

/** A source that can start anywhere, for resume: called with the byte to start from. */
export type SeekableOpener = (offset: number) => ReadableStream<Uint8Array> | AsyncIterable<Uint8Array>;

/** Reads a source in chunks of at most the size asked for, only when asked: nothing is read ahead. */
export interface ChunkReader {
  /** The next bytes (at most `max`), or null at the end of the source. */
  read(max: number): Promise<Uint8Array | null>;
  /** Stops reading and releases the source (cancels a ReadableStream, returns an iterator). */
  close(): void;
}

function isBlob(source: unknown): source is Blob {
  return typeof Blob !== 'undefined' && source instanceof Blob;
}

function isReadableStream(source: unknown): source is ReadableStream<Uint8Array> {
  return typeof (source as { getReader?: unknown }).getReader === 'function';
}

function isAsyncIterable(source: unknown): source is AsyncIterable<Uint8Array> {
  return typeof (source as { [Symbol.asyncIterator]?: unknown })[Symbol.asyncIterator] === 'function';
}

/** Whether `source` is one `sendStream` takes. */
export function isStreamSource(source: unknown): source is StreamSource {
  if (source instanceof Uint8Array || source instanceof ArrayBuffer || typeof source === 'function') return true;
  if (typeof source !== 'object' || source === null) return false;
  return isBlob(source) || isReadableStream(source) || isAsyncIterable(source);
}

/** The source's size when it knows it (bytes, Blob). */
export function knownSizeOf(source: StreamSource): number | undefined {
  if (source instanceof Uint8Array || source instanceof ArrayBuffer) return source.byteLength;
  if (isBlob(source)) return source.size;
  return undefined;
}

/** Opens `source` at byte `offset`. A source that cannot seek (a stream, an iterable) is read and dropped up to it. */
export function openSource(source: StreamSource, offset: number): ChunkReader {
  if (source instanceof Uint8Array || source instanceof ArrayBuffer) return bytesReader(new Uint8Array(source), offset);
  if (isBlob(source)) return blobReader(source, offset);
  if (typeof source === 'function') return skipping(iterableReader(toIterator(source(offset))), 0);
  return skipping(iterableReader(toIterator(source)), offset);
}

function bytesReader(bytes: Uint8Array, offset: number): ChunkReader {
  let at = Math.min(offset, bytes.byteLength);
  return {
    read: (max) => {
      if (at >= bytes.byteLength) return Promise.resolve(null);
      // A view, not a copy: the reliable channel holds it until the peer confirms it, the app's bytes stay as they are.
      const chunk = bytes.subarray(at, Math.min(at + max, bytes.byteLength));
      at += chunk.byteLength;
      return Promise.resolve(chunk);
    },
    close: () => undefined,
  };
}

function blobReader(blob: Blob, offset: number): ChunkReader {
  let at = Math.min(offset, blob.size);
  return {
    read: async (max) => {
      if (at >= blob.size) return null;
      const end = Math.min(at + max, blob.size);
      const chunk = new Uint8Array(await blob.slice(at, end).arrayBuffer());
      at = end;
      return chunk;
    },
    close: () => undefined,
  };
}

function toIterator(source: ReadableStream<Uint8Array> | AsyncIterable<Uint8Array>): AsyncIterator<unknown> {
  if (isReadableStream(source)) {
    const reader = source.getReader();
    return {
      next: () => reader.read() as Promise<IteratorResult<unknown>>,
      return: async () => {
        await reader.cancel().catch(() => undefined);
        return { done: true, value: undefined };
      },
    };
  }
  if (isAsyncIterable(source)) return source[Symbol.asyncIterator]();
  throw new TypeError('sendStream: the opener must return a ReadableStream or an AsyncIterable of Uint8Array');
}

function asBytes(value: unknown): Uint8Array {
  if (value instanceof Uint8Array) return value;
  if (value instanceof ArrayBuffer) return new Uint8Array(value);
  if (ArrayBuffer.isView(value)) return new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
  // A Node stream in text mode yields strings: bytes are what a file transfer means, so it is refused.
  throw new TypeError('sendStream: the source yielded something other than bytes (Uint8Array)');
}

/** Splits what an iterator yields into pieces of at most the size asked for; keeps at most one of its values. */
function iterableReader(iterator: AsyncIterator<unknown>): ChunkReader {
  let rest: Uint8Array | undefined;
  let ended = false;
  return {
    read: async (max) => {
      while (!rest || rest.byteLength === 0) {
        if (ended) return null;
        const next = await iterator.next();
        if (next.done) {
          ended = true;
          return null;
        }
        rest = asBytes(next.value);
      }
      const chunk = rest.subarray(0, Math.min(max, rest.byteLength));
      rest = rest.subarray(chunk.byteLength);
      return chunk;
    },
    close: () => {
      rest = undefined;
      if (!ended) void Promise.resolve(iterator.return?.()).catch(() => undefined);
      ended = true;
    },
  };
}

/** Drops the first `skip` bytes of `reader` (a resume from a source that cannot seek). */
function skipping(reader: ChunkReader, skip: number): ChunkReader {
  let left = skip;
  return {
    read: async (max) => {
      while (left > 0) {
        const dropped = await reader.read(Math.min(left, 1 << 20));
        if (!dropped) return null;
        left -= dropped.byteLength;
      }
      return reader.read(max);
    },
    close: () => reader.close(),
  };
}
