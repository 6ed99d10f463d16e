import { beforeAll, describe, expect, it } from '@jest/globals';
import type { Socket } from 'socket.io-client';
import { P2pClient } from '../../packages/client/src/index.js';
import { waitFor } from '../support/gateway-harness.js';
import { eventually } from '../support/eventually.js';
import type { ClusterNodeProcess } from './support/cluster-node.process.js';
import { NODES_START_TIMEOUT_MS, useCluster } from './support/cluster.js';

/** The acks `socket` gets for its `event`s, as they arrive (the client's own callback still runs). */
function recordAcks(socket: Socket, event: string): unknown[][] {
  const acks: unknown[][] = [];
  const emit = socket.emit.bind(socket);
  socket.emit = ((name: string, ...args: unknown[]) => {
    const ack = args[args.length - 1];
    if (name === event && typeof ack === 'function') {
      args[args.length - 1] = (...results: unknown[]) => {
        acks.push(results);
        (ack as (...results: unknown[]) => void)(...results);
      };
    }
    return emit(name, ...args);
  }) as typeof socket.emit;
  return acks;
}

describe('cluster: the e2e pre-commitment between clients on two nodes', () => {
  const cluster = useCluster('e2e');
  let node1: ClusterNodeProcess;
  let node2: ClusterNodeProcess;
  beforeAll(async () => {
    [node1, node2] = await Promise.all([cluster.node('node1'), cluster.node('node2')]);
  }, NODES_START_TIMEOUT_MS);

  async function e2eClient(node: ClusterNodeProcess, clientId: string) {
    const socket = cluster.socket(node, { autoConnect: false });
    const sessions: unknown[] = [];
    socket.on('P2P_SESSION', (payload: unknown) => sessions.push(payload));
    const client = new P2pClient(socket, { clientId, e2e: true });
    const requests = recordAcks(socket, 'P2P_REGISTER');
    const consents = recordAcks(socket, 'P2P_REGISTER_SUCCESS');
    const asked: unknown[][] = [];
    socket.on('P2P_REGISTER', (...args: unknown[]) => asked.push(args));
    const keysSent: unknown[] = [];
    socket.onAnyOutgoing((event: string, ...args: unknown[]) => {
      if (event === 'P2P_REGISTER_SUCCESS') keysSent.push(args[1]);
    });
    socket.connect();
    await eventually(() => expect(sessions).toEqual([expect.objectContaining({ e2eCommit: true })]));
    return { client, requests, consents, asked, keysSent };
  }

  it.each([
    ['node 1 asks node 2', false],
    ['node 2 asks node 1', true],
  ])(
    '%s: the commitment reaches the target, its key comes back with the answer; equal codes, messages both ways',
    async (_name, reverse) => {
      const [aId, bId] = cluster.ids('A', 'B');
      const [one, two] = await Promise.all([e2eClient(node1, aId), e2eClient(node2, bId)]);
      const [requester, target] = reverse ? [two, one] : [one, two];
      const targetId = reverse ? aId : bId;
      const codes = Promise.all([waitFor<[string]>(requester.client, 'secured'), waitFor<[string]>(target.client, 'secured')]);
      await requester.client.pair(targetId);
      const [[codeA], [codeB]] = await codes;
      expect(codeA).toMatch(/^\d{6}$/);
      expect(codeA).toBe(codeB);
      // The pairing carried the pre-commitment across the nodes, both ways.
      expect(target.asked).toEqual([[reverse ? bId : aId, expect.objectContaining({ e2eCommitment: expect.any(String) })]]);
      const [key] = target.keysSent as { e2eKey: string; e2eNonce: string }[];
      expect(key).toEqual({ e2eKey: expect.any(String), e2eNonce: expect.any(String) });
      // (The client asks with a bound: its acks come error-first from socket.io-client, `null` when in time.)
      expect(requester.requests).toEqual([[null, true, null, expect.objectContaining({ e2eKey: key!.e2eKey, e2eNonce: key!.e2eNonce })]]);
      expect(target.consents).toEqual([[null, true, null, { e2eCommitted: true }]]);
      target.client.socket.on('ask', (x: number, reply: (y: number) => void) => reply(x + 1));
      requester.client.socket.on('ask', (x: number, reply: (y: number) => void) => reply(x * 2));
      await expect(requester.client.emitWithAck('ask', 1)).resolves.toBe(2);
      await expect(target.client.emitWithAck('ask', 4)).resolves.toBe(8);
      await requester.client.unpair();
    },
  );
});
