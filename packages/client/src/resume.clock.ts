import type { P2pClientManager } from './client-socket.interface.js';
import type { P2pClientState } from './p2p-client.events.js';

/** What the resume clock needs of the pairing state machine. */
export interface ResumeClockHost {
  /** Only a paired client waits for a resume. */
  readonly state: P2pClientState;
  /** The connection is lost while paired: the peer is kept, in state `resuming`. */
  suspend(): void;
  /** No resume (any more): the pairing ends, DISCONNECTED. */
  endResume(): void;
}

/**
 * The resume clock: a lost connection (not one closed on purpose) of a paired client that will reconnect by itself
 * keeps the peer and waits for the server's P2P_SESSION, bounded by `resumeTimeoutMs`; anything else, the timeout,
 * or the manager giving up (`reconnect_failed`) ends the pairing.
 */
export class ResumeClock {
  private resumeTimer?: ReturnType<typeof setTimeout>;

  constructor(
    private readonly manager: Pick<P2pClientManager, 'reconnection'>,
    private readonly resumeTimeoutMs: number,
    private readonly host: ResumeClockHost,
  ) {}

  /** Whether a connection lost for `reason` comes back by itself: not closed on purpose, and reconnection on. */
  willReconnect(reason: string): boolean {
    return reason !== 'io client disconnect' && reason !== 'io server disconnect' && this.manager.reconnection();
  }

  /** The connection is gone: a paired client that will reconnect waits for the resume; anything else ends here. */
  connectionLost(willReconnect: boolean): void {
    if (this.host.state === 'paired' && willReconnect) {
      this.host.suspend();
      clearTimeout(this.resumeTimer);
      this.resumeTimer = setTimeout(() => this.endResume(), this.resumeTimeoutMs);
      return;
    }
    this.endResume();
  }

  readonly onReconnectFailed = (): void => this.endResume();

  /** A session arrived (or the client is disposed): the server's word settles the pairing, not the clock. */
  stop(): void {
    clearTimeout(this.resumeTimer);
    this.resumeTimer = undefined;
  }

  private endResume(): void {
    this.stop();
    this.host.endResume();
  }
}
