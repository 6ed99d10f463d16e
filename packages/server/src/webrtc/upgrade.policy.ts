import { Logger } from '@nestjs/common';
import { runBounded } from '../auth/bounded-hook.runner.js';
import type { P2pConnection } from '../connection/p2p-connection.state.js';
import type { ResolvedWebRtcOptions } from '../options/webrtc.options.js';
import { printable } from '../logging/gateway.logger.js';

const logger = new Logger('P2pGateway');

interface Verdict {
  peerId: string;
  allowed: Promise<boolean>;
}

/** The policy's answer for each connection and its current peer; a new peer asks again. Gone with the connection. */
const verdicts = new WeakMap<P2pConnection, Verdict>();

/**
 * Whether `conn` may upgrade its pairing with `peerId` to a direct path: asks `canUpgrade` (bounded by
 * `canUpgradeTimeoutMs`) once per connection and peer, and answers every later call from that verdict. The same
 * promise serves every call, so signals awaiting it keep their order.
 */
export function upgradeAllowed(conn: P2pConnection, peerId: string, webrtc: ResolvedWebRtcOptions): Promise<boolean> {
  const known = verdicts.get(conn);
  if (known?.peerId === peerId) return known.allowed;
  const allowed = webrtc.canUpgrade ? askPolicy(webrtc, conn.clientId, peerId) : Promise.resolve(true);
  verdicts.set(conn, { peerId, allowed });
  return allowed;
}

async function askPolicy({ canUpgrade, canUpgradeTimeoutMs }: ResolvedWebRtcOptions, clientId: string, peerId: string): Promise<boolean> {
  const outcome = await runBounded(() => canUpgrade!({ clientId }, { clientId: peerId }), canUpgradeTimeoutMs);
  if (outcome.ok) return outcome.value === true;
  const why = outcome.timedOut ? `did not answer within ${canUpgradeTimeoutMs} ms` : `threw: ${printable(String(outcome.error))}`;
  logger.warn(`canUpgrade(${clientId}, ${peerId}) ${why}; the upgrade is refused`);
  return false;
}
