import type { Cluster, Redis } from 'ioredis';
import { DETACH, REGISTER, REMOVE, RESTORE, TRANSPORT } from './clients.lua.js';
import { FORGET, HEARTBEAT, SWEEP } from './nodes.lua.js';
import { PREAMBLE } from './preamble.lua.js';
import { COUNTS, LIST, PAGE, PAIRED } from './reads.lua.js';
import { CANCEL, CONFIRM, RESERVE, UNPAIR } from './requests.lua.js';

const BODIES = {
  register: REGISTER,
  detach: DETACH,
  remove: REMOVE,
  reserve: RESERVE,
  confirm: CONFIRM,
  cancel: CANCEL,
  unpair: UNPAIR,
  transport: TRANSPORT,
  restore: RESTORE,
  heartbeat: HEARTBEAT,
  sweep: SWEEP,
  forget: FORGET,
  list: LIST,
  page: PAGE,
  paired: PAIRED,
  counts: COUNTS,
} as const;

export type ScriptName = keyof typeof BODIES;

/** The full Lua text of every script: the shared preamble, then its body. */
export const SCRIPTS: Readonly<Record<ScriptName, string>> = Object.fromEntries(
  Object.entries(BODIES).map(([name, body]) => [name, PREAMBLE + body]),
) as Record<ScriptName, string>;

/** The method name a script gets on the client; namespaced, as the client may be shared with other code. */
export function commandName(script: ScriptName): string {
  return `p2pStore_${script}`;
}

/**
 * Defines every script on the client (ioredis `defineCommand`: EVALSHA, falling back to EVAL when Redis lost the
 * script, e.g. after SCRIPT FLUSH or a restart). The texts are the same for every store, so defining them again on a
 * client shared by several stores changes nothing.
 */
export function defineScripts(redis: Redis | Cluster): void {
  for (const script of Object.keys(SCRIPTS) as ScriptName[]) {
    redis.defineCommand(commandName(script), { numberOfKeys: 1, lua: SCRIPTS[script] });
  }
}
