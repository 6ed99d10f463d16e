import { beforeAll, expect, it } from '@jest/globals';
import type { Socket } from 'socket.io-client';
import { P2pClient } from '../../../packages/client/src/index.js';
import { CROSSING_BATCH, crossP2pClients, crossRawSockets, inBatches } from '../../support/crossing-trials.js';
import { waitFor } from '../../support/gateway-harness.js';
import { emitWithAck, expectHealthyPair } from '../../support/wire.js';
import type { ClusterNodeProcess } from '../support/cluster-node.process.js';
import { NODES_START_TIMEOUT_MS, type TestCluster } from '../support/cluster.js';

const SOURCES = 100;
const TRIALS = 200;

/**
 * Races decided atomically in the store, over three gateway nodes: 100 simultaneous requests for one target, a target
 * or source leaving mid-request, and crossing requests. Registered in the calling describe block, on `cluster`'s backend;
 * its nodes need `limits: { pairRequests: false }`.
 */
export function clusterRaceScenarios(cluster: TestCluster): void {
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

  /** After crossing trials: every pair paired in the store as seen from a third node, nothing pending, nobody refused. */
  async function expectAllPaired(pairs: [string, string][]): Promise<void> {
    for (const [aId, bId] of pairs) {
      await expect(nodes[2]!.call('peerOf', aId)).resolves.toBe(bId);
      await expect(nodes[2]!.call('peerOf', bId)).resolves.toBe(aId);
    }
    await expect(nodes[2]!.call('counts')).resolves.toMatchObject({ pairings: pairs.length, pendingRequests: 0 });
    const ids = new Set(pairs.flat());
    const events = nodes.flatMap((node) => node.events).filter((event) => 'sourceId' in event && ids.has(event.sourceId));
    const count = (type: string) => events.filter((event) => event.type === type).length;
    expect({ requested: count('pair-requested'), paired: count('paired'), refused: count('pair-refused') }).toEqual({
      requested: pairs.length,
      paired: pairs.length,
      refused: 0,
    });
  }

  it(`two original clients on different nodes asking each other at once pair in ${TRIALS} of ${TRIALS} trials`, async () => {
    const [prefixA, prefixB] = cluster.ids('A', 'B');
    const pairs: [string, string][] = [];
    const started = Date.now();
    const passed = await inBatches(TRIALS, CROSSING_BATCH, async (i) => {
      const [aId, bId] = [`${prefixA}-${i}`, `${prefixB}-${i}`];
      const [a, b] = await Promise.all([cluster.connectV1(nodes[0]!, aId), cluster.connectV1(nodes[1]!, bId)]);
      await crossRawSockets(a, aId, b, bId);
      pairs.push([aId, bId]);
    });
    expect(passed).toBe(TRIALS);
    await expectAllPaired(pairs);
    process.stdout.write(`crossing protocol 1 sockets, two nodes: ${passed}/${TRIALS} in ${Date.now() - started} ms\n`);
  });

  it(`two P2pClients on different nodes asking each other at once pair in ${TRIALS} of ${TRIALS} trials`, async () => {
    const [prefixA, prefixB] = cluster.ids('A', 'B');
    const pairs: [string, string][] = [];
    const started = Date.now();
    const passed = await inBatches(TRIALS, CROSSING_BATCH, async (i) => {
      const [aId, bId] = [`${prefixA}-${i}`, `${prefixB}-${i}`];
      const [a, b] = await Promise.all([p2pClient(nodes[0]!, aId), p2pClient(nodes[1]!, bId)]);
      await crossP2pClients(a, aId, b, bId);
      pairs.push([aId, bId]);
    });
    expect(passed).toBe(TRIALS);
    await expectAllPaired(pairs);
    process.stdout.write(`crossing P2pClients, two nodes: ${passed}/${TRIALS} in ${Date.now() - started} ms\n`);
  });

  /** A P2pClient connected to `node`; its socket is closed after the test. */
  async function p2pClient(node: ClusterNodeProcess, clientId: string): Promise<P2pClient<Socket>> {
    const socket = cluster.socket(node, { autoConnect: false });
    const client = new P2pClient(socket, { clientId, consent: () => false });
    const up = waitFor(socket, 'connect', 15_000);
    socket.connect();
    await up;
    return client;
  }
}
