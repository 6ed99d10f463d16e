import type { RemovedClient } from '../pairing-store.interface.js';
import type { ClientTransaction } from './client.transaction.js';
import { removeOfNode } from './sharded-pairing.operations.js';

/** What the node sweep needs of the store. */
export interface NodeSweepHost {
  nodeClients(nodeId: string): Promise<string[]>;
  transact<T>(operation: string, body: (tx: ClientTransaction) => Promise<T>): Promise<T>;
}

/**
 * Removes the clients whose record names `nodeId`, `batch` transactions at a time, appending each removal to
 * `removals` (a client another sweeper removed first is not reported again). With `now`, clients held for reconnect
 * grace past `now` stay. True when none of the node's clients is left.
 */
export async function removeNodeClients(
  host: NodeSweepHost,
  nodeId: string,
  now: number | undefined,
  removals: RemovedClient[],
  batch: number,
): Promise<boolean> {
  const ids = await host.nodeClients(nodeId);
  let kept = 0;
  for (let start = 0; start < ids.length; start += batch) {
    const outcomes = await Promise.all(
      ids.slice(start, start + batch).map((id) => host.transact('sweepDeadNodes', (tx) => removeOfNode(tx, id, nodeId, now))),
    );
    for (const outcome of outcomes) {
      if (outcome === 'kept') kept++;
      else if (outcome) removals.push(outcome);
    }
  }
  return kept === 0;
}
