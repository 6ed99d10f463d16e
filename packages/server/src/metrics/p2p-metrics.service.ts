import { Inject, Injectable, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import type { Namespace } from 'socket.io';
import type { Subscription } from 'rxjs';
import { runBounded } from '../auth/bounded-hook.runner.js';
import type { P2pSocket } from '../connection/p2p-connection.state.js';
import { P2P_GATEWAY, P2P_METER, P2P_RESOLVED_OPTIONS } from '../tokens/p2p.constants.js';
import type { ResolvedP2pOptions } from '../options/p2p-options.resolve.js';
import { PairingEngine } from '../pairing/pairing.engine.js';
import type { StoreCounts } from '../stores/pairing-store.interface.js';
import type { GatewayMeter } from './gateway.meter.js';
import type { DirectionTraffic } from './pairing-traffic.table.js';
import { registerPrometheusMetrics } from './prometheus.metrics.js';
import { TrafficHistory, type TrafficSample } from './traffic.history.js';

/** One chart point every 5 s, 15 minutes of them. */
export const SAMPLE_INTERVAL_MS = 5_000;
export const HISTORY_SAMPLES = 180;
/** Longest wait for the store's counts (a scrape, a chart point): a hanging Redis must not hang them. */
const COUNTS_TIMEOUT_MS = 1_000;

/** What the control center's charts read (`GET <controlCenter.path>/stats`). */
export interface P2pTrafficStats {
  nodeId: string;
  intervalMs: number;
  /** Oldest first; the last point is the interval still open. */
  samples: TrafficSample[];
  /** Totals since this node started. */
  refusals: Record<string, number>;
  pairRequests: Record<string, number>;
  relays: { emit: number; ack: number; frame: number; bytes: number };
  /** Per pairing, the directions whose sender is on this node. */
  traffic: DirectionTraffic[];
}

/**
 * The node's metrics: feeds the meter with the lifecycle events, samples the
 * charts' history, registers the Prometheus metrics when `metrics` is on, and answers the control center and the
 * `/metrics` route. Idle (no subscription, no timer) while the meter is off.
 */
@Injectable()
export class P2pMetricsService implements OnApplicationBootstrap, OnModuleDestroy {
  private subscription?: Subscription;
  private timer?: NodeJS.Timeout;
  private history?: TrafficHistory;
  private exporter?: Awaited<ReturnType<typeof registerPrometheusMetrics>>;

  constructor(
    @Inject(P2P_RESOLVED_OPTIONS) private readonly options: ResolvedP2pOptions,
    @Inject(P2P_METER) readonly meter: GatewayMeter | undefined,
    @Inject(PairingEngine) private readonly engine: PairingEngine,
    @Inject(P2P_GATEWAY) private readonly gateway: { readonly namespace?: Namespace },
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const meter = this.meter;
    if (!meter) return;
    this.subscription = this.engine.events$.subscribe((event) => meter.onEvent(event));
    this.history = new TrafficHistory(HISTORY_SAMPLES, meter.totals(), Date.now());
    this.timer = setInterval(() => void this.sample(), SAMPLE_INTERVAL_MS);
    this.timer.unref();
    if (this.options.metrics) {
      this.exporter = await registerPrometheusMetrics(meter, this.options.metrics.registry, {
        counts: () => this.counts(),
        heldRelays: () => this.heldRelays(),
      });
    }
  }

  onModuleDestroy(): void {
    this.subscription?.unsubscribe();
    clearInterval(this.timer);
    this.exporter?.unregister();
    this.exporter = undefined;
  }

  /** The Prometheus text of the registry the metrics are in; undefined while they are off. */
  async prometheusText(): Promise<{ contentType: string; body: string } | undefined> {
    const registry = this.exporter?.registry;
    if (!registry) return undefined;
    return { contentType: registry.contentType, body: await registry.metrics() };
  }

  /** The charts' data; undefined while the meter is off. */
  async stats(): Promise<P2pTrafficStats | undefined> {
    const { meter, history } = this;
    if (!meter || !history) return undefined;
    const counts = await this.counts();
    return {
      nodeId: this.options.nodeId,
      intervalMs: SAMPLE_INTERVAL_MS,
      samples: [...history.list(), history.pointAt(meter.totals(), counts, Date.now())],
      refusals: Object.fromEntries(meter.refusals),
      pairRequests: Object.fromEntries(meter.pairRequests),
      relays: { ...meter.relayedMessages, bytes: meter.relayedBytes },
      traffic: meter.traffic.list(),
    };
  }

  private async sample(): Promise<void> {
    const { meter, history } = this;
    if (!meter || !history) return;
    const totals = meter.totals();
    const at = Date.now();
    history.record(totals, await this.counts(), at);
  }

  /** The store's counts within a bound; undefined when it failed or did not answer in time. */
  private async counts(): Promise<StoreCounts | undefined> {
    const outcome = await runBounded(() => this.engine.store.counts(), COUNTS_TIMEOUT_MS);
    return outcome.ok ? outcome.value : undefined;
  }

  private heldRelays(): number {
    let held = 0;
    const sockets = this.gateway.namespace?.sockets;
    if (!sockets) return 0;
    for (const socket of sockets.values()) held += (socket as P2pSocket).data.p2p?.outbox?.length ?? 0;
    return held;
  }
}
