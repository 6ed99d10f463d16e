import { Decoder, Encoder, type Packet, PacketType } from 'socket.io-parser';

/**
 * What a value looks like on the far side of one Socket.IO hop, computed with the very parser (and default options)
 * the server and the clients use: JSON rules, binary attachments, and the parser's own quirks (an own `__proto__` key
 * does not survive a binary packet). Throws what the receiving parser would throw (too many attachments, ...): such a
 * packet never reaches the gateway, the transport closes instead.
 */
export function overTheWire(args: readonly unknown[]): unknown[] {
  const encoded = new Encoder().encode({ type: PacketType.EVENT, nsp: '/', data: ['wire', ...args] });
  const decoder = new Decoder();
  let decoded: Packet | undefined;
  decoder.on('decoded', (packet: Packet) => {
    decoded = packet;
  });
  // Node's ws hands the server Buffers; the parser keeps whatever it is given.
  for (const part of encoded) decoder.add(typeof part === 'string' ? part : Buffer.from(part as Uint8Array));
  decoder.destroy();
  if (!decoded) throw new Error('the parser did not decode its own packet');
  return (decoded.data as unknown[]).slice(1);
}

/** The size in bytes of `args` on the wire (text plus attachments), as Socket.IO's maxHttpBufferSize counts it. */
export function wireBytes(args: readonly unknown[]): number {
  const encoded = new Encoder().encode({ type: PacketType.EVENT, nsp: '/', data: ['wire', ...args] });
  return encoded.reduce<number>(
    (sum, part) => sum + (typeof part === 'string' ? Buffer.byteLength(part) : (part as Uint8Array).byteLength),
    0,
  );
}

/**
 * A plain, comparable picture of a received value: binary as hex, objects as their own enumerable entries (so an own
 * `__proto__` key is compared like any other key, and prototypes are ignored), -0 as 0.
 */
export function wireForm(value: unknown): unknown {
  if (ArrayBuffer.isView(value)) return { $binary: Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('hex') };
  if (value instanceof ArrayBuffer) return { $binary: Buffer.from(value).toString('hex') };
  if (Array.isArray(value)) return value.map(wireForm);
  if (typeof value === 'number' && Object.is(value, -0)) return 0;
  if (typeof value === 'object' && value !== null) {
    return { $entries: Object.keys(value).map((key) => [key, wireForm((value as Record<string, unknown>)[key])]) };
  }
  return value;
}

/** Compresses long runs of one short unit ("a", "[[", "171,"), so reports of 200 KB strings or deep values stay readable. */
export function abbreviate(text: string): string {
  return text.replace(
    /([\s\S]{1,8}?)\1{31,}/gu,
    (run, unit: string) => `${unit.repeat(4)}<…${run.length / unit.length} × ${JSON.stringify(unit)}…>`,
  );
}
