import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { Cluster, Redis } from 'ioredis';
import type { Socket } from 'socket.io-client';
import { waitFor } from '../../support/gateway-harness.js';
import { REDIS_URL } from '../../support/redis.js';
import { emitWithAck, expectHealthyPair, listClients, pairRaw, whenConnected } from '../../support/wire.js';
import type { ClusterNodeProcess } from '../support/cluster-node.process.js';
import type { TestCluster } from '../support/cluster.js';

/** The node tag a connection id starts with (`<tag>~...`). */
function tagOf(socket: Socket): string {
  const id = socket.id ?? '';
  expect(id).toMatch(/^[A-Za-z0-9_-]{11}~/);
  return id.slice(0, id.indexOf('~'));
}

/**
 * Counts the messages Redis carries on given channels, from a connection of the test's own: to the shared Redis, or
 * an ioredis Cluster with sharded subscribers (each channel followed on the shard of its slot).
 */
class ChannelWatch {
  readonly counts = new Map<string, number>();
  private readonly sub: Redis | Cluster;

  constructor(
    private readonly sharded: boolean,
    clusterNodes?: string[],
  ) {
    this.sub = clusterNodes
      ? new Cluster(clusterNodes, { lazyConnect: true, shardedSubscribers: true })
      : new Redis(REDIS_URL, { lazyConnect: true });
    this.sub.on('error', () => undefined);
    const count = (channel: Buffer | string) => this.counts.set(String(channel), (this.counts.get(String(channel)) ?? 0) + 1);
    this.sub.on(sharded ? 'smessageBuffer' : 'messageBuffer', count);
    this.sub.on('pmessageBuffer', (_pattern: Buffer, channel: Buffer) => count(channel));
  }

  async watch(channels: string[], adapterPrefix: string): Promise<void> {
    await this.sub.connect();
    // One SSUBSCRIBE per channel: on a Redis Cluster the channels of one command must share a slot.
    if (this.sharded) for (const channel of [...channels, `${adapterPrefix}#/#`]) await this.sub.ssubscribe(channel);
    else {
      await this.sub.subscribe(...channels);
      await this.sub.psubscribe(`${adapterPrefix}*`);
    }
  }

  count(channel: string): number {
    return this.counts.get(channel) ?? 0;
  }

  /** Messages on channels whose name starts with `prefix`. */
  countPrefixed(prefix: string): number {
    return [...this.counts].filter(([channel]) => channel.startsWith(prefix)).reduce((sum, [, n]) => sum + n, 0);
  }

  close(): void {
    this.sub.disconnect();
  }
}

/**
 * Targeted delivery over three gateway nodes: a message between nodes goes to the one node it concerns, on that node's
 * channel, never through the adapter; relays of one burst are batched. Registered in the calling describe block, on
 * `cluster`'s backend, with sharded pub/sub (`sharded`) or classic.
 */
export function targetedDeliveryScenarios(cluster: TestCluster, sharded: boolean): void {
  let node1: ClusterNodeProcess;
  let node2: ClusterNodeProcess;
  let node3: ClusterNodeProcess;
  const channels: Record<'node1' | 'node2' | 'node3', string> = { node1: '', node2: '', node3: '' };
  let watch: ChannelWatch;

  beforeAll(async () => {
    watch = new ChannelWatch(sharded, cluster.backend === 'redis-cluster' ? cluster.redisCluster().nodes : undefined);
    [node1, node2, node3] = await Promise.all([cluster.node('node1'), cluster.node('node2'), cluster.node('node3')]);
    // Each node's tag, from a probe connection's id; then the probes leave (no peer: no message to anyone).
    for (const [name, node] of [
      ['node1', node1],
      ['node2', node2],
      ['node3', node3],
    ] as const) {
      const probe = await cluster.connectV1(node, `probe-${name}`);
      channels[name] = `${cluster.keyPrefix}#node#${tagOf(probe)}`;
      probe.disconnect();
    }
    await watch.watch(Object.values(channels), `${cluster.keyPrefix}#sio`);
  }, 60_000);
  afterAll(() => watch?.close());

  it('connection ids name their node: two connections of node 1 share a tag that no other node has', async () => {
    const [aId, cId, bId] = cluster.ids('A', 'C', 'B');
    const [a, c, b] = await Promise.all([cluster.connectV1(node1, aId), cluster.connectV2(node1, cId), cluster.connectV1(node2, bId)]);
    expect(tagOf(a)).toBe(tagOf(c));
    expect(tagOf(a)).not.toBe(tagOf(b));
    expect(`${cluster.keyPrefix}#node#${tagOf(b)}`).toBe(channels.node2);
  });

  it('pairing, relays, relays with ack, unpairing and a disconnect between nodes 1 and 2 send nothing to node 3, nor through the adapter', async () => {
    const before = { node1: watch.count(channels.node1), node2: watch.count(channels.node2), node3: watch.count(channels.node3) };
    const adapterBefore = watch.countPrefixed(`${cluster.keyPrefix}#sio`);
    const [aId, bId] = cluster.ids('A', 'B');
    const [a, b] = await Promise.all([cluster.connectV2(node1, aId), cluster.connectV1(node2, bId)]);
    await pairRaw(a, b, bId);
    await expectHealthyPair(a, b, bId);
    b.on('question', (n: number, reply: (...values: unknown[]) => void) => reply(n * 2, Buffer.from([n])));
    a.on('question', (n: number, reply: (...values: unknown[]) => void) => reply(n + 1));
    expect(await emitWithAck(a, 'P2P_EMIT_ACKNOWLEDGE', { event: 'question', args: [21] })).toEqual([null, 42, Buffer.from([21])]);
    expect(await emitWithAck(b, 'P2P_EMIT_ACKNOWLEDGE', { event: 'question', args: [1] })).toEqual([2]);
    expect(await listClients(a)).toEqual(expect.arrayContaining([aId, bId]));
    const unpaired = waitFor(b, 'P2P_DISCONNECT');
    expect(await emitWithAck(a, 'P2P_UNREGISTER')).toEqual([true]);
    expect(await unpaired).toEqual([aId, 'UNREGISTERED']);
    await pairRaw(b, a, aId);
    const told = waitFor(a, 'P2P_DISCONNECT');
    b.disconnect();
    expect(await told).toEqual([bId, 'DISCONNECTED']);
    // A message published before the last notice arrived has been counted by now (Redis keeps the order).
    const reference = await whenConnected(cluster.socket(node1, { query: { clientId: cluster.ids('R')[0] } }));
    reference.disconnect();

    expect(watch.count(channels.node3) - before.node3).toBe(0);
    expect(watch.countPrefixed(`${cluster.keyPrefix}#sio`) - adapterBefore).toBe(0);
    expect(watch.count(channels.node2) - before.node2).toBeGreaterThan(0);
    expect(watch.count(channels.node1) - before.node1).toBeGreaterThan(0);
  }, 30_000);

  it('relays sent in one burst reach the other node in fewer publishes than relays (batched per event-loop turn), in order', async () => {
    const [aId, bId] = cluster.ids('A', 'B');
    const [a, b] = await Promise.all([cluster.connectV1(node1, aId), cluster.connectV1(node2, bId)]);
    await pairRaw(a, b, bId);
    const burst = 500;
    const received: number[] = [];
    const all = new Promise<void>((resolve) =>
      b.on('n', (n: number) => {
        received.push(n);
        if (received.length === burst) resolve();
      }),
    );
    const before = watch.count(channels.node2);
    for (let n = 0; n < burst; n++) a.emit('P2P_EMIT', { event: 'n', args: [n] });
    await all;
    expect(received).toEqual([...Array(burst).keys()]);
    const published = watch.count(channels.node2) - before;
    expect(published).toBeGreaterThan(0);
    expect(published).toBeLessThan(burst);
    expect(watch.count(channels.node3)).toBe(0);
  }, 30_000);
}
