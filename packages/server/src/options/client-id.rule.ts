import type { ResolvedP2pOptions } from './p2p-options.resolve.js';

/** The part of the options that says what a valid clientId looks like. */
export type ClientIdRule = Pick<ResolvedP2pOptions, 'clientIdMaxLength' | 'clientIdPattern'>;

/**
 * The one clientId rule, for every place a clientId comes from outside: a connection's handshake, the target of a
 * `P2P_REGISTER`, a control center request. Says what is wrong with `value` (to follow "clientId ..."), or undefined
 * when it is a valid clientId. The length is checked first, so the pattern never runs over a huge string.
 */
export function clientIdProblem(value: unknown, rule: ClientIdRule): string | undefined {
  if (typeof value !== 'string' || value.length === 0) return 'must be a non-empty string';
  if (value.length > rule.clientIdMaxLength) return `is longer than ${rule.clientIdMaxLength} characters`;
  // A pattern with the g or y flag would carry lastIndex from one test to the next.
  rule.clientIdPattern.lastIndex = 0;
  if (!rule.clientIdPattern.test(value)) return `must match ${rule.clientIdPattern}`;
  return undefined;
}
