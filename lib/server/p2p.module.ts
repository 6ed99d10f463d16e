import { type DynamicModule, Module } from '@nestjs/common';
import { createP2pGatewayClass } from './p2p.gateway.js';
import { P2P_GATEWAY, P2P_METER, P2P_RESOLVED_OPTIONS, P2P_STORE } from './p2p.constants.js';
import {
  P2P_ASYNC_OPTIONS_TYPE,
  P2P_MODULE_OPTIONS,
  P2P_OPTIONS_TYPE,
  P2pConfigurableModule,
} from './p2p-module.definition.js';
import { type ResolvedP2pOptions, resolveP2pOptions } from './p2p-options.resolve.js';
import { PairingEngine } from './pairing.engine.js';
import { PairingService } from './pairing.service.js';
import { setupRedisCluster } from './cluster/redis-cluster.setup.js';
import { ControlCenterAccessGuard } from './control-center/control-center-access.guard.js';
import { createControlCenterControllerClass } from './control-center/control-center.controller.js';
import type { P2pModuleOptions } from './p2p-options.interface.js';
import { GatewayMeter } from './metrics/gateway.meter.js';
import { P2pMetricsService } from './metrics/p2p-metrics.service.js';
import { MetricsAccessGuard } from './metrics/metrics-access.guard.js';
import { createMetricsControllerClass } from './metrics/metrics.controller.js';
import { P2pDrainState } from './health/p2p-drain.state.js';
import { P2pHealthProbe } from './health/p2p-health.probe.js';

/** The counters exist while something reads them: the Prometheus metrics or the control center's charts. */
function createMeter(options: ResolvedP2pOptions): GatewayMeter | undefined {
  if (!options.metrics && !options.controlCenter) return undefined;
  return new GatewayMeter(options.limits.maxClients ?? 100_000);
}

async function resolveWithCluster(options: P2pModuleOptions = {}): Promise<ResolvedP2pOptions> {
  const resolved = resolveP2pOptions(options);
  if (!options.redis) return resolved;
  if (options.store) throw new TypeError('P2pModule: give either `store` or `redis`, not both');
  const cluster = await setupRedisCluster(options.redis);
  return { ...resolved, store: cluster.store, cluster };
}

function withGateway(base: DynamicModule): DynamicModule {
  const gateway = createP2pGatewayClass();
  return {
    ...base,
    providers: [
      ...(base.providers ?? []),
      { provide: P2P_RESOLVED_OPTIONS, useFactory: resolveWithCluster, inject: [P2P_MODULE_OPTIONS] },
      { provide: P2P_STORE, useFactory: (o: ResolvedP2pOptions) => o.store, inject: [P2P_RESOLVED_OPTIONS] },
      {
        provide: PairingEngine,
        useFactory: (o: ResolvedP2pOptions) => new PairingEngine(o.store, o),
        inject: [P2P_RESOLVED_OPTIONS],
      },
      PairingService,
      { provide: P2P_METER, useFactory: createMeter, inject: [P2P_RESOLVED_OPTIONS] },
      gateway,
      { provide: P2P_GATEWAY, useExisting: gateway },
      ControlCenterAccessGuard,
      P2pMetricsService,
      MetricsAccessGuard,
      P2pDrainState,
      P2pHealthProbe,
    ],
    // Always registered, since forRootAsync's options are not known here; its guard answers 404 while it is off.
    controllers: [...(base.controllers ?? []), createControlCenterControllerClass(), createMetricsControllerClass()],
    exports: [...(base.exports ?? []), PairingService, P2P_STORE, P2pDrainState, P2pHealthProbe],
  };
}

/**
 * Registers the pairing gateway. `forRoot(options)` or `forRootAsync({imports, inject, useFactory})`; exports
 * `PairingService` and the store (`P2P_STORE`).
 */
@Module({})
export class P2pModule extends P2pConfigurableModule {
  static override forRoot(options: typeof P2P_OPTIONS_TYPE = {}): DynamicModule {
    return withGateway(super.forRoot(options));
  }

  static override forRootAsync(options: typeof P2P_ASYNC_OPTIONS_TYPE): DynamicModule {
    return withGateway(super.forRootAsync(options));
  }
}
