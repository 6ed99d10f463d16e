import type * as PromClient from 'prom-client';
import type { Registry } from 'prom-client';
import { loadOptionalPackage } from '../options/optional-package.loader.js';
import type { StoreCounts } from '../stores/pairing-store.interface.js';
import type { GatewayMeter } from './gateway.meter.js';
import type { P2pMetricsRegistry } from '../options/p2p-metrics.options.js';

/** What the collectors read besides the meter's counters. */
export interface PrometheusSources {
  /** The store's counts, bounded in time; undefined when the store did not answer (the gauges keep their last value). */
  counts(): Promise<StoreCounts | undefined>;
  /** Relays held on this node for peers that are away. */
  heldRelays(): number;
}

/** Seconds; from a loopback round trip (about 0.1 ms) to the default `ackTimeoutMs` (10 s). */
const ACK_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/**
 * Registers the gateway's metrics (the public contract documented in docs/operations.md) in `registry`. Counters are
 * read from the meter's plain numbers when scraped, so the relay path never touches prom-client. `prom-client` is an
 * optional peer dependency, loaded only here (from `promClient`, a test's stand-in for a missing one); without it,
 * start-up fails saying what to install. Returns a function that unregisters them (module shutdown).
 */
export async function registerPrometheusMetrics(
  meter: GatewayMeter,
  registry: P2pMetricsRegistry | undefined,
  sources: PrometheusSources,
  promClient = 'prom-client',
): Promise<{ registry: Registry; unregister(): void }> {
  const client = await loadOptionalPackage<typeof PromClient>('prom-client', promClient);
  // The option is typed structurally (see P2pMetricsRegistry); resolveMetrics checked that it is a registry.
  const target = (registry as Registry | undefined) ?? client.register;
  const names: string[] = [];
  const taken = (name: string) => target.getSingleMetric(name) !== undefined;
  const all = [
    'p2p_clients',
    'p2p_pairings',
    'p2p_pending_requests',
    'p2p_connections_total',
    'p2p_pair_requests_total',
    'p2p_relayed_messages_total',
    'p2p_relayed_bytes_total',
    'p2p_refusals_total',
    'p2p_ack_round_trip_seconds',
    'p2p_resumes_total',
    'p2p_held_relays',
    'p2p_cluster_messages_total',
  ];
  const clash = all.find(taken);
  if (clash)
    throw new Error(
      `P2pModule: metric ${clash} is registered already in this registry (a second P2pModule? give each its own metrics.registry)`,
    );

  const registers = [target];
  /** A counter whose value is set from a total at each scrape (reset, then increased by the total). */
  const counterFrom = <L extends string>(
    name: string,
    help: string,
    labelNames: L[],
    read: () => Iterable<[Record<L, string>, number]>,
  ) => {
    names.push(name);
    return new client.Counter<L>({
      name,
      help,
      labelNames,
      registers,
      collect() {
        this.reset();
        for (const [labels, value] of read()) this.inc(labels as Partial<Record<L, string>>, value);
      },
    });
  };
  const byLabel = <L extends string, K extends string>(label: L, map: ReadonlyMap<K, number>) =>
    [...map].map(([key, value]): [Record<L, string>, number] => [{ [label]: key } as unknown as Record<L, string>, value]);

  let lastCounts: StoreCounts | undefined;
  const storeGauge = (name: string, help: string, read: (counts: StoreCounts) => number) => {
    names.push(name);
    return new client.Gauge({
      name,
      help,
      registers,
      async collect() {
        lastCounts = (await sources.counts()) ?? lastCounts;
        if (lastCounts) this.set(read(lastCounts));
      },
    });
  };
  storeGauge('p2p_clients', 'Connected clients, as the store counts them (the whole cluster on a cluster node).', (c) => c.clients);
  storeGauge('p2p_pairings', 'Current pairings, as the store counts them (the whole cluster on a cluster node).', (c) => c.pairings);
  storeGauge(
    'p2p_pending_requests',
    "Pairing requests awaiting the target's answer (the whole cluster on a cluster node).",
    (c) => c.pendingRequests,
  );

  counterFrom(
    'p2p_connections_total',
    'Connection attempts on this node by outcome: accepted, or the error code of the refusal.',
    ['outcome'],
    () => byLabel('outcome', meter.connections),
  );
  counterFrom(
    'p2p_pair_requests_total',
    'Pairing requests opened on this node by outcome: paired, or the error code of the refusal.',
    ['outcome'],
    () => byLabel('outcome', meter.pairRequests),
  );
  counterFrom(
    'p2p_relayed_messages_total',
    'Relays that passed every check on this node, by kind (emit: P2P_EMIT, ack: P2P_EMIT_ACKNOWLEDGE, frame: P2P_FRAME).',
    ['kind'],
    () => [
      [{ kind: 'emit' }, meter.relayedMessages.emit],
      [{ kind: 'ack' }, meter.relayedMessages.ack],
      [{ kind: 'frame' }, meter.relayedMessages.frame],
    ],
  );
  counterFrom('p2p_relayed_bytes_total', 'Bytes of the relays counted in p2p_relayed_messages_total, as received.', [], () => [
    [{}, meter.relayedBytes],
  ]);
  counterFrom('p2p_refusals_total', 'Requests this node refused, by error code: connections, pairing requests and relays.', ['code'], () =>
    byLabel('code', meter.refusals),
  );
  counterFrom(
    'p2p_resumes_total',
    'Clients of this node that dropped while paired, by outcome: resumed within the grace, or lost.',
    ['outcome'],
    () => [
      [{ outcome: 'resumed' }, meter.resumes.resumed],
      [{ outcome: 'lost' }, meter.resumes.lost],
    ],
  );
  counterFrom(
    'p2p_cluster_messages_total',
    'Messages between gateway nodes, by direction (sent, received) and type.',
    ['direction', 'type'],
    () => [
      ...[...meter.clusterMessages.sent].map(([type, n]): [Record<'direction' | 'type', string>, number] => [
        { direction: 'sent', type },
        n,
      ]),
      ...[...meter.clusterMessages.received].map(([type, n]): [Record<'direction' | 'type', string>, number] => [
        { direction: 'received', type },
        n,
      ]),
    ],
  );

  names.push('p2p_held_relays');
  new client.Gauge({
    name: 'p2p_held_relays',
    help: 'Relays held on this node for peers that are away (reconnect grace).',
    registers,
    collect() {
      this.set(sources.heldRelays());
    },
  });

  names.push('p2p_ack_round_trip_seconds');
  const roundTrip = new client.Histogram({
    name: 'p2p_ack_round_trip_seconds',
    help: "Relay with ack, from the sender's request to the peer's answer (or its failure), on the sender's node.",
    labelNames: ['outcome'],
    buckets: ACK_BUCKETS,
    registers,
  });
  meter.onAckRoundTrip = (seconds, outcome) => roundTrip.observe({ outcome }, seconds);

  return {
    registry: target,
    unregister() {
      meter.onAckRoundTrip = undefined;
      for (const name of names) target.removeSingleMetric(name);
    },
  };
}
