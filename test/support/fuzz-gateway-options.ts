import type { P2pModuleOptions } from '../../packages/server/src/index.js';

/**
 * Limits far above anything the fuzz suites send, so a RATE_LIMITED or PAYLOAD_TOO_LARGE never stands in for the
 * answer a property checks. (The limits have suites of their own; the wide-arguments suite keeps the defaults.)
 */
export const GENEROUS_LIMITS: P2pModuleOptions['limits'] = {
  maxMessageBytes: 2_000_000,
  relayMessages: { perSecond: 1_000_000 },
  relayBytes: { perSecond: 1e10 },
  pairRequests: { perSecond: 1_000_000 },
  listRequests: { perSecond: 1_000_000 },
  disconnectAfterViolations: false,
};
