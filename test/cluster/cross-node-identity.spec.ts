import { beforeAll, describe, expect, it } from '@jest/globals';
import { eventually } from '../support/eventually.js';
import { waitFor } from '../support/gateway-harness.js';
import { emitWithAck, expectHealthyPair, pairRaw, refusalOf, watchNothing, whenConnected } from '../support/wire.js';
import type { ClusterNodeProcess } from './support/cluster-node.process.js';
import { NODES_START_TIMEOUT_MS, useCluster } from './support/cluster.js';

describe('cluster: client ids are unique across nodes', () => {
  const cluster = useCluster('identity');
  let node1: ClusterNodeProcess;
  let node2: ClusterNodeProcess;
  beforeAll(async () => {
    [node1, node2] = await Promise.all([cluster.node('node1'), cluster.node('node2')]);
  }, NODES_START_TIMEOUT_MS);

  it('refuses CLIENT_ID_TAKEN on node 2 for an id held on node 1, for original and current clients alike', async () => {
    const [aId] = cluster.ids('A');
    const holder = await cluster.connectV2(node1, aId, 'token-1');
    const original = await refusalOf(cluster.socket(node2, { query: { clientId: aId } }));
    expect(original.data).toEqual({ code: 'CLIENT_ID_TAKEN', message: expect.any(String) });
    const otherSession = await refusalOf(cluster.socket(node2, { auth: { clientId: aId, sessionToken: 'token-2', p2pProtocol: 2 } }));
    expect(otherSession.data).toMatchObject({ code: 'CLIENT_ID_TAKEN' });
    expect(holder.connected).toBe(true);
    await expect(node2.call('getClient', aId)).resolves.toMatchObject({ clientId: aId, state: 'free' });

    // Once the holder is gone (its departure recorded in the shared store, which node 2 reads), node 2 admits the id.
    holder.disconnect();
    await eventually(async () => expect(await node2.call('getClient', aId)).toBeUndefined(), 10_000);
    await expect(whenConnected(cluster.socket(node2, { query: { clientId: aId } }))).resolves.toBeDefined();
  });

  it('lets a new connection with the same session token take the id over from another node, keeping the pairing', async () => {
    const [aId, bId] = cluster.ids('A', 'B');
    const a = await cluster.connectV2(node1, aId, 'token-a');
    const oldB = await cluster.connectV2(node2, bId, 'token-b');
    await pairRaw(a, oldB, bId);
    const noticeAtA = watchNothing([a], 'P2P_DISCONNECT');
    const oldClosed = waitFor(oldB, 'disconnect');

    const session = new Promise((resolve) => {
      const socket = cluster.socket(node1, { auth: { clientId: bId, sessionToken: 'token-b', p2pProtocol: 2 } });
      socket.once('P2P_SESSION', (payload: unknown) => resolve([socket, payload]));
    });
    const [newB, payload] = (await session) as [ReturnType<typeof cluster.socket>, unknown];
    expect(payload).toEqual({ resumed: true, peerId: aId });
    expect(await oldClosed).toEqual(['io server disconnect']);
    for (const node of [node1, node2]) {
      await expect(node.call('peerOf', aId)).resolves.toBe(bId);
      await expect(node.call('peerOf', bId)).resolves.toBe(aId);
    }
    await expectHealthyPair(a, newB, bId);
    await noticeAtA.verify();
    const answer = emitWithAck(newB, 'P2P_EMIT_ACKNOWLEDGE', { event: 'knock', args: [] });
    const [callback] = (await waitFor(a, 'knock')) as [(...args: unknown[]) => void];
    callback('who is there');
    expect(await answer).toEqual([null, 'who is there']);
  });

  it('a takeover of a free id by the same session across nodes closes the old connection', async () => {
    const [cId] = cluster.ids('C');
    const old = await cluster.connectV2(node1, cId, 'token-c');
    const closed = waitFor(old, 'disconnect');
    const fresh = await cluster.connectV2(node2, cId, 'token-c');
    expect(await closed).toEqual(['io server disconnect']);
    expect(fresh.connected).toBe(true);
    await expect(node1.call('getClient', cId)).resolves.toMatchObject({ clientId: cId, state: 'free' });
  });
});
