import { afterAll, afterEach, describe, expect, it } from '@jest/globals';
import { Registry } from 'prom-client';
import { P2pModule } from '../../packages/server/src/index.js';
import { ADMIN_TOKEN, type HttpAppHarness, startHttpApp } from '../support/control-center-app.js';
import { eventually } from '../support/eventually.js';
import { connectClient } from '../support/gateway-harness.js';
import { parsePrometheusText, valueOf } from '../support/prometheus-text.js';
import { REDIS_URL, connectTestRedis, deleteKeysOf, uniqueKeyPrefix } from '../support/redis.js';

describe('metrics on a cluster node: the messages between nodes', () => {
  const keyPrefix = uniqueKeyPrefix('metrics-cluster');
  const nodes: HttpAppHarness[] = [];

  afterEach(async () => {
    await Promise.all(nodes.splice(0).map((node) => node.close()));
  });
  afterAll(async () => {
    const redis = await connectTestRedis();
    await deleteKeysOf(redis, keyPrefix);
    await redis.quit();
  });

  const startNode = async (nodeId: string) => {
    const node = await startHttpApp([
      P2pModule.forRoot({
        nodeId,
        redis: { url: REDIS_URL, keyPrefix },
        controlCenter: { token: ADMIN_TOKEN },
        metrics: { registry: new Registry() },
      }),
    ]);
    nodes.push(node);
    return node;
  };
  const scrape = async (node: HttpAppHarness) => parsePrometheusText(await (await node.request('/metrics', { token: ADMIN_TOKEN })).text());

  it('counts what each node sends the other and receives from it, by type', async () => {
    const one = await startNode('metrics-node-1');
    const two = await startNode('metrics-node-2');
    const a = await connectClient(one, 'mcl-a', { reliable: false });
    const b = await connectClient(two, 'mcl-b', { reliable: false });
    b.socket.on('question', (_text: string, answer: (reply: string) => void) => answer('yes'));
    await a.pair('mcl-b');
    let received = 0;
    b.socket.on('chat', () => received++);
    for (let i = 0; i < 5; i++) a.emit('chat', i);
    expect(await a.emitWithAck('question', 'across?')).toBe('yes');
    await eventually(() => expect(received).toBe(5));

    const sent = { direction: 'sent' };
    const got = { direction: 'received' };
    const m1 = await scrape(one);
    // Node 1 holds A: its P2P_REGISTER went to B on node 2 as a `send` frame, its relays too.
    expect(valueOf(m1, 'p2p_cluster_messages_total', { ...sent, type: 'send' })).toBeGreaterThanOrEqual(6);
    expect(valueOf(m1, 'p2p_cluster_messages_total', { ...sent, type: 'relay-with-ack' })).toBe(1);
    expect(valueOf(m1, 'p2p_cluster_messages_total', { ...got, type: 'relay-reply' })).toBe(1);
    expect(valueOf(m1, 'p2p_relayed_messages_total', { kind: 'emit' })).toBe(5);
    const m2 = await scrape(two);
    expect(valueOf(m2, 'p2p_cluster_messages_total', { ...got, type: 'relay-with-ack' })).toBe(1);
    expect(valueOf(m2, 'p2p_cluster_messages_total', { ...sent, type: 'relay-reply' })).toBe(1);
    expect(
      valueOf(m2, 'p2p_cluster_messages_total', { ...sent, type: 'set-peer' }) +
        valueOf(m1, 'p2p_cluster_messages_total', { ...sent, type: 'set-peer' }),
    ).toBeGreaterThanOrEqual(1);
    // The store gauges are the cluster's: the same on both nodes.
    expect(valueOf(m1, 'p2p_pairings')).toBe(1);
    expect(valueOf(m2, 'p2p_pairings')).toBe(1);
    expect(valueOf(m2, 'p2p_clients')).toBe(2);
  });
});
