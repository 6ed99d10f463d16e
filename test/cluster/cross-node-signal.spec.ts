import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import nodeDataChannel from 'node-datachannel';
import type { Socket } from 'socket.io-client';
import { P2pClient, type RTCPeerConnectionConstructor } from '../../packages/client/src/index.js';
import { settle, waitFor } from '../support/gateway-harness.js';
import { eventually } from '../support/eventually.js';
import { LOOPBACK_CONFIG, LoopbackPeerConnection, until } from '../webrtc/webrtc-support.js';
import { emitWithAck, pairRaw, pairAndRead } from '../support/wire.js';
import type { ClusterNodeProcess } from './support/cluster-node.process.js';
import { NODES_START_TIMEOUT_MS, useCluster } from './support/cluster.js';

const OFFER = { type: 'offer', sdp: 'v=0\r\n' };

describe('cluster: WebRTC signalling and transport reports across nodes', () => {
  const cluster = useCluster('signal', { webrtc: {} });
  let node1: ClusterNodeProcess;
  let node2: ClusterNodeProcess;
  beforeAll(async () => {
    [node1, node2] = await Promise.all([cluster.node('node1'), cluster.node('node2')]);
  }, NODES_START_TIMEOUT_MS);

  const connectV3 = (node: ClusterNodeProcess, clientId: string, webrtc = false): Promise<Socket> =>
    cluster.connectV2(node, clientId, undefined, { auth: { clientId, p2pProtocol: 3, ...(webrtc ? { p2pWebRtc: true } : {}) } });

  afterAll(() => {
    nodeDataChannel.cleanup();
  });

  /** A P2pClient on `node` with webrtc on or off (node-datachannel on 127.0.0.1), connected. */
  async function p2pClient(node: ClusterNodeProcess, clientId: string, webrtc: boolean) {
    const socket = cluster.socket(node, { autoConnect: false });
    const p2p = new P2pClient(socket, {
      clientId,
      webrtc: webrtc && {
        RTCPeerConnection: LoopbackPeerConnection as RTCPeerConnectionConstructor,
        peerConnectionConfig: LOOPBACK_CONFIG,
        backoff: { initialDelayMs: 100, maxDelayMs: 200 },
      },
    });
    const webrtcRequests: string[] = [];
    socket.onAnyOutgoing((event: string) => {
      if (event === 'P2P_SIGNAL' || event === 'P2P_WEBRTC_CONFIG') webrtcRequests.push(event);
    });
    socket.connect();
    await waitFor(socket, 'connect');
    return { p2p, webrtcRequests };
  }

  const signalsOf = async (node: ClusterNodeProcess) => (await node.call<{ signals: number }>('relayStats')).signals;

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
    // A's signals reach B through node 2's channel, B's answer reaches A through node 1's: no order between the two.
    await eventually(() => expect(received.length).toBeGreaterThanOrEqual(2), 10_000);
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

  it('tells each side, across nodes, whether its peer declared WebRTC (only to a side that declared it)', async () => {
    const [aId, bId, cId, dId] = cluster.ids('A', 'B', 'C', 'D');
    const [a, b, c, d] = await Promise.all([
      connectV3(node1, aId, true),
      connectV3(node2, bId, true),
      connectV3(node2, cId, true),
      connectV3(node1, dId),
    ]);
    expect(await pairAndRead(a, b, bId)).toEqual({
      toSource: { peerProtocol: 3, peerWebRtc: true },
      toTarget: { peerProtocol: 3, peerWebRtc: true },
    });
    // The source on node 2 this time, its target (which never declared it) on node 1.
    expect(await pairAndRead(c, d, dId)).toEqual({ toSource: { peerProtocol: 3, peerWebRtc: false }, toTarget: { peerProtocol: 3 } });
  });

  it('P2pClients on two nodes: one side on, nothing is tried; both on, the pairing upgrades', async () => {
    const [aId, bId, cId, dId] = cluster.ids('A', 'B', 'C', 'D');
    const signalsBefore = (await signalsOf(node1)) + (await signalsOf(node2));
    const alice = await p2pClient(node1, aId, true);
    const bob = await p2pClient(node2, bId, false);
    const got: number[] = [];
    bob.p2p.socket.on('n', (n: number) => got.push(n));
    await alice.p2p.pair(bId);
    for (let n = 1; n <= 10; n++) alice.p2p.emit('n', n);
    await until(() => got.length === 10, 'the messages over the relay');
    // Long enough for several attempts at this backoff (100 to 200 ms), had any been started.
    await settle(1_500);
    expect(alice.webrtcRequests).toEqual([]);
    expect(bob.webrtcRequests).toEqual([]);
    expect((await signalsOf(node1)) + (await signalsOf(node2))).toBe(signalsBefore);

    const carol = await p2pClient(node1, cId, true);
    const dave = await p2pClient(node2, dId, true);
    await carol.p2p.pair(dId);
    await until(() => carol.p2p.transport === 'direct' && dave.p2p.transport === 'direct', 'both sides direct', 30_000);
    expect((await signalsOf(node1)) + (await signalsOf(node2))).toBeGreaterThan(signalsBefore);
    for (const client of [alice, bob, carol, dave]) client.p2p.dispose();
  });
});
