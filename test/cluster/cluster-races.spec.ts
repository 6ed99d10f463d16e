import { beforeAll, describe, expect, it } from '@jest/globals';
import type { Socket } from 'socket.io-client';
import { emitWithAck, expectHealthyPair } from '../support/wire.js';
import type { ClusterNodeProcess } from './support/cluster-node.process.js';
import { NODES_START_TIMEOUT_MS, useCluster } from './support/cluster.js';

const SOURCES = 100;

describe('cluster: races decided atomically in Redis', () => {
  const cluster = useCluster('races', { limits: { pairRequests: false } });
  let nodes: ClusterNodeProcess[];
  beforeAll(async () => {
    nodes = await Promise.all([cluster.node('node1'), cluster.node('node2'), cluster.node('node3')]);
  }, NODES_START_TIMEOUT_MS);

  /** `count` original clients spread round-robin over the nodes, connected. */
  async function sourcesOverNodes(prefix: string, count: number): Promise<{ ids: string[]; sockets: Socket[] }> {
    const ids = Array.from({ length: count }, (_, i) => `${prefix}-${i}`);
    const sockets = await Promise.all(ids.map((id, i) => cluster.connectV1(nodes[i % nodes.length]!, id)));
    return { ids, sockets };
  }

  it(`gives exactly one of ${SOURCES} simultaneous requests, spread over 3 nodes, the target`, async () => {
    const [targetId, prefix] = cluster.ids('T', 'S');
    const target = await cluster.connectV1(nodes[0]!, targetId);
    let asked = 0;
    target.on('P2P_REGISTER', (sourceId: string) => {
      asked++;
      target.emit('P2P_REGISTER_SUCCESS', sourceId);
    });
    const { ids, sockets } = await sourcesOverNodes(prefix, SOURCES);
    const answers = await Promise.all(sockets.map((socket) => emitWithAck(socket, 'P2P_REGISTER', targetId)));

    const winners = answers.flatMap((answer, i) => (answer[0] === true ? [i] : []));
    expect(winners).toHaveLength(1);
    expect(asked).toBe(1);
    for (const [i, answer] of answers.entries()) {
      if (i !== winners[0]) expect(answer).toEqual([false, expect.objectContaining({ code: 'TARGET_BUSY' })]);
    }
    const winnerId = ids[winners[0]!]!;
    for (const node of nodes) await expect(node.call('peerOf', targetId)).resolves.toBe(winnerId);
    const pairings = await nodes[1]!.call<{ clientIds: string[] }[]>('listPairings');
    expect(pairings).toEqual([{ clientIds: expect.arrayContaining([targetId, winnerId]), since: expect.anything(), transport: 'relay' }]);
    await expect(nodes[2]!.call('counts')).resolves.toEqual({ clients: SOURCES + 1, pairings: 1, pendingRequests: 0 });
    await expectHealthyPair(sockets[winners[0]!]!, target, targetId);
  });

  it('a target leaving while being asked from other nodes: the one asking source gets PEER_DISCONNECTED', async () => {
    const [targetId, prefix] = cluster.ids('T', 'S');
    const target = await cluster.connectV1(nodes[0]!, targetId);
    // Drops as soon as someone asks it: the one open request loses its target mid-way, on another node.
    target.on('P2P_REGISTER', () => target.disconnect());
    const { sockets } = await sourcesOverNodes(prefix, 9);
    const answers = await Promise.all(sockets.map((socket) => emitWithAck(socket, 'P2P_REGISTER', targetId)));

    const codes = answers.map(([ok, error]) => (ok === false ? (error as { code: string }).code : 'PAIRED'));
    expect(codes.filter((code) => code === 'PEER_DISCONNECTED')).toHaveLength(1);
    for (const code of codes) expect(['PEER_DISCONNECTED', 'TARGET_BUSY', 'TARGET_OFFLINE']).toContain(code);
    await expect(nodes[1]!.call('counts')).resolves.toEqual({ clients: 9, pairings: 0, pendingRequests: 0 });
    // Nobody was left half-reserved: two sources on different nodes pair at once.
    const [first, second] = sockets as [Socket, Socket];
    second.once('P2P_REGISTER', (sourceId: string) => second.emit('P2P_REGISTER_SUCCESS', sourceId));
    expect(await emitWithAck(first, 'P2P_REGISTER', `${prefix}-1`)).toEqual([true]);
  });

  it('the source leaving while its target on another node is asked: the target gets P2P_DISCONNECT and its consent finds no request', async () => {
    const [aId, bId] = cluster.ids('A', 'B');
    const [a, b] = await Promise.all([cluster.connectV1(nodes[0]!, aId), cluster.connectV1(nodes[1]!, bId)]);
    const asked = new Promise((resolve) => b.once('P2P_REGISTER', resolve));
    a.emit('P2P_REGISTER', bId, () => undefined);
    await asked;
    const notice = new Promise((resolve) => b.once('P2P_DISCONNECT', (...args: unknown[]) => resolve(args)));
    a.disconnect();
    expect(await notice).toEqual([aId, 'DISCONNECTED']);
    expect(await emitWithAck(b, 'P2P_REGISTER_SUCCESS', aId)).toEqual([false, expect.objectContaining({ code: 'NO_PENDING_REQUEST' })]);
    await expect(nodes[2]!.call('getClient', bId)).resolves.toMatchObject({ state: 'free' });
  });

  it('two clients on different nodes asking each other at once: at most one request opens, never a half pairing', async () => {
    for (let round = 0; round < 10; round++) {
      const [aId, bId] = [`${cluster.ids('A')[0]}-${round}`, `${cluster.ids('B')[0]}-${round}`];
      const [a, b] = await Promise.all([cluster.connectV1(nodes[0]!, aId), cluster.connectV1(nodes[1]!, bId)]);
      for (const socket of [a, b]) socket.on('P2P_REGISTER', (sourceId: string) => socket.emit('P2P_REGISTER_SUCCESS', sourceId));
      const [fromA, fromB] = await Promise.all([emitWithAck(a, 'P2P_REGISTER', bId), emitWithAck(b, 'P2P_REGISTER', aId)]);
      const successes = [fromA, fromB].filter(([ok]) => ok === true);
      expect(successes.length).toBeLessThanOrEqual(1);
      const [stateA, stateB] = await Promise.all([
        nodes[2]!.call<{ state: string }>('getClient', aId),
        nodes[2]!.call<{ state: string }>('getClient', bId),
      ]);
      expect(stateA.state).toBe(stateB.state);
      expect(['paired', 'free']).toContain(stateA.state);
      expect(stateA.state === 'paired').toBe(successes.length === 1);
      a.disconnect();
      b.disconnect();
    }
  });
});
