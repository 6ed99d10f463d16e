import { afterEach, describe, expect, it } from '@jest/globals';
import { io } from 'socket.io-client';
import { P2pClient } from '../../packages/client/src/index.js';
import { eventually } from '../support/eventually.js';
import { settle, waitFor } from '../support/gateway-harness.js';
import { recordStream, sequence } from '../support/network-cut.js';
import { pairRaw } from '../support/wire.js';
import type { ClusterNodeProcess } from './support/cluster-node.process.js';
import { useCluster } from './support/cluster.js';
import { TcpBalancer } from './support/tcp-balancer.js';

/** Long enough for a reconnection through the balancer on a loaded machine. */
const GRACE_MS = 15_000;

describe('cluster: a node drains on SIGTERM', () => {
  const cluster = useCluster('drain', { reconnectGraceMs: GRACE_MS, ackTimeoutMs: 5000, redis: { nodeTtlMs: 1500 } });
  const balancers: TcpBalancer[] = [];
  const clients: P2pClient[] = [];
  afterEach(async () => {
    for (const client of clients.splice(0)) {
      client.dispose();
      client.socket.disconnect();
    }
    await Promise.all(balancers.splice(0).map((balancer) => balancer.stop()));
    await cluster.killAll();
  });

  async function balancer(...nodes: ClusterNodeProcess[]): Promise<TcpBalancer> {
    const started = await new TcpBalancer().start(nodes.map((node) => node.port));
    balancers.push(started);
    return started;
  }

  /** A P2pClient (with a session) on `url`, connected, answering `question` with `n + 1`; its `unpaired` are counted. */
  async function p2pClient(url: string, clientId: string): Promise<P2pClient & { id: string; unpairedCount: () => number }> {
    const socket = io(url, {
      transports: ['websocket'],
      autoConnect: false,
      forceNew: true,
      reconnectionDelay: 100,
      reconnectionDelayMax: 1000,
    });
    const client = new P2pClient(socket, { clientId });
    clients.push(client);
    let unpaired = 0;
    client.on('unpaired', () => unpaired++);
    client.on('error', () => undefined);
    socket.on('question', (n: number, reply: (answer: number) => void) => reply(n + 1));
    const up = waitFor(socket, 'connect', 15_000);
    socket.connect();
    await up;
    return Object.assign(client, { id: clientId, unpairedCount: () => unpaired });
  }

  it('its P2pClients resume their pairings on another node through the balancer; their peers are told nothing', async () => {
    const [node1, node2] = await Promise.all([cluster.node('node1'), cluster.node('node2')]);
    const lb = await balancer(node2);
    const [aId, bId] = cluster.ids('A', 'B');
    const a = await p2pClient(node1.url, aId);
    const b = await p2pClient(lb.url, bId);
    await a.pair(bId);
    await eventually(() => expect(b.state).toBe('paired'), 5000);
    const aNotices: unknown[][] = [];
    a.socket.on('P2P_DISCONNECT', (...args: unknown[]) => aNotices.push(args));

    // The balancer takes node 2 out (its readiness fails as the drain starts); node 2 gets SIGTERM.
    lb.setBackends([node1.port]);
    const resumed = waitFor(b, 'resumed', 30_000);
    await node2.terminate();
    expect(await resumed).toEqual([aId]);

    expect(b.state).toBe('paired');
    expect(b.peerId).toBe(aId);
    expect(a.state).toBe('paired');
    expect(await b.emitWithAck('question', 1)).toBe(2);
    expect(await a.emitWithAck('question', 10)).toBe(11);
    await expect(node1.call('peerOf', bId)).resolves.toBe(aId);
    await expect(node1.call('listPairings')).resolves.toEqual([expect.objectContaining({ clientIds: expect.arrayContaining([aId, bId]) })]);
    expect(aNotices).toEqual([]);
    expect(a.unpairedCount() + b.unpairedCount()).toBe(0);
  }, 90_000);

  it('an original client (no session) leaves at once and its peer is told; a held client that never comes back is ended when its grace runs out', async () => {
    const heldGraceMs = 6000;
    const [node1, node2] = await Promise.all([
      cluster.node('node1', { reconnectGraceMs: heldGraceMs }),
      cluster.node('node2', { reconnectGraceMs: heldGraceMs }),
    ]);
    const [aId, bId, cId, dId] = cluster.ids('A', 'B', 'C', 'D');
    // A (node 1) paired with the original client B (node 2); D (node 1) with C (node 2), a protocol 2 client with a
    // session that will not come back.
    const [a, b] = await Promise.all([cluster.connectV1(node1, aId), cluster.connectV1(node2, bId)]);
    await pairRaw(a, b, bId);
    const [d, c] = await Promise.all([cluster.connectV2(node1, dId, `token-${dId}`), cluster.connectV2(node2, cId, `token-${cId}`)]);
    await pairRaw(d, c, cId);
    const dNotices: unknown[][] = [];
    d.on('P2P_DISCONNECT', (...args: unknown[]) => dNotices.push(args));

    const aNotice = waitFor(a, 'P2P_DISCONNECT', 20_000);
    const bClosed = waitFor(b, 'disconnect', 20_000);
    await node2.terminate();
    expect((await bClosed)[0]).toBe('transport close');
    expect(await aNotice).toEqual([bId, 'DISCONNECTED']);
    // C is held: D was told nothing yet, and the pairing is still in the store.
    expect(dNotices).toEqual([]);
    await expect(node1.call('peerOf', dId)).resolves.toBe(cId);

    // C never comes back: once its grace ran out, the surviving node's sweep ends the hold and tells D.
    const dNotice = waitFor(d, 'P2P_DISCONNECT', heldGraceMs + 20_000);
    expect(await dNotice).toEqual([cId, 'DISCONNECTED']);
    await expect(node1.call('getClient', cId)).resolves.toBeUndefined();
    await expect(node1.call('getClient', dId)).resolves.toMatchObject({ state: 'free' });
  }, 90_000);

  it('a rolling restart of both nodes under continuous relays keeps every pairing intact', async () => {
    const [node1, node2] = await Promise.all([cluster.node('node1'), cluster.node('node2')]);
    const lb = await balancer(node1, node2);
    const pairCount = 6;
    const ids = Array.from({ length: pairCount * 2 }, (_, i) => cluster.ids(`C${i}`)[0]);
    const all: Awaited<ReturnType<typeof p2pClient>>[] = [];
    for (const id of ids) all.push(await p2pClient(lb.url, id));
    // The balancer spread them over both nodes.
    expect(new Set(lb.forwarded)).toEqual(new Set([node1.port, node2.port]));
    const pairs = Array.from({ length: pairCount }, (_, i) => [all[i]!, all[i + pairCount]!] as const);
    for (const [source, target] of pairs) await source.pair(target.id);
    await eventually(() => expect(all.map((client) => client.state)).toEqual(all.map(() => 'paired')), 10_000);

    let running = true;
    let answered = 0;
    let failed = 0;
    const lanes = pairs.map(async ([source, target]) => {
      for (let n = 0; running; n++) {
        const from = n % 2 === 0 ? source : target;
        try {
          expect(await from.emitWithAck('question', n)).toBe(n + 1);
          answered++;
        } catch {
          // Across a restart a relay may fail (NOT_CONNECTED, PEER_DISCONNECTED, ...): exactly-once is not asked here.
          failed++;
          await settle(50);
        }
      }
    });

    const restart = async (node: ClusterNodeProcess) => {
      const others = [node1, node2].filter((other) => other !== node);
      lb.setBackends(others.map((other) => other.port));
      await node.terminate();
      await node.start(node.port);
      lb.setBackends([node1.port, node2.port]);
      await eventually(() => expect(all.map((client) => client.state)).toEqual(all.map(() => 'paired')), 40_000, 100);
      const before = answered;
      await eventually(() => expect(answered).toBeGreaterThan(before + pairCount), 20_000, 50);
    };
    await restart(node1);
    await restart(node2);
    running = false;
    await Promise.all(lanes);

    expect(all.map((client) => client.unpairedCount())).toEqual(all.map(() => 0));
    for (const [source, target] of pairs) {
      expect(source.peerId).toBe(target.id);
      expect(target.peerId).toBe(source.id);
      expect(await source.emitWithAck('question', 1)).toBe(2);
      expect(await target.emitWithAck('question', 2)).toBe(3);
    }
    const pairings = (await node1.call<{ clientIds: string[] }[]>('listPairings')).map((pairing) => [...pairing.clientIds].sort());
    expect(pairings.sort()).toEqual(pairs.map(([s, t]) => [s.id, t.id].sort()).sort());
    // Relays in flight when a connection closed may fail (the reliable channel of protocol 3 is what makes these zero).
    expect(failed).toBeLessThan(answered);
  }, 240_000);

  it('with the reliable channel (protocol 3), a rolling restart of both nodes under continuous streams loses and duplicates nothing', async () => {
    const [node1, node2] = await Promise.all([cluster.node('node1'), cluster.node('node2')]);
    const lb = await balancer(node1, node2);
    const pairCount = 4;
    const ids = Array.from({ length: pairCount * 2 }, (_, i) => cluster.ids(`S${i}`)[0]);
    const all: Awaited<ReturnType<typeof p2pClient>>[] = [];
    for (const id of ids) all.push(await p2pClient(lb.url, id));
    const pairs = Array.from({ length: pairCount }, (_, i) => [all[i]!, all[i + pairCount]!] as const);
    for (const [source, target] of pairs) await source.pair(target.id);
    await eventually(() => expect(all.map((client) => client.state)).toEqual(all.map(() => 'paired')), 10_000);
    expect(all.every((client) => client.reliable)).toBe(true);

    // Each source streams numbered messages to its target, honouring backpressure, until both restarts are done.
    let streaming = true;
    const records = pairs.map(([source, target]) => recordStream(source, target, 'n'));
    const sent = pairs.map(() => 0);
    const streams = pairs.map(async ([source], i) => {
      while (streaming) {
        if (!source.emit('n', sent[i]!++)) await source.drained();
        await settle(5);
      }
    });
    const restart = async (node: ClusterNodeProcess) => {
      lb.setBackends([node1, node2].filter((other) => other !== node).map((other) => other.port));
      await node.terminate();
      await node.start(node.port);
      lb.setBackends([node1.port, node2.port]);
      await eventually(() => expect(all.map((client) => client.state)).toEqual(all.map(() => 'paired')), 40_000, 100);
    };
    await restart(node1);
    await restart(node2);
    streaming = false;
    await Promise.all(streams);

    await eventually(() => expect(records.map((record) => record.received.length)).toEqual(sent), 30_000, 100);
    records.forEach((record, i) => {
      expect(record.received).toEqual(sequence(sent[i]!));
      expect(record.errors).toEqual([]);
      expect(record.undelivered).toBe(0);
    });
    expect(all.map((client) => client.unpairedCount())).toEqual(all.map(() => 0));
  }, 240_000);
});
