/**
 * The most binary values one packet may carry to a client: socket.io-parser's decoder refuses a packet with more
 * attachments (`maxAttachments`, 10 in socket.io-client 4's parser 4.x and in socket.io-client 2.x's parser 3.3), and
 * the client then drops its connection (4.x, `parse error`) or throws uncaught (2.x in Node).
 */
export const MAX_DELIVERED_BINARIES = 10;

/** The binary values of a decoded value, as Socket.IO's encoder will send them on. */
export interface BinaryCensus {
  /** Binary values, each reference counted as often as it occurs: the encoder makes each occurrence an attachment. */
  count: number;
  /** Their bytes, as delivered: each occurrence's bytes. */
  bytes: number;
  /** The bytes of the distinct values (each reference once): what arrived, as the sender's attachments. */
  distinctBytes: number;
}

/** What socket.io-parser's encoder takes for binary (Blob and File do not exist in what the server decodes). */
function isBinary(value: object): value is ArrayBuffer | ArrayBufferView {
  return value instanceof ArrayBuffer || ArrayBuffer.isView(value);
}

/**
 * Counts the binary values in `value` the way socket.io-parser's encoder walks it (arrays, and the own keys of other
 * objects), without recursion: a decoded value may be nested as deep as its packet allowed. A decoder's placeholders
 * may name one attachment any number of times, so the same reference is counted at each place it occurs.
 */
export function binaryCensus(value: unknown): BinaryCensus {
  const census: BinaryCensus = { count: 0, bytes: 0, distinctBytes: 0 };
  if (typeof value !== 'object' || value === null) return census;
  let seen: Set<object> | undefined;
  const pending: object[] = [value];
  for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
    if (isBinary(next)) {
      census.count++;
      census.bytes += next.byteLength;
      seen ??= new Set();
      if (!seen.has(next)) {
        seen.add(next);
        census.distinctBytes += next.byteLength;
      }
      continue;
    }
    const children: unknown[] = Array.isArray(next) ? next : Object.values(next);
    for (const child of children) if (typeof child === 'object' && child !== null) pending.push(child);
  }
  return census;
}
