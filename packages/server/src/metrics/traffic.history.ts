/** One point of the control center's charts. Rates are per second over the interval that ends at `at`. */
export interface TrafficSample {
  at: number;
  relaysPerSecond: number;
  relayBytesPerSecond: number;
  pairRequestsPerSecond: number;
  refusalsPerSecond: number;
  /** From the store (the whole cluster on a cluster node); null when it did not answer in time. */
  clients: number | null;
  pairings: number | null;
}

/** The node's running totals that the history turns into rates. */
export interface TrafficTotals {
  relays: number;
  relayBytes: number;
  pairRequests: number;
  refusals: number;
}

/** A fixed-size ring of samples: the last `capacity` intervals (15 minutes of 5-second samples by default). */
export class TrafficHistory {
  private readonly samples: TrafficSample[] = [];
  private last: { at: number; totals: TrafficTotals };

  constructor(
    private readonly capacity: number,
    totals: TrafficTotals,
    now: number,
  ) {
    this.last = { at: now, totals: { ...totals } };
  }

  /** Closes the current interval: appends its sample and drops the oldest past `capacity`. */
  record(totals: TrafficTotals, counts: { clients: number; pairings: number } | undefined, now: number): TrafficSample {
    const sample = this.pointAt(totals, counts, now);
    this.samples.push(sample);
    if (this.samples.length > this.capacity) this.samples.shift();
    this.last = { at: now, totals: { ...totals } };
    return sample;
  }

  /** The interval still open, as a point (not stored): the charts show the latest seconds too. */
  pointAt(totals: TrafficTotals, counts: { clients: number; pairings: number } | undefined, now: number): TrafficSample {
    // At least a second: a point read just after a sample would otherwise turn one relay into a spike.
    const seconds = Math.max(now - this.last.at, 1000) / 1000;
    const rate = (key: keyof TrafficTotals) => (totals[key] - this.last.totals[key]) / seconds;
    return {
      at: now,
      relaysPerSecond: rate('relays'),
      relayBytesPerSecond: rate('relayBytes'),
      pairRequestsPerSecond: rate('pairRequests'),
      refusalsPerSecond: rate('refusals'),
      clients: counts?.clients ?? null,
      pairings: counts?.pairings ?? null,
    };
  }

  list(): TrafficSample[] {
    return this.samples.slice();
  }
}
