import { beforeAll, describe, expect, it } from '@jest/globals';
import { waitFor } from '../support/gateway-harness.js';
import { expectHealthyPair, nextP2pError, pairRaw } from '../support/wire.js';
import type { ClusterNodeProcess } from './support/cluster-node.process.js';
import { NODES_START_TIMEOUT_MS, useCluster } from './support/cluster.js';

interface ClientInfo {
  clientId: string;
  peerId?: string;
  state: string;
  protocolVersion: number;
}

describe('cluster: PairingService of one node sees and acts on every node', () => {
  const cluster = useCluster('service');
  let node1: ClusterNodeProcess;
  let node2: ClusterNodeProcess;
  beforeAll(async () => {
    [node1, node2] = await Promise.all([cluster.node('node1'), cluster.node('node2')]);
  }, NODES_START_TIMEOUT_MS);

  it('lists the clients and pairings of node 2 on node 1, with their states and peers', async () => {
    const [aId, bId, cId, dId] = cluster.ids('A', 'B', 'C', 'D');
    const [a, b, c, d] = await Promise.all([
      cluster.connectV1(node1, aId),
      cluster.connectV2(node2, bId),
      cluster.connectV1(node2, cId),
      cluster.connectV1(node2, dId),
    ]);
    await pairRaw(a, b, bId);
    await pairRaw(c, d, dId);
    const mine = (infos: ClientInfo[]) =>
      infos.filter((info) => [aId, bId, cId, dId].includes(info.clientId)).sort((x, y) => x.clientId.localeCompare(y.clientId));

    const clients = mine(await node1.call<ClientInfo[]>('listClients'));
    expect(clients.map(({ clientId, peerId, state, protocolVersion }) => ({ clientId, peerId, state, protocolVersion }))).toEqual([
      { clientId: aId, peerId: bId, state: 'paired', protocolVersion: 1 },
      { clientId: bId, peerId: aId, state: 'paired', protocolVersion: 2 },
      { clientId: cId, peerId: dId, state: 'paired', protocolVersion: 1 },
      { clientId: dId, peerId: cId, state: 'paired', protocolVersion: 1 },
    ]);
    await expect(node1.call('getClient', dId)).resolves.toMatchObject({ clientId: dId, peerId: cId, state: 'paired' });
    await expect(node1.call('peerOf', cId)).resolves.toBe(dId);
    const pairings = await node1.call<{ clientIds: string[] }[]>('listPairings');
    const pairsOfThisTest = pairings.map((p) => [...p.clientIds].sort()).filter(([first]) => first === aId || first === cId);
    expect(pairsOfThisTest.sort()).toEqual([
      [aId, bId],
      [cId, dId],
    ]);
    const counts = await node1.call<{ clients: number; pairings: number }>('counts');
    expect(counts.clients).toBeGreaterThanOrEqual(4);
    expect(counts.pairings).toBeGreaterThanOrEqual(2);
  });

  it('unpair on node 1 of a pair held by node 2: both get P2P_DISCONNECT with the reason, relays stop', async () => {
    const [cId, dId] = cluster.ids('C', 'D');
    const [c, d] = await Promise.all([cluster.connectV1(node2, cId), cluster.connectV1(node2, dId)]);
    await pairRaw(c, d, dId);
    const atC = waitFor(c, 'P2P_DISCONNECT');
    const atD = waitFor(d, 'P2P_DISCONNECT');
    await expect(node1.call('unpair', cId, 'MAINTENANCE')).resolves.toBe(true);
    expect(await atC).toEqual([dId, 'MAINTENANCE']);
    expect(await atD).toEqual([cId, 'MAINTENANCE']);
    const refused = nextP2pError(c);
    c.emit('P2P_EMIT', { event: 'chat', args: [] });
    expect(await refused).toMatchObject({ code: 'NOT_PAIRED' });
    await expect(node1.call('unpair', cId)).resolves.toBe(false);
  });

  it('disconnect on node 1 of a client held by node 2: its connection closes, its peer on node 1 is told', async () => {
    const [aId, bId] = cluster.ids('A', 'B');
    const [a, b] = await Promise.all([cluster.connectV1(node1, aId), cluster.connectV1(node2, bId)]);
    await pairRaw(a, b, bId);
    const notice = waitFor(a, 'P2P_DISCONNECT');
    const closed = waitFor(b, 'disconnect');
    await expect(node1.call('disconnect', bId, 'KICKED')).resolves.toBe(true);
    expect(await notice).toEqual([bId, 'KICKED']);
    expect(await closed).toEqual(['io server disconnect']);
    await expect(node2.call('getClient', bId)).resolves.toBeUndefined();
    await expect(node1.call('getClient', aId)).resolves.toMatchObject({ state: 'free' });
  });

  it("each node's events$ reports what happened on it: the pairing on the target's node, the request on the source's", async () => {
    const [aId, bId] = cluster.ids('A', 'B');
    const [a, b] = await Promise.all([cluster.connectV1(node1, aId), cluster.connectV1(node2, bId)]);
    await pairRaw(a, b, bId);
    await expectHealthyPair(a, b, bId);
    const typesOn = (node: ClusterNodeProcess) =>
      node.events.filter((e) => ('sourceId' in e && e.sourceId === aId) || ('clientId' in e && e.clientId === bId)).map((e) => e.type);
    expect(typesOn(node1)).toEqual(['pair-requested', 'paired']);
    expect(typesOn(node2)).toEqual(['connected']);
  });
});
