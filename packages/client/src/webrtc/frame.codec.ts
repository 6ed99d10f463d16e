/**
 * Frames on the data channel. A frame without binary values travels as one JSON text message. A frame holding binary
 * values (ArrayBuffer, typed arrays, DataView, Node Buffers) travels as one binary message:
 *
 *   [u32 big-endian: byte length of the header][header: UTF-8 JSON][the binary values' bytes, one after the other]
 *
 * where the header is `{"frame": <the frame, each binary value replaced by {"\u0000bin": i}>, "bins": [[kind, bytes], ...]}`
 * and `kind` names what to rebuild (`ArrayBuffer`, `Uint8Array`, ..., `DataView`, `Buffer`). Everything else follows
 * JSON's rules, as Socket.IO's own encoding does (`toJSON` is honoured, `undefined` members vanish). Uses only what
 * browsers and Node both have (TextEncoder, DataView): no Node-only import.
 */

const PLACEHOLDER = '\u0000bin';
/** Deeper than this is refused rather than risking the call stack; Socket.IO's encoder fails far sooner. */
const MAX_DEPTH = 1_000;
const encoder = new TextEncoder();
const decoder = new TextDecoder();

type BinaryValue = ArrayBuffer | ArrayBufferView;
type BinaryKind = string;

const VIEW_TYPES: Record<string, new (buffer: ArrayBuffer, byteOffset?: number, length?: number) => ArrayBufferView> = {
  Int8Array,
  Uint8Array,
  Uint8ClampedArray,
  Int16Array,
  Uint16Array,
  Int32Array,
  Uint32Array,
  Float32Array,
  Float64Array,
  BigInt64Array,
  BigUint64Array,
  DataView,
};

/** Thrown for a frame the codec cannot carry (too deep, or a message that is not a frame). */
export class FrameCodecError extends Error {
  override readonly name = 'FrameCodecError';
}

function isBinary(value: unknown): value is BinaryValue {
  return value instanceof ArrayBuffer || ArrayBuffer.isView(value);
}

function kindOf(value: BinaryValue): BinaryKind {
  if (value instanceof ArrayBuffer) return 'ArrayBuffer';
  const name = value.constructor?.name ?? 'Uint8Array';
  if (name === 'Buffer') return 'Buffer';
  return name in VIEW_TYPES ? name : 'Uint8Array';
}

function bytesOf(value: BinaryValue): Uint8Array {
  return value instanceof ArrayBuffer ? new Uint8Array(value) : new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
}

function hasBinary(value: unknown, depth: number): boolean {
  if (depth > MAX_DEPTH) throw new FrameCodecError(`a frame may nest at most ${MAX_DEPTH} levels`);
  if (typeof value !== 'object' || value === null) return false;
  if (isBinary(value)) return true;
  if (Array.isArray(value)) return value.some((item) => hasBinary(item, depth + 1));
  const toJSON = (value as { toJSON?: unknown }).toJSON;
  if (typeof toJSON === 'function') return hasBinary(toJSON.call(value), depth + 1);
  for (const key of Object.keys(value)) if (hasBinary((value as Record<string, unknown>)[key], depth + 1)) return true;
  return false;
}

/** A copy of `value` with its binary values moved to `bins`, in the order JSON.stringify will meet them. */
function extract(value: unknown, bins: BinaryValue[], depth: number): unknown {
  if (typeof value !== 'object' || value === null) return value;
  if (isBinary(value)) {
    bins.push(value);
    return { [PLACEHOLDER]: bins.length - 1 };
  }
  if (Array.isArray(value)) return value.map((item) => extract(item, bins, depth + 1));
  const toJSON = (value as { toJSON?: unknown }).toJSON;
  if (typeof toJSON === 'function') return extract(toJSON.call(value), bins, depth + 1);
  const copy: Record<string, unknown> = {};
  for (const key of Object.keys(value)) {
    const item = extract((value as Record<string, unknown>)[key], bins, depth + 1);
    // An own "__proto__" key (JSON carries it as any other) stays a key: assigning it would set the copy's prototype.
    if (key === '__proto__') Object.defineProperty(copy, key, { value: item, enumerable: true, writable: true, configurable: true });
    else copy[key] = item;
  }
  return copy;
}

/** One data channel message for `frame`: a string without binary values, an ArrayBuffer with them. */
export function encodeFrame(frame: object): string | ArrayBuffer {
  const message = encodeInto(frame, (total) => new Uint8Array(total));
  return typeof message === 'string' ? message : message.buffer;
}

/** Frames up to this size are encoded into one buffer kept for the next (`encodeFrameToSend`); larger ones get their own. */
const SCRATCH_MAX_BYTES = 1024 * 1024;
let scratch: Uint8Array<ArrayBuffer> = new Uint8Array(0);

/**
 * As `encodeFrame`, for a data channel's `send`, which copies the bytes before it returns (the W3C `send`, and
 * node-datachannel's): a binary message is a view into a buffer this module keeps and overwrites on the next call, so
 * a stream's chunks do not cost a fresh buffer each (the allocation and its garbage, on the hot path of the direct
 * path). Use the view at once; never keep it.
 */
export function encodeFrameToSend(frame: object): string | Uint8Array<ArrayBuffer> {
  return encodeInto(frame, (total) => {
    if (total > SCRATCH_MAX_BYTES) return new Uint8Array(total);
    if (scratch.byteLength < total) scratch = new Uint8Array(Math.min(SCRATCH_MAX_BYTES, Math.max(total, 2 * scratch.byteLength)));
    return scratch.subarray(0, total);
  });
}

function encodeInto(frame: object, allocate: (total: number) => Uint8Array<ArrayBuffer>): string | Uint8Array<ArrayBuffer> {
  if (!hasBinary(frame, 0)) return JSON.stringify(frame);
  const bins: BinaryValue[] = [];
  const shaped = extract(frame, bins, 0);
  const parts = bins.map(bytesOf);
  const header = encoder.encode(JSON.stringify({ frame: shaped, bins: bins.map((bin, i) => [kindOf(bin), parts[i]!.byteLength]) }));
  const total = 4 + header.byteLength + parts.reduce((sum, part) => sum + part.byteLength, 0);
  const out = allocate(total);
  new DataView(out.buffer, out.byteOffset, out.byteLength).setUint32(0, header.byteLength);
  out.set(header, 4);
  let offset = 4 + header.byteLength;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.byteLength;
  }
  return out;
}

/** Byte views that may stay views into the message (see `decodeFrame`). */
const BYTE_VIEWS = new Set<BinaryKind>(['Uint8Array', 'Buffer']);

/** A view of `bytes` where they lie in the message, as `kind` (a byte view kind). */
function viewOf(kind: BinaryKind, bytes: Uint8Array): BinaryValue {
  const NodeBuffer = (globalThis as { Buffer?: { from(buffer: ArrayBufferLike, offset: number, length: number): Uint8Array } }).Buffer;
  if (kind === 'Buffer' && NodeBuffer) return NodeBuffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

function rebuild(kind: BinaryKind, bytes: Uint8Array): BinaryValue {
  // A copy of its own, so the value does not keep the whole message alive nor share it.
  const own = bytes.slice().buffer;
  if (kind === 'ArrayBuffer') return own;
  const NodeBuffer = (globalThis as { Buffer?: { from(buffer: ArrayBuffer): Uint8Array } }).Buffer;
  if (kind === 'Buffer') return NodeBuffer ? NodeBuffer.from(own) : new Uint8Array(own);
  const View = VIEW_TYPES[kind] ?? Uint8Array;
  if (View === DataView) return new DataView(own);
  const width = (View as unknown as { BYTES_PER_ELEMENT: number }).BYTES_PER_ELEMENT;
  if (own.byteLength % width !== 0) throw new FrameCodecError(`${kind} of ${own.byteLength} bytes`);
  return new View(own, 0, own.byteLength / width);
}

function restore(value: unknown, bins: BinaryValue[], depth: number): unknown {
  if (depth > MAX_DEPTH) throw new FrameCodecError(`a frame may nest at most ${MAX_DEPTH} levels`);
  if (typeof value !== 'object' || value === null) return value;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) value[i] = restore(value[i], bins, depth + 1);
    return value;
  }
  const record = value as Record<string, unknown>;
  const keys = Object.keys(record);
  if (keys.length === 1 && keys[0] === PLACEHOLDER) {
    const bin = bins[record[PLACEHOLDER] as number];
    if (bin === undefined) throw new FrameCodecError('a binary placeholder names no value');
    return bin;
  }
  for (const key of keys) record[key] = restore(record[key], bins, depth + 1);
  return record;
}

function asFrame(value: unknown): object {
  if (typeof value !== 'object' || value === null) throw new FrameCodecError('a frame is an object');
  return value;
}

/**
 * The frame a data channel message carries (a string, or binary as ArrayBuffer or a view). Throws FrameCodecError.
 * The message becomes the decoder's: a single Uint8Array or Buffer that is most of it comes back as a view into it.
 */
export function decodeFrame(message: string | ArrayBuffer | ArrayBufferView): object {
  if (typeof message === 'string') return asFrame(JSON.parse(message));
  const bytes = bytesOf(message);
  if (bytes.byteLength < 4) throw new FrameCodecError('a binary frame is at least 4 bytes');
  const headerLength = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(0);
  if (4 + headerLength > bytes.byteLength) throw new FrameCodecError('the binary frame is shorter than its header says');
  const header = JSON.parse(decoder.decode(bytes.subarray(4, 4 + headerLength))) as { frame?: unknown; bins?: unknown };
  if (!Array.isArray(header.bins)) throw new FrameCodecError('the binary frame has no list of values');
  let offset = 4 + headerLength;
  // One byte view that is most of the message (a stream's chunk, say) stays where it is, a view into the message: no
  // copy, and what it keeps alive beyond its own bytes is the header. Anything else is copied (`rebuild`).
  const [only] = header.bins as unknown[];
  const inPlace =
    header.bins.length === 1 && Array.isArray(only) && BYTE_VIEWS.has(only[0] as string) && 2 * (only[1] as number) >= bytes.byteLength;
  const bins = header.bins.map((entry: unknown) => {
    const [kind, length] = Array.isArray(entry) ? entry : [];
    if (typeof kind !== 'string' || !Number.isInteger(length) || (length as number) < 0 || offset + (length as number) > bytes.byteLength) {
      throw new FrameCodecError('a binary value overruns the message');
    }
    const part = bytes.subarray(offset, offset + (length as number));
    const value = inPlace ? viewOf(kind, part) : rebuild(kind, part);
    offset += length as number;
    return value;
  });
  return asFrame(restore(header.frame, bins, 0));
}
