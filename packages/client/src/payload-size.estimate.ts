/** Deeper values are counted as this many bytes without being walked: the estimate must stay cheap and bounded. */
const DEPTH_LIMIT = 8;
const OPAQUE_BYTES = 16;

/**
 * A cheap estimate of what a value costs on the wire, for the send window's byte bound: string lengths, binary
 * byte lengths, 8 per number, and a little per key and element. Not exact (Socket.IO's encoding decides that); it
 * only needs to grow with the payload.
 */
export function estimateBytes(value: unknown, depth = 0): number {
  switch (typeof value) {
    case 'string':
      return value.length + 2;
    case 'number':
      return 8;
    case 'boolean':
      return 4;
    case 'object': {
      if (value === null) return 4;
      if (depth >= DEPTH_LIMIT) return OPAQUE_BYTES;
      if (ArrayBuffer.isView(value)) return value.byteLength;
      if (value instanceof ArrayBuffer) return value.byteLength;
      let total = 2;
      if (Array.isArray(value)) {
        for (const item of value) total += estimateBytes(item, depth + 1) + 1;
        return total;
      }
      for (const key in value) {
        total += key.length + 4 + estimateBytes((value as Record<string, unknown>)[key], depth + 1);
      }
      return total;
    }
    default:
      return 0;
  }
}
