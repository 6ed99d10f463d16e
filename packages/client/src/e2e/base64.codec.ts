/** Node's Buffer when the runtime has one: its base64 is native, btoa's goes through a string of the bytes. */
const NodeBuffer = (
  globalThis as {
    Buffer?: {
      from(bytes: ArrayBuffer, offset: number, length: number): { toString(encoding: 'base64'): string };
      from(text: string, encoding: 'base64' | 'utf8'): Uint8Array<ArrayBuffer> & { toString(encoding: 'base64'): string };
    };
  }
).Buffer;

/**
 * The bytes of base64 `text` without the check that it is canonical base64, for what authenticates itself (a sealed
 * message: altered text fails to open); undefined when it is not text. Node decodes it natively, into its pool.
 */
export function looseFromBase64(text: unknown): Uint8Array<ArrayBuffer> | undefined {
  if (typeof text !== 'string') return undefined;
  return NodeBuffer ? NodeBuffer.from(text, 'base64') : fromBase64(text);
}

const encoder = new TextEncoder();

/** The UTF-8 of `text`: in Node into its buffer pool (no backing store of its own per call), else TextEncoder's. */
export function utf8Bytes(text: string): Uint8Array<ArrayBuffer> {
  return NodeBuffer ? NodeBuffer.from(text, 'utf8') : encoder.encode(text);
}

/** Bytes as base64 text and back, with what browsers and Node both have (btoa, atob), or Node's Buffer. */
export function toBase64(bytes: Uint8Array): string {
  if (NodeBuffer) return NodeBuffer.from(bytes.buffer as ArrayBuffer, bytes.byteOffset, bytes.byteLength).toString('base64');
  let text = '';
  for (const byte of bytes) text += String.fromCharCode(byte);
  return btoa(text);
}

/** The bytes of `text`, when it is base64 of exactly `length` bytes (any length: undefined); undefined otherwise. */
export function fromBase64(text: unknown, length?: number): Uint8Array<ArrayBuffer> | undefined {
  if (typeof text !== 'string' || (length !== undefined && text.length > 4 * Math.ceil(length / 3))) return undefined;
  if (NodeBuffer) {
    // Node's decoder skips what is not base64 rather than failing: the bytes must encode back to the very same text
    // (one native call, cheaper per sealed message than matching a pattern first).
    const bytes = NodeBuffer.from(text, 'base64');
    if ((length !== undefined && bytes.byteLength !== length) || bytes.toString('base64') !== text) return undefined;
    // A view, not a copy: Node gives small results a slice of a shared pool, which readers must not reach past.
    return bytes;
  }
  let decoded: string;
  try {
    decoded = atob(text);
  } catch {
    return undefined;
  }
  if (length !== undefined && decoded.length !== length) return undefined;
  const bytes = new Uint8Array(decoded.length);
  for (let i = 0; i < decoded.length; i++) bytes[i] = decoded.charCodeAt(i);
  return bytes;
}

/** Whether `a` and `b` hold the same bytes, in a time that does not depend on where they differ. */
export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.byteLength !== b.byteLength) return false;
  let diff = 0;
  for (let i = 0; i < a.byteLength; i++) diff |= a[i]! ^ b[i]!;
  return diff === 0;
}
