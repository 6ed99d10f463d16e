import { type BeforeApplicationShutdown, Injectable } from '@nestjs/common';

/**
 * Whether this node is draining: shutting down, so a load balancer should stop sending it new clients. Readiness
 * fails from then on (P2pHealthIndicator.isReady). Set at the very start of the app's shutdown
 * (`beforeApplicationShutdown`, after `onModuleDestroy`, so only once Nest is closing), or earlier by whoever starts a
 * drain of its own (`startDraining()`, say on SIGTERM before the app is closed).
 */
@Injectable()
export class P2pDrainState implements BeforeApplicationShutdown {
  private draining = false;

  get isDraining(): boolean {
    return this.draining;
  }

  startDraining(): void {
    this.draining = true;
  }

  beforeApplicationShutdown(): void {
    this.draining = true;
  }
}
