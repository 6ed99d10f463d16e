import { type DynamicModule, Inject, Logger, Module, type OnApplicationBootstrap } from '@nestjs/common';
import { createP2pGatewayClass } from './gateway/p2p.gateway.js';
import { P2P_CLUSTER, P2P_GATEWAY, P2P_METER, P2P_RESOLVED_OPTIONS, P2P_STORE } from './tokens/p2p.constants.js';
import { P2P_ASYNC_OPTIONS_TYPE, P2P_MODULE_OPTIONS, P2P_OPTIONS_TYPE, P2pConfigurableModule } from './p2p-module.definition.js';
import { type ResolvedP2pOptions, resolveP2pOptions } from './options/p2p-options.resolve.js';
import { describeP2pStartup } from './options/p2p-startup.log.js';
import { PairingEngine } from './pairing/pairing.engine.js';
import { PairingService } from './pairing/pairing.service.js';
import { type ClusterSetup, setupRedisCluster } from './cluster/redis-cluster.setup.js';
import { NodeDrainService } from './cluster/node-drain.service.js';
import { ControlCenterAccessGuard } from './control-center/control-center-access.guard.js';
import { createControlCenterControllerClass } from './control-center/control-center.controller.js';
import type { P2pModuleOptions } from './options/p2p-options.interface.js';
import { InMemoryPairingStore } from './stores/in-memory-pairing.store.js';
import type { PairingStore } from './stores/pairing-store.interface.js';
import { GatewayMeter } from './metrics/gateway.meter.js';
import { P2pMetricsService } from './metrics/p2p-metrics.service.js';
import { MetricsAccessGuard } from './control-center/metrics-access.guard.js';
import { createMetricsControllerClass } from './control-center/metrics.controller.js';
import { P2pDrainState } from './health/p2p-drain.state.js';
import { P2pHealthProbe } from './health/p2p-health.probe.js';

/** The counters exist while something reads them: the Prometheus metrics or the control center's charts. */
function createMeter(options: ResolvedP2pOptions): GatewayMeter | undefined {
  if (!options.metrics && !options.controlCenter) return undefined;
  return new GatewayMeter(options.limits.maxClients ?? 100_000);
}

/** `P2pModule.forRoot`'s argument: the options, and `isGlobal`. */
export type P2pModuleRootOptions = typeof P2P_OPTIONS_TYPE;

/** `P2pModule.forRootAsync`'s argument: `imports`, `inject`, `useFactory` / `useClass` / `useExisting`, `isGlobal`. */
export type P2pModuleAsyncOptions = typeof P2P_ASYNC_OPTIONS_TYPE & {
  /**
   * Registers the control center's routes, for a factory that turns it on (`controlCenter: {...}` in the options it
   * returns). Its routes are mapped when the module is defined, before a factory has run: without this flag a factory
   * that turns the control center on makes start-up fail. With it and a factory that leaves it off, its routes answer
   * 404.
   * @default false
   */
  controlCenter?: boolean | undefined;
};

function resolveModuleOptions(options: P2pModuleOptions = {}, routesRegistered = false): ResolvedP2pOptions {
  const resolved = resolveP2pOptions(options);
  if (resolved.controlCenter && !routesRegistered) {
    throw new TypeError(
      'P2pModule: the options turn the control center on, but its routes were not registered: pass ' +
        '`controlCenter: true` to forRootAsync beside the factory',
    );
  }
  return resolved;
}

/**
 * A cluster node's Redis setup (its connections open before the gateway starts; the setup closes them at application
 * shutdown). Made after the options resolved, so options that do not resolve open no connection.
 */
function createClusterSetup(options: P2pModuleOptions = {}, resolved: ResolvedP2pOptions): Promise<ClusterSetup> | undefined {
  if (!options.redis || !resolved.cluster) return undefined;
  return setupRedisCluster(options.redis, resolved.cluster);
}

/** The store in use: a cluster node's Redis store, the app's own, or one in memory. */
function createStore(resolved: ResolvedP2pOptions, cluster: ClusterSetup | undefined): PairingStore {
  return cluster?.store ?? resolved.store ?? new InMemoryPairingStore();
}

function withGateway(base: DynamicModule, controlCenterRoutes: boolean): DynamicModule {
  const gateway = createP2pGatewayClass();
  return {
    ...base,
    providers: [
      ...(base.providers ?? []),
      {
        provide: P2P_RESOLVED_OPTIONS,
        useFactory: (options: P2pModuleOptions) => resolveModuleOptions(options, controlCenterRoutes),
        inject: [P2P_MODULE_OPTIONS],
      },
      { provide: P2P_CLUSTER, useFactory: createClusterSetup, inject: [P2P_MODULE_OPTIONS, P2P_RESOLVED_OPTIONS] },
      { provide: P2P_STORE, useFactory: createStore, inject: [P2P_RESOLVED_OPTIONS, P2P_CLUSTER] },
      {
        provide: PairingEngine,
        useFactory: (o: ResolvedP2pOptions, store: PairingStore) => new PairingEngine(store, o),
        inject: [P2P_RESOLVED_OPTIONS, P2P_STORE],
      },
      PairingService,
      { provide: P2P_METER, useFactory: createMeter, inject: [P2P_RESOLVED_OPTIONS] },
      gateway,
      { provide: P2P_GATEWAY, useExisting: gateway },
      NodeDrainService,
      P2pMetricsService,
      P2pDrainState,
      P2pHealthProbe,
      // The metrics are served under the control center's access rules: their route comes and goes with its routes.
      ...(controlCenterRoutes ? [ControlCenterAccessGuard, MetricsAccessGuard] : []),
    ],
    // Only when the control center may be on: routes are mapped (and logged, and would shadow the app's own) whether
    // or not the options turn it on, and forRootAsync's options are not known here.
    controllers: [
      ...(base.controllers ?? []),
      ...(controlCenterRoutes ? [createControlCenterControllerClass(), createMetricsControllerClass()] : []),
    ],
    exports: [...(base.exports ?? []), PairingService, P2P_STORE, NodeDrainService, P2pDrainState, P2pHealthProbe],
  };
}

/**
 * Registers the pairing gateway. `forRoot(options)` or `forRootAsync({imports, inject, useFactory})`; exports
 * `PairingService` and the store (`P2P_STORE`) to the importing module, or to every module with `isGlobal: true`.
 */
@Module({})
export class P2pModule extends P2pConfigurableModule implements OnApplicationBootstrap {
  private readonly logger = new Logger('P2pModule');

  constructor(
    @Inject(P2P_RESOLVED_OPTIONS) private readonly resolved: ResolvedP2pOptions,
    @Inject(P2P_CLUSTER) private readonly cluster: ClusterSetup | undefined,
  ) {
    super();
  }

  static override forRoot(options: P2pModuleRootOptions = {}): DynamicModule {
    return withGateway(super.forRoot(options), options.controlCenter !== undefined);
  }

  static override forRootAsync(options: P2pModuleAsyncOptions): DynamicModule {
    const { controlCenter = false, ...asyncOptions } = options;
    return withGateway(super.forRootAsync(asyncOptions), controlCenter);
  }

  /** One line saying how the gateway runs (the mode, the node, Redis with its password hidden). */
  onApplicationBootstrap(): void {
    this.logger.log(describeP2pStartup(this.resolved, this.cluster));
  }
}
