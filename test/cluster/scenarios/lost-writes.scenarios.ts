import { beforeAll, expect, it } from '@jest/globals';
import { waitFor } from '../../support/gateway-harness.js';
import { eventually } from '../../support/eventually.js';
import { emitWithAck, expectHealthyPair, listClients, pairRaw } from '../../support/wire.js';
import type { ClusterNodeProcess } from '../support/cluster-node.process.js';
import { NODES_START_TIMEOUT_MS, type TestCluster } from '../support/cluster.js';

/** A node checks its records once a TTL: within a few TTLs a lost record is back. */
const NODE_TTL_MS = 1500;

/** The options of a lost-writes cluster: short TTLs, so the check comes round quickly. */
export const LOST_WRITES_DEFAULTS = { redis: { nodeTtlMs: NODE_TTL_MS } };

/** Deletes a client's record and its index entries, as a failover that lost its registration leaves the store. */
export type LoseRecord = (cluster: TestCluster, clientId: string) => Promise<void>;
const RESTORED_WITHIN_MS = 15_000;

/** Records a Redis failover lost (asynchronous replication) are restored by their node. */
export function lostWritesScenarios(cluster: TestCluster, loseRecord: LoseRecord): void {
  let node1: ClusterNodeProcess;
  let node2: ClusterNodeProcess;
  beforeAll(async () => {
    [node1, node2] = await Promise.all([cluster.node('node1'), cluster.node('node2')]);
  }, NODES_START_TIMEOUT_MS);

  const loseRecordOf = (clientId: string) => loseRecord(cluster, clientId);

  it('a paired client whose record vanished: its node writes it back, paired, and the pair goes on', async () => {
    const [aId, bId] = cluster.ids('A', 'B');
    const [a, b] = await Promise.all([cluster.connectV1(node1, aId), cluster.connectV1(node2, bId)]);
    await pairRaw(a, b, bId);
    await loseRecordOf(aId);
    await expect(node2.call('getClient', aId)).resolves.toBeUndefined();

    await eventually(async () => {
      await expect(node2.call('getClient', aId)).resolves.toMatchObject({ state: 'paired' });
      await expect(node2.call('peerOf', aId)).resolves.toBe(bId);
    }, RESTORED_WITHIN_MS);
    await expectHealthyPair(a, b, bId);
    // The store agrees with both sides again: an unpairing through it reaches B.
    const notice = waitFor(b, 'P2P_DISCONNECT');
    expect(await emitWithAck(a, 'P2P_UNREGISTER')).toEqual([true]);
    expect(await notice).toEqual([aId, 'UNREGISTERED']);
  }, 40_000);

  it('a free client whose record vanished comes back free: listed again and can be asked', async () => {
    const [cId, dId] = cluster.ids('C', 'D');
    const [c, d] = await Promise.all([cluster.connectV1(node1, cId), cluster.connectV1(node2, dId)]);
    await loseRecordOf(cId);
    expect(await listClients(d)).not.toContain(cId);
    await expect(emitWithAck(d, 'P2P_REGISTER', cId)).resolves.toEqual([false, expect.objectContaining({ code: 'TARGET_OFFLINE' })]);
    await eventually(async () => expect(await listClients(d, { available: true })).toContain(cId), RESTORED_WITHIN_MS);
    await pairRaw(d, c, cId);
    await expectHealthyPair(d, c, cId);
  }, 40_000);
}
