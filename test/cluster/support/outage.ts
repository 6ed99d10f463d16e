import { expect } from '@jest/globals';
import type { Socket } from 'socket.io-client';
import { eventually } from '../../support/eventually.js';
import { type ConnectError, refusalOf, whenConnected } from '../../support/wire.js';
import type { ClusterNodeProcess } from './cluster-node.process.js';
import type { TestCluster } from './cluster.js';

/** Fails, with the node's last output, if any of `nodes` is no longer running (it crashed). */
export async function expectRunning(...nodes: ClusterNodeProcess[]): Promise<void> {
  await Promise.all(nodes.map((node) => node.expectRunning()));
}

/** Until `node` refuses a newcomer with `code` (it noticed Redis is away); resolves with the refusal. */
export function refusedWith(cluster: TestCluster, node: ClusterNodeProcess, code: string): Promise<ConnectError> {
  return eventually(
    async () => {
      const refusal = await refusalOf(cluster.socket(node, { query: { clientId: `probe-${Date.now()}` } }));
      expect(refusal.data).toMatchObject({ code });
      return refusal;
    },
    5000,
    100,
  );
}

/** Until `node` admits `clientId` (its store reaches Redis again); resolves with the connected socket. */
export function admitted(cluster: TestCluster, node: ClusterNodeProcess, clientId: string): Promise<Socket> {
  return eventually(() => whenConnected(cluster.socket(node, { query: { clientId } }), 2000), 10_000, 200);
}
