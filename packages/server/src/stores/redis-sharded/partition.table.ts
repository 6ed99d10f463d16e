/** Redis Cluster's slot count: a key's slot is CRC16(hash tag) mod 16384. */
export const CLUSTER_SLOTS = 16_384;

/** How many candidate tags per partition the table examines; far more than needed to land one in every bucket. */
const CANDIDATES_PER_PARTITION = 200;

const CRC16_TABLE = (() => {
  const table = new Uint16Array(256);
  for (let byte = 0; byte < 256; byte++) {
    let crc = byte << 8;
    for (let bit = 0; bit < 8; bit++) crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
    table[byte] = crc;
  }
  return table;
})();

/** CRC16-XMODEM (polynomial 0x1021), as Redis Cluster computes key slots. */
export function crc16(text: string): number {
  let crc = 0;
  for (const byte of Buffer.from(text, 'utf8')) crc = ((crc << 8) & 0xffff) ^ CRC16_TABLE[((crc >> 8) ^ byte) & 0xff]!;
  return crc;
}

/** The cluster slot of a hash tag's content (what sits between the braces). */
export function slotOfTag(tag: string): number {
  return crc16(tag) % CLUSTER_SLOTS;
}

/** FNV-1a, 32 bits: spreads clientIds over the partitions; stable across processes and versions. */
function fnv1a(text: string): number {
  let hash = 0x811c9dc5;
  for (const byte of Buffer.from(text, 'utf8')) hash = Math.imul(hash ^ byte, 0x01000193) >>> 0;
  return hash;
}

/**
 * The partitions of a sharded store: partition i owns the hash tag `tags[i]`, chosen so that the tags' slots sit one
 * in each 1/P of the slot space, near its middle. Redis Cluster gives each primary contiguous slot ranges, so the
 * partitions (and the clients hashed onto them) spread over the primaries in proportion to the slots each serves.
 * Bare partition numbers as tags would not: their CRC16 slots cluster by chance, and some primaries would get few.
 */
export class PartitionTable {
  /** The hash tag content of each partition, e.g. `p2p:1k` (the key is `{p2p:1k}:...`). */
  readonly tags: readonly string[];
  /** The slot of each partition's tag. */
  readonly slots: readonly number[];

  constructor(
    readonly keyPrefix: string,
    readonly partitions: number,
  ) {
    if (!Number.isInteger(partitions) || partitions < 1 || partitions > 1024) {
      throw new RangeError(`ShardedRedisPairingStore: partitions must be a whole number from 1 to 1024, got ${partitions}`);
    }
    const best: Array<{ tag: string; slot: number; distance: number } | undefined> = new Array(partitions);
    const width = CLUSTER_SLOTS / partitions;
    for (let k = 0; k < partitions * CANDIDATES_PER_PARTITION; k++) {
      const tag = `${keyPrefix}:${k.toString(36)}`;
      const slot = slotOfTag(tag);
      const bucket = Math.min(partitions - 1, Math.floor(slot / width));
      const distance = Math.abs(slot - (bucket + 0.5) * width);
      const current = best[bucket];
      if (!current || distance < current.distance) best[bucket] = { tag, slot, distance };
    }
    const missing = best.findIndex((entry) => entry === undefined);
    if (missing >= 0) throw new Error(`ShardedRedisPairingStore: no tag found for partition ${missing} of ${partitions}`);
    this.tags = best.map((entry) => entry!.tag);
    this.slots = best.map((entry) => entry!.slot);
  }

  /** The partition that holds `clientId`. */
  partitionOf(clientId: string): number {
    return fnv1a(clientId) % this.partitions;
  }

  /** The key root of partition `index`: `{<tag>}`. */
  base(index: number): string {
    return `{${this.tags[index]!}}`;
  }
}
