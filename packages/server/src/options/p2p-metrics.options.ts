/**
 * What the module uses of a prom-client `Registry`, declared structurally so that the server's type declarations never
 * import `prom-client` (an optional peer dependency). A prom-client `Registry` is one.
 */
export interface P2pMetricsRegistry {
  getSingleMetric(name: string): unknown;
  removeSingleMetric(name: string): void;
  metrics(): Promise<string>;
  readonly contentType: string;
}

/**
 * Option `metrics` of P2pModule: the gateway's Prometheus metrics (`prom-client`, an optional peer dependency). Off
 * unless given; `metrics: true` takes every default.
 */
export interface P2pMetricsOptions {
  /**
   * The prom-client registry the metrics are registered in: the host app's own, to serve them with its other metrics.
   * @default prom-client's default registry (`register`)
   */
  registry?: P2pMetricsRegistry | undefined;
  /**
   * Where `GET` serves the registry in Prometheus text format, under the control center's access rules (its `token` as
   * `Authorization: Bearer`, or its `guard`), so it needs `controlCenter`. `false`: not served (the host app serves
   * its registry itself).
   * @default '/metrics'
   */
  path?: string | false | undefined;
}

/** The metrics as the module runs them; absent from the resolved options when they are off. */
export interface ResolvedMetricsOptions {
  registry?: P2pMetricsRegistry;
  /** Set when the gateway serves them. */
  path?: string;
}

export const DEFAULT_METRICS_PATH = '/metrics';

const PATH_PATTERN = /^(\/[A-Za-z0-9._~-]+)+$/;

/** Validates the option; serving needs the control center's credentials, so the metrics are never served open. */
export function resolveMetrics(
  options: P2pMetricsOptions | boolean | undefined,
  controlCenterOn: boolean,
): ResolvedMetricsOptions | undefined {
  if (options === undefined || options === false) return undefined;
  const given: P2pMetricsOptions = options === true ? {} : options;
  if (typeof given !== 'object' || given === null) throw new TypeError('P2pModule: metrics must be true or an object');
  const { registry } = given;
  if (registry !== undefined && typeof (registry as { registerMetric?: unknown }).registerMetric !== 'function') {
    throw new TypeError('P2pModule: metrics.registry must be a prom-client Registry');
  }
  if (given.path === false) return registry === undefined ? {} : { registry };
  const path = (given.path ?? DEFAULT_METRICS_PATH).replace(/\/+$/, '');
  if (!PATH_PATTERN.test(path))
    throw new TypeError(`P2pModule: metrics.path must look like '/metrics' (got ${JSON.stringify(given.path)})`);
  if (!controlCenterOn) {
    if (given.path === undefined) return registry === undefined ? {} : { registry };
    throw new TypeError(
      "P2pModule: metrics.path is served under the control center's token or guard: give `controlCenter` too, or set metrics.path to false",
    );
  }
  return { ...(registry === undefined ? {} : { registry }), path };
}
