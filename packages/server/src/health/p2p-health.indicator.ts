import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import type * as Terminus from '@nestjs/terminus';
import { loadOptionalPackage } from '../options/optional-package.loader.js';
import { DEFAULT_HEALTH_TIMEOUT_MS, type P2pHealthReport, P2pHealthProbe } from './p2p-health.probe.js';

type HealthIndicatorResult<Key extends string> = Terminus.HealthIndicatorResult<Key>;

export interface P2pHealthCheckOptions {
  /**
   * Longest wait for each store call.
   * @default 1000
   */
  timeoutMs?: number;
}

/**
 * The gateway's Terminus health indicator (`@nestjs/terminus` is an optional peer dependency; this class comes from
 * `nest-p2p-gateway/health`). Add it to the providers of a module that imports `TerminusModule` and `P2pModule`:
 *
 * ```ts
 * @Get('ready') @HealthCheck()
 * ready() { return this.health.check([() => this.p2p.isReady('p2p')]); }
 * ```
 */
@Injectable()
export class P2pHealthIndicator implements OnModuleInit {
  private terminus?: Terminus.HealthIndicatorService;

  constructor(
    @Inject(ModuleRef) private readonly moduleRef: ModuleRef,
    @Inject(P2pHealthProbe) private readonly probe: P2pHealthProbe,
  ) {}

  /**
   * Terminus is loaded here, not imported: without it, the app's start-up fails saying what to install (and the
   * package keeps no top-level `await`, which `require(esm)` apps need).
   */
  async onModuleInit(): Promise<void> {
    const { HealthIndicatorService } = await loadOptionalPackage<typeof Terminus>('@nestjs/terminus');
    this.terminus = this.moduleRef.get(HealthIndicatorService, { strict: false });
  }

  private get indicators(): Terminus.HealthIndicatorService {
    if (!this.terminus) throw new Error('P2pHealthIndicator: used before its module was initialised');
    return this.terminus;
  }

  /** Up when the store answers in time and (cluster node) this node is registered alive. Draining does not matter. */
  async isHealthy<const Key extends string>(key: Key, options: P2pHealthCheckOptions = {}): Promise<HealthIndicatorResult<Key>> {
    const report = await this.probe.check(options.timeoutMs ?? DEFAULT_HEALTH_TIMEOUT_MS);
    return healthy(report) ? this.indicators.check(key).up(details(report)) : this.indicators.check(key).down(details(report));
  }

  /** As `isHealthy`, and down while the node is draining (shutting down): for readiness probes. */
  async isReady<const Key extends string>(key: Key, options: P2pHealthCheckOptions = {}): Promise<HealthIndicatorResult<Key>> {
    const report = await this.probe.check(options.timeoutMs ?? DEFAULT_HEALTH_TIMEOUT_MS);
    if (healthy(report) && !report.draining) return this.indicators.check(key).up(details(report));
    return this.indicators
      .check(key)
      .down(details(report.draining && healthy(report) ? { ...report, error: 'the node is draining' } : report));
  }
}

function healthy(report: P2pHealthReport): boolean {
  return report.store === 'up' && report.node !== 'down';
}

function details({ store, node, nodeId, draining, error }: P2pHealthReport): Record<string, unknown> {
  return { store, ...(node === undefined ? {} : { node }), nodeId, draining, ...(error === undefined ? {} : { message: error }) };
}
