import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { type Socket, io } from 'socket.io-client';
import { waitFor } from '../../support/gateway-harness.js';
import { emitWithAck, expectHealthyPair, pairRaw, whenConnected } from '../../support/wire.js';
import { RedisClusterProcess } from '../support/redis-cluster.process.js';

const here = (file: string) => fileURLToPath(new URL(file, import.meta.url));
const DEATH_BOUND_MS = 10_000;
const SOURCES = 100;

/** `npm start`'s gateway (sample/app.module.ts as it is) in a process of its own, with REDIS_CLUSTER_NODES set. */
async function startSampleNode(clusterNodes: string[]): Promise<{ child: ChildProcess; url: string }> {
  const { NODE_OPTIONS: _jestFlags, REDIS_URL: _single, ...env } = process.env;
  const child = spawn(process.execPath, ['--import', here('../support/ts-register.mjs'), here('../../streams/sample-gateway.main.ts')], {
    env: { ...env, NO_COLOR: '1', REDIS_CLUSTER_NODES: clusterNodes.join(',') },
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
  const [ready] = (await once(child, 'message')) as [{ type: string; port: number }];
  return { child, url: `http://127.0.0.1:${ready.port}` };
}

describe('two sample nodes with REDIS_CLUSTER_NODES act as one gateway on a six-process Redis Cluster', () => {
  let redisCluster: RedisClusterProcess;
  let node1: { child: ChildProcess; url: string };
  let node2: { child: ChildProcess; url: string };
  const sockets: Socket[] = [];
  const connect = (url: string, clientId: string) => {
    const socket = io(url, { query: { clientId }, transports: ['websocket'], reconnection: false, forceNew: true });
    sockets.push(socket);
    return whenConnected(socket, 15_000);
  };

  beforeAll(async () => {
    redisCluster = await RedisClusterProcess.start();
    [node1, node2] = await Promise.all([startSampleNode(redisCluster.nodes), startSampleNode(redisCluster.nodes)]);
  }, 180_000);
  afterAll(async () => {
    for (const socket of sockets) socket.disconnect();
    for (const node of [node1, node2]) node?.child.kill('SIGKILL');
    await redisCluster?.stop();
  });

  it('pairs, relays and acks across the two nodes', async () => {
    const [a, b] = await Promise.all([connect(node1.url, 'A'), connect(node2.url, 'B')]);
    await pairRaw(a, b, 'B');
    await expectHealthyPair(a, b, 'B');
    b.on('question', (n: number, reply: (value: number) => void) => reply(n * 2));
    expect(await emitWithAck(a, 'P2P_EMIT_ACKNOWLEDGE', { event: 'question', args: [21] })).toEqual([42]);
  });

  it(`gives exactly one of ${SOURCES} simultaneous requests over the two nodes the target`, async () => {
    const target = await connect(node1.url, 'T');
    target.on('P2P_REGISTER', (sourceId: string) => target.emit('P2P_REGISTER_SUCCESS', sourceId));
    const sources = await Promise.all(Array.from({ length: SOURCES }, (_, i) => connect(i % 2 ? node1.url : node2.url, `S-${i}`)));
    const answers = await Promise.all(sources.map((socket) => emitWithAck(socket, 'P2P_REGISTER', 'T')));
    expect(answers.filter(([ok]) => ok === true)).toHaveLength(1);
    expect(answers.filter(([, error]) => (error as { code?: string } | undefined)?.code === 'TARGET_BUSY')).toHaveLength(SOURCES - 1);
  }, 60_000);

  it('SIGKILL of node 2: within 10 s its client is gone and its peer on node 1 is told', async () => {
    const [c, d] = await Promise.all([connect(node1.url, 'C'), connect(node2.url, 'D')]);
    await pairRaw(c, d, 'D');
    const notice = waitFor(c, 'P2P_DISCONNECT', DEATH_BOUND_MS);
    node2.child.kill('SIGKILL');
    expect(await notice).toEqual(['D', 'DISCONNECTED']);
    // D's id is free again: it connects to node 1 and pairs with C.
    const newD = await connect(node1.url, 'D');
    await pairRaw(c, newD, 'D');
    await expectHealthyPair(c, newD, 'D');
  }, 40_000);
});
