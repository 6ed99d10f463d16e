import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { type Socket, io } from 'socket.io-client';
import { P2pClient } from '../../../packages/client/src/index.js';
import { FAST_RECONNECT } from '../../grace/grace-support.js';
import { eventually } from '../../support/eventually.js';
import { recordStream, sendNumbered, sequence } from '../../support/network-cut.js';
import { whenConnected } from '../../support/wire.js';
import type { ClusterNodeProcess } from '../support/cluster-node.process.js';
import { NODES_START_TIMEOUT_MS, emitWithAckWithin, useCluster } from '../support/cluster.js';

const MESSAGES = 6_000;
const PER_SECOND = 1_000;
const CHURN_PAIRS = 3;
const PAIR_TIMEOUT_MS = 3_000;
/** After the churn stops: whatever a failover left pending must be settled within pairTimeoutMs and this margin. */
const SETTLE_MARGIN_MS = 7_000;

/** The reliable pair's nodes and the churning pairs' counters, for the figures the docs quote. */
interface Figures {
  failovers: { killed: string; what: string; ms: number }[];
  cyclesBefore: number;
  cyclesAfter: number;
  churnFailures: Record<string, number>;
}

describe('cluster on a Redis Cluster: a primary killed while pairs relay and churn', () => {
  const cluster = useCluster(
    'failover',
    { pairTimeoutMs: PAIR_TIMEOUT_MS, ackTimeoutMs: 5000, reconnectGraceMs: 5000, limits: { pairRequests: false } },
    'redis-cluster',
  );
  let node1: ClusterNodeProcess;
  let node2: ClusterNodeProcess;
  const sockets: Socket[] = [];
  beforeAll(async () => {
    [node1, node2] = await Promise.all([cluster.node('node1'), cluster.node('node2')]);
  }, NODES_START_TIMEOUT_MS);
  afterAll(() => {
    for (const socket of sockets) socket.disconnect();
  });

  async function clientOn(node: ClusterNodeProcess, clientId: string): Promise<P2pClient<Socket>> {
    const socket = io(node.url, { transports: ['websocket'], forceNew: true, autoConnect: false, ...FAST_RECONNECT });
    sockets.push(socket);
    const client = new P2pClient(socket, { clientId });
    socket.connect();
    await whenConnected(socket, 15_000);
    return client;
  }

  /**
   * Pair / unpair loops of raw protocol 1 sockets, source on one node and target on the other, until `stop()`. Every
   * failure (STORE_UNAVAILABLE during the failover, an answer that never came) is counted by its code and the loop goes
   * on, as an app retrying would.
   */
  async function churn(figures: Figures): Promise<{ cycles: () => number; stop: () => Promise<void> }> {
    let running = true;
    let cycles = 0;
    const loops: Promise<void>[] = [];
    const fail = (code: string) => (figures.churnFailures[code] = (figures.churnFailures[code] ?? 0) + 1);
    for (let i = 0; i < CHURN_PAIRS; i++) {
      const [sourceId, targetId] = cluster.ids(`churn-S${i}`, `churn-T${i}`);
      const connect = (node: ClusterNodeProcess, clientId: string) => {
        const socket = io(node.url, { query: { clientId }, transports: ['websocket'], forceNew: true, reconnection: false });
        sockets.push(socket);
        return whenConnected(socket, 15_000);
      };
      const [source, target] = await Promise.all([connect(i % 2 ? node1 : node2, sourceId), connect(i % 2 ? node2 : node1, targetId)]);
      target.on('P2P_REGISTER', (from: string) => target.emit('P2P_REGISTER_SUCCESS', from));
      loops.push(
        (async () => {
          while (running) {
            try {
              const [ok, error] = await emitWithAckWithin(10_000, source, 'P2P_REGISTER', targetId);
              if (ok !== true) {
                fail((error as { code?: string } | undefined)?.code ?? 'refused');
                await new Promise((resolve) => setTimeout(resolve, 100));
                continue;
              }
              const [left] = await emitWithAckWithin(10_000, source, 'P2P_UNREGISTER');
              if (left === true) cycles++;
              else fail('unregister refused');
            } catch {
              fail('no answer');
            }
          }
        })(),
      );
    }
    return {
      cycles: () => cycles,
      stop: async () => {
        running = false;
        await Promise.all(loops);
      },
    };
  }

  /** SIGKILLs the primary at `address` and waits until its replica took over; returns how long that took. */
  async function killPrimary(address: string): Promise<number> {
    const redisCluster = cluster.redisCluster();
    const killedAt = Date.now();
    await redisCluster.kill(redisCluster.pidOf(address));
    await redisCluster.waitForFailover(address);
    return Date.now() - killedAt;
  }

  it(`A (node 1) sends ${MESSAGES} numbered messages to B (node 2) through the failover of the store's primary (and node 2's channel's, when another): none lost, none twice, in order`, async () => {
    const figures: Figures = { failovers: [], cyclesBefore: 0, cyclesAfter: 0, churnFailures: {} };
    const redisCluster = cluster.redisCluster();
    const [aId, bId] = cluster.ids('A', 'B');
    const a = await clientOn(node1, aId);
    const b = await clientOn(node2, bId);
    await a.pair(bId);
    await eventually(() => expect(b.state).toBe('paired'));
    expect(a.reliable).toBe(true);
    const record = recordStream(a, b, 'n');

    const storePrimary = await redisCluster.primaryOfKey(`{${cluster.keyPrefix}}`);
    const tag = b.socket.id!.slice(0, b.socket.id!.indexOf('~'));
    const channelPrimary = await redisCluster.primaryOfKey(`${cluster.keyPrefix}#node#${tag}`);
    const churning = await churn(figures);

    const sending = sendNumbered(a, 'n', MESSAGES, PER_SECOND);
    await eventually(() => expect(record.received.length).toBeGreaterThan(MESSAGES / 4), 30_000);
    figures.cyclesBefore = churning.cycles();
    figures.failovers.push({ killed: storePrimary, what: "the store's slot", ms: await killPrimary(storePrimary) });
    // The channel of node 2 on another shard than the store: its primary goes too (it still has its replica).
    if (channelPrimary !== storePrimary) {
      await eventually(() => expect(record.received.length).toBeGreaterThan(MESSAGES / 2), 60_000);
      figures.failovers.push({ killed: channelPrimary, what: "node 2's channel", ms: await killPrimary(channelPrimary) });
    }
    const cyclesAtLastFailover = churning.cycles();
    await sending;
    await eventually(() => expect(record.received.length).toBeGreaterThanOrEqual(MESSAGES), 60_000);
    // The churn goes on after the failover: the store and both nodes serve pairings again.
    await eventually(() => expect(churning.cycles()).toBeGreaterThan(cyclesAtLastFailover + 5), 30_000);
    await churning.stop();
    figures.cyclesAfter = churning.cycles() - cyclesAtLastFailover;

    expect(record.received).toEqual(sequence(MESSAGES));
    expect(record.errors).toEqual([]);
    expect(record.undelivered).toBe(0);
    expect(a.state).toBe('paired');
    expect(b.state).toBe('paired');
    await expect(node1.call('peerOf', aId)).resolves.toBe(bId);
    await expect(node2.call('peerOf', bId)).resolves.toBe(aId);
    // Nothing stuck: no request pending in the store, none open on either node, past pairTimeoutMs and a margin.
    await eventually(async () => {
      for (const node of [node1, node2]) {
        await expect(node.call('counts')).resolves.toMatchObject({ pairings: 1, pendingRequests: 0 });
        await expect(node.call('heldCounts')).resolves.toMatchObject({ openRequests: 0, pendingClusterAcks: 0 });
      }
    }, PAIR_TIMEOUT_MS + SETTLE_MARGIN_MS);
    process.stdout.write(`primary failover: ${JSON.stringify(figures)}\n`);
  }, 180_000);
});
