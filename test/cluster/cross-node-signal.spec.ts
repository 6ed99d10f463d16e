import { beforeAll, describe, expect, it } from '@jest/globals';
import type { Socket } from 'socket.io-client';
import { settle, waitFor } from '../support/gateway-harness.js';
import { emitWithAck, pairRaw } from '../support/wire.js';
import type { ClusterNodeProcess } from './support/cluster-node.process.js';
import { useCluster } from './support/cluster.js';

const OFFER = { type: 'offer', sdp: 'v=0\r\n' };

describe('cluster: WebRTC signalling and transport reports across nodes', () => {
  const cluster = useCluster('signal', { webrtc: {} });
  let node1: ClusterNodeProcess;
  let node2: ClusterNodeProcess;
  beforeAll(async () => {
    [node1, node2] = await Promise.all([cluster.node('node1'), cluster.node('node2')]);
  });

  const connectV3 = (node: ClusterNodeProcess, clientId: string): Promise<Socket> =>
    cluster.connectV2(node, clientId, undefined, { auth: { clientId, p2pProtocol: 3 } });

  it('passes P2P_SIGNAL from A on node 1 to its peer B on node 2 only, in order; the transport shows on both nodes', async () => {
    const [aId, bId, cId] = cluster.ids('A', 'B', 'C');
    const [a, b, c] = await Promise.all([connectV3(node1, aId), connectV3(node2, bId), connectV3(node2, cId)]);
    await pairRaw(a, b, bId);
    const toC: unknown[] = [];
    c.on('P2P_SIGNAL', (signal: unknown) => toC.push(signal));
    const received: unknown[] = [];
    b.on('P2P_SIGNAL', (signal: unknown) => received.push(signal));
    expect(await emitWithAck(a, 'P2P_SIGNAL', { ...OFFER, targetClientId: bId })).toEqual([null]);
    expect(await emitWithAck(a, 'P2P_SIGNAL', { type: 'bye' })).toEqual([null]);
    const answered = waitFor(a, 'P2P_SIGNAL');
    expect(await emitWithAck(b, 'P2P_SIGNAL', { type: 'answer', sdp: 'v=0\r\n' })).toEqual([null]);
    expect(await answered).toEqual([{ type: 'answer', sdp: 'v=0\r\n', sourceClientId: bId }]);
    expect(received).toEqual([
      { ...OFFER, sourceClientId: aId },
      { type: 'bye', sourceClientId: aId },
    ]);
    // C, on B's node, reaches nobody.
    expect((await emitWithAck(c, 'P2P_SIGNAL', { ...OFFER, targetClientId: aId }))[0]).toMatchObject({ code: 'NOT_PAIRED' });

    expect(await emitWithAck(a, 'P2P_TRANSPORT', { transport: 'direct' })).toEqual([null]);
    expect(await emitWithAck(b, 'P2P_TRANSPORT', { transport: 'direct' })).toEqual([null]);
    for (const node of [node1, node2]) {
      const pairings = await node.call<{ clientIds: string[]; transport: string }[]>('listPairings');
      expect(pairings.find((pairing) => pairing.clientIds.includes(aId))?.transport).toBe('direct');
    }
    await settle(100);
    expect(toC).toEqual([]);
    await expect(node1.call('relayStats')).resolves.toEqual({ relayedMessages: 0, signals: 2 });
  });
});
