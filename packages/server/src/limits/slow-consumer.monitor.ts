import type { Socket } from 'socket.io';
import { outboundBytes } from './outbound-backlog.measure.js';

/**
 * Bounds what the gateway buffers for a connection that does not read (a slow consumer): relays to a connection over
 * `maxBytes` are refused (PEER_SLOW, to their senders) instead of piling up in the server's memory, and a connection
 * still over the bound `timeoutMs` after a refusal is handed to `onStuck` (closed, its peer told SLOW_CONSUMER).
 */
export class SlowConsumerMonitor {
  /** Connections found over the bound, with the timer that looks at them again. */
  private readonly suspects = new Map<string, ReturnType<typeof setTimeout>>();

  constructor(
    private readonly maxBytes: number,
    private readonly timeoutMs: number | undefined,
    private readonly onStuck: (socket: Socket) => void,
  ) {}

  /** True when `target` holds more than the bound: a relay to it must be refused with PEER_SLOW. */
  isSlow(target: Socket): boolean {
    if (outboundBytes(target) <= this.maxBytes) return false;
    if (this.timeoutMs !== undefined && !this.suspects.has(target.id)) {
      const timer = setTimeout(() => {
        this.suspects.delete(target.id);
        if (target.connected && outboundBytes(target) > this.maxBytes) this.onStuck(target);
      }, this.timeoutMs);
      timer.unref?.();
      this.suspects.set(target.id, timer);
    }
    return true;
  }

  /** The connection closed: nothing more to watch. */
  forget(connectionId: string): void {
    const timer = this.suspects.get(connectionId);
    if (timer === undefined) return;
    clearTimeout(timer);
    this.suspects.delete(connectionId);
  }

  close(): void {
    for (const timer of this.suspects.values()) clearTimeout(timer);
    this.suspects.clear();
  }
}
