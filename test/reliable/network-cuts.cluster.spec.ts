import { afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { type Socket, io } from 'socket.io-client';
import { P2pClient } from '../../packages/client/src/index.js';
import { eventually } from '../support/eventually.js';
import { whenConnected } from '../support/wire.js';
import { cutConnection, recordStream, sendNumbered, sequence } from '../support/network-cut.js';
import { FAST_RECONNECT } from '../grace/grace-support.js';
import type { ClusterNodeProcess } from '../cluster/support/cluster-node.process.js';
import { useCluster } from '../cluster/support/cluster.js';

const MESSAGES = 4_000;
const CUTS = 8;

describe('reliable channel: abrupt network cuts across two cluster nodes', () => {
  const cluster = useCluster('reliable-cuts', { reconnectGraceMs: 5000, pairTimeoutMs: 5000, ackTimeoutMs: 5000 });
  let node1: ClusterNodeProcess;
  let node2: ClusterNodeProcess;
  const sockets: Socket[] = [];
  beforeAll(async () => {
    [node1, node2] = await Promise.all([cluster.node('node1'), cluster.node('node2')]);
  }, 60_000);
  afterEach(() => {
    for (const socket of sockets.splice(0)) socket.disconnect();
  });

  async function clientOn(node: ClusterNodeProcess, clientId: string): Promise<P2pClient<Socket>> {
    const socket = io(node.url, { transports: ['websocket'], forceNew: true, autoConnect: false, ...FAST_RECONNECT });
    sockets.push(socket);
    const client = new P2pClient(socket, { clientId });
    socket.connect();
    await whenConnected(socket);
    return client;
  }

  it(`A on node 1 sends ${MESSAGES} messages to B on node 2 through ${CUTS} cuts: each arrives once, in order`, async () => {
    const [aId, bId] = cluster.ids('A', 'B');
    const a = await clientOn(node1, aId);
    const b = await clientOn(node2, bId);
    await a.pair(bId);
    await eventually(() => expect(b.state).toBe('paired'));
    expect(a.reliable).toBe(true);
    const record = recordStream(a, b, 'n');
    let resumes = 0;
    for (const side of [a, b]) side.on('resumed', () => resumes++);

    const sending = sendNumbered(a, 'n', MESSAGES, 1000);
    for (let i = 0; i < CUTS; i++) {
      await new Promise((resolve) => setTimeout(resolve, 300));
      const side = i % 2 === 0 ? b : a;
      await eventually(() => expect(side.state).toBe('paired'), 10_000);
      await cutConnection(side.socket);
    }
    await sending;
    await eventually(() => expect(record.received.length).toBeGreaterThanOrEqual(MESSAGES), 30_000);
    await eventually(() => expect(a.writable && a.state === 'paired' && b.state === 'paired').toBe(true), 10_000);
    expect(resumes).toBe(CUTS);
    expect(record.received).toEqual(sequence(MESSAGES));
    expect(record.errors).toEqual([]);
    expect(record.undelivered).toBe(0);
  }, 90_000);
});
