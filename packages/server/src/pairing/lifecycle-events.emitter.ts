import { Subject } from 'rxjs';
import type { P2pLifecycleEvent } from './p2p-lifecycle.event.js';

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

/** An event as its call site builds it; `at` is added when it is emitted. */
export type LifecycleEventDraft = DistributiveOmit<P2pLifecycleEvent, 'at'>;

/** The engine's lifecycle events (`PairingService.events$`, the metrics, the control center). */
export class LifecycleEvents {
  readonly subject = new Subject<P2pLifecycleEvent>();

  /**
   * Whether anyone follows them. Nobody (the common case without metrics or a control center): call sites check this
   * first and skip building their event, so the pairing hot path allocates nothing for them.
   */
  get watched(): boolean {
    return this.subject.observed;
  }

  emit(event: LifecycleEventDraft): void {
    this.subject.next({ ...event, at: Date.now() } as P2pLifecycleEvent);
  }

  complete(): void {
    this.subject.complete();
  }
}
