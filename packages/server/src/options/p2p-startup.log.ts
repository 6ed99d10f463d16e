import type { ResolvedP2pOptions } from './p2p-options.resolve.js';
import { InMemoryPairingStore } from '../stores/in-memory-pairing.store.js';

/**
 * The one line P2pModule logs at start-up: where the gateway listens and in which mode it runs (in memory, a store of
 * the app's own, or a cluster node with its id and Redis, password hidden, and the adapter its Redis setup chose), and
 * the control center's path when it is on. Its routes are not logged otherwise: they are only registered when it is on.
 */
export function describeP2pStartup(options: ResolvedP2pOptions, clusterSetup?: { readonly sharded: boolean }): string {
  const where = `namespace '${options.namespace}' on ${options.port === 0 ? "the app's HTTP server" : `port ${options.port}`}`;
  const cluster = options.cluster;
  let mode: string;
  if (cluster) {
    const adapter = (clusterSetup?.sharded ?? cluster.sharded) ? 'sharded' : 'classic';
    mode = `cluster node ${options.nodeId}, Redis ${cluster.redisTarget} (key prefix '${cluster.keyPrefix}', ${adapter} adapter)`;
  } else if (!options.store || options.store instanceof InMemoryPairingStore) {
    mode = `in memory (one process), node ${options.nodeId}`;
  } else {
    mode = `store ${options.store.constructor.name} (given by the app), node ${options.nodeId}`;
  }
  const controlCenter = options.controlCenter ? `; control center at ${options.controlCenter.path}` : '';
  return `P2P gateway on ${where}: ${mode}${controlCenter}`;
}
