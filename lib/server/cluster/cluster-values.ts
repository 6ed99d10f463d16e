import { deserialize, serialize } from 'node:v8';

/** Relay arguments or ack results as they travel between nodes in a `serverSideEmit` message. */
export type PackedValues = unknown[] | { v8: string };

function hasBinary(values: unknown[]): boolean {
  const pending: unknown[] = [...values];
  while (pending.length > 0) {
    const value = pending.pop();
    if (value === null || typeof value !== 'object') continue;
    if (value instanceof ArrayBuffer || ArrayBuffer.isView(value)) return true;
    pending.push(...(Array.isArray(value) ? value : Object.values(value)));
  }
  return false;
}

/**
 * The classic Redis adapter sends `serverSideEmit` messages as JSON, which turns a Buffer into `{type, data}`: values
 * holding binary travel as one V8-serialized string instead (the sharded adapter would cope, this costs it nothing).
 */
export function packValues(values: unknown[]): PackedValues {
  return hasBinary(values) ? { v8: serialize(values).toString('base64') } : values;
}

export function unpackValues(packed: unknown): unknown[] {
  if (Array.isArray(packed)) return packed;
  const encoded = (packed as { v8?: unknown } | null)?.v8;
  if (typeof encoded !== 'string') return [];
  const values: unknown = deserialize(Buffer.from(encoded, 'base64'));
  return Array.isArray(values) ? values : [];
}
