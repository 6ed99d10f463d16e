/** Messages and bytes one client sent to its peer through this node, since this node first relayed for it. */
export interface DirectionTraffic {
  from: string;
  to: string;
  messages: number;
  bytes: number;
  /** When this node first counted a relay of this direction (ms since epoch). */
  since: number;
}

/**
 * Per-pairing traffic, one entry per sending client of this node: bounded by the node's connections (and by
 * `maxEntries` on top), dropped when the pairing ends or the client leaves, reset when the client pairs with someone
 * else. Relays past `maxEntries` are still counted in the node's totals, only not per pairing.
 */
export class PairingTrafficTable {
  private readonly bySender = new Map<string, DirectionTraffic>();

  constructor(private readonly maxEntries: number) {}

  count(from: string, to: string, bytes: number): void {
    let entry = this.bySender.get(from);
    if (entry === undefined || entry.to !== to) {
      if (entry === undefined && this.bySender.size >= this.maxEntries) return;
      // The clock is read only here, for a new entry: not on every relay.
      entry = { from, to, messages: 0, bytes: 0, since: Date.now() };
      this.bySender.set(from, entry);
    }
    entry.messages++;
    entry.bytes += bytes;
  }

  /** The pairing of `a` and `b` ended: both directions are forgotten. */
  pairingEnded(a: string, b: string): void {
    if (this.bySender.get(a)?.to === b) this.bySender.delete(a);
    if (this.bySender.get(b)?.to === a) this.bySender.delete(b);
  }

  /** `clientId` left this node: what it sent is forgotten. */
  clientLeft(clientId: string): void {
    this.bySender.delete(clientId);
  }

  /** What `from` sent to `to`, if this node counted any. */
  get(from: string, to: string): DirectionTraffic | undefined {
    const entry = this.bySender.get(from);
    return entry?.to === to ? { ...entry } : undefined;
  }

  /** Every direction counted, copies. */
  list(): DirectionTraffic[] {
    return Array.from(this.bySender.values(), (entry) => ({ ...entry }));
  }

  get size(): number {
    return this.bySender.size;
  }
}
