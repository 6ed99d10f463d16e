import { Controller, Get, Inject } from '@nestjs/common';
import { HealthCheck, HealthCheckService } from '@nestjs/terminus';
import { P2pHealthIndicator } from '../packages/server/src/health/index.js';

/**
 * Probes for a load balancer or Kubernetes: `/health` (liveness: the store answers within a second and, on a cluster
 * node, this node is registered alive) and `/ready` (readiness: the same, and the node is not draining).
 */
@Controller()
export class HealthController {
  constructor(
    @Inject(HealthCheckService) private readonly health: HealthCheckService,
    @Inject(P2pHealthIndicator) private readonly p2p: P2pHealthIndicator,
  ) {}

  @Get('health')
  @HealthCheck()
  live() {
    return this.health.check([() => this.p2p.isHealthy('p2p')]);
  }

  @Get('ready')
  @HealthCheck()
  ready() {
    return this.health.check([() => this.p2p.isReady('p2p')]);
  }
}
