import { type BeforeApplicationShutdown, Inject, Injectable } from '@nestjs/common';
import { NodeDrainService } from '../cluster/node-drain.service.js';

/**
 * Whether this node is draining: shutting down, so a load balancer should stop sending it new clients. Readiness
 * fails from then on (P2pHealthIndicator.isReady). Set at the very start of the app's shutdown
 * (`beforeApplicationShutdown`, after `onModuleDestroy`, so only once Nest is closing), or earlier by whoever starts a
 * drain of its own (`startDraining()`, say on SIGTERM before the app is closed).
 */
@Injectable()
export class P2pDrainState implements BeforeApplicationShutdown {
  private draining = false;

  constructor(@Inject(NodeDrainService) private readonly nodeDrain: NodeDrainService) {}

  /** Set here, or by the gateway's own drain (`NodeDrainService`: SIGTERM with shutdown hooks, or `app.close()`). */
  get isDraining(): boolean {
    return this.draining || this.nodeDrain.isDraining;
  }

  startDraining(): void {
    this.draining = true;
  }

  beforeApplicationShutdown(): void {
    this.draining = true;
  }
}
