import { Injectable } from '@nestjs/common';

/**
 * Whether this gateway node is draining: it is shutting down (SIGTERM with `enableShutdownHooks()`, or `app.close()`),
 * admits no new connection, and (a cluster node) hands its clients over to the other nodes. Exported by P2pModule, so
 * a readiness check can fail as soon as the drain starts: `isDraining`.
 */
@Injectable()
export class NodeDrainService {
  private startedAt?: number;

  /** True from the start of the shutdown on. */
  get isDraining(): boolean {
    return this.startedAt !== undefined;
  }

  /** When the drain started (ms since the epoch), or undefined while the node serves. */
  get drainingSince(): number | undefined {
    return this.startedAt;
  }

  /** Marks the node draining. False if it was already. */
  begin(): boolean {
    if (this.startedAt !== undefined) return false;
    this.startedAt = Date.now();
    return true;
  }
}
