import { type CanActivate, type ExecutionContext, Inject, Injectable, NotFoundException } from '@nestjs/common';
import { ControlCenterAccessGuard } from './control-center-access.guard.js';
import { P2P_RESOLVED_OPTIONS } from '../tokens/p2p.constants.js';
import type { ResolvedP2pOptions } from '../options/p2p-options.resolve.js';

/** The metrics route: 404 unless the gateway serves its metrics, then exactly the control center's access rules. */
@Injectable()
export class MetricsAccessGuard implements CanActivate {
  constructor(
    @Inject(P2P_RESOLVED_OPTIONS) private readonly options: ResolvedP2pOptions,
    @Inject(ControlCenterAccessGuard) private readonly controlCenter: ControlCenterAccessGuard,
  ) {}

  canActivate(context: ExecutionContext): Promise<boolean> {
    if (this.options.metrics?.path === undefined) {
      const request = context.switchToHttp().getRequest<{ method?: string; url?: string }>();
      throw new NotFoundException(`Cannot ${request.method} ${request.url}`);
    }
    return this.controlCenter.canActivate(context);
  }
}
