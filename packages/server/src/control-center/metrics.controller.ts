import { Controller, Get, Inject, NotFoundException, Res, type Type, UseGuards } from '@nestjs/common';
import { PATH_METADATA } from '@nestjs/common/constants.js';
import { DEFAULT_CONTROL_CENTER_PATH } from '../options/control-center.options.js';
import { P2P_RESOLVED_OPTIONS } from '../tokens/p2p.constants.js';
import type { ResolvedP2pOptions } from '../options/p2p-options.resolve.js';
import { MetricsAccessGuard } from './metrics-access.guard.js';
import { P2pMetricsService } from '../metrics/p2p-metrics.service.js';

interface HeaderSetter {
  setHeader?: (name: string, value: string) => void;
  header?: (name: string, value: string) => void;
}

/** `GET <metrics.path>`: the registry in Prometheus text format. */
export class MetricsControllerBase {
  constructor(
    @Inject(P2P_RESOLVED_OPTIONS) options: ResolvedP2pOptions,
    @Inject(P2pMetricsService) private readonly metrics: P2pMetricsService,
  ) {
    // As the control center's: the path comes from the resolved options. While the gateway does not serve its metrics
    // the route sits under the control center's path (and answers 404), so it never shadows a `/metrics` of the app.
    const path = options.metrics?.path ?? `${options.controlCenter?.path ?? DEFAULT_CONTROL_CENTER_PATH}/metrics`;
    Reflect.defineMetadata(PATH_METADATA, path, this.constructor);
  }

  @Get()
  async scrape(@Res({ passthrough: true }) response: HeaderSetter): Promise<string> {
    const text = await this.metrics.prometheusText();
    if (!text) throw new NotFoundException();
    const set = (name: string, value: string) =>
      typeof response.setHeader === 'function' ? response.setHeader(name, value) : response.header?.(name, value);
    set('Content-Type', text.contentType);
    set('Cache-Control', 'no-store');
    return text.body;
  }
}

/** A controller class per module instance, so each sets its own path. */
export function createMetricsControllerClass(): Type<MetricsControllerBase> {
  @Controller()
  @UseGuards(MetricsAccessGuard)
  class P2pMetricsController extends MetricsControllerBase {}
  return P2pMetricsController;
}
