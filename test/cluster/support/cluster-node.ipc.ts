import type { P2pLifecycleEvent } from '../../../packages/server/src/index.js';

/** test -> node */
export type NodeRequest = { type: 'call'; id: number; method: string; args: unknown[] } | { type: 'close' };

/** node -> test */
export type NodeReply =
  | { type: 'ready'; port: number }
  | { type: 'event'; event: P2pLifecycleEvent }
  | { type: 'reply'; id: number; value?: unknown; error?: string };
