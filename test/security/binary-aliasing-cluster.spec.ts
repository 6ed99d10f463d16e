import { afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import type { Socket } from 'socket.io-client';
import { RawEngineSocket, placeholder } from '../support/raw-engine-socket.js';
import { waitFor } from '../support/gateway-harness.js';
import { emitWithAck, eventually } from '../support/wire.js';
import type { ClusterNodeProcess } from '../cluster/support/cluster-node.process.js';
import { NODES_START_TIMEOUT_MS, useCluster } from '../cluster/support/cluster.js';

/*
 * The attacker (frames written by hand) on node 1, its socket.io-client 4 victim on node 2: the sending node measures
 * a relay before publishing it, and the replier's node measures an acknowledgement before sending it back.
 */

const KIB = 1024;

function aliasedArgs(times: number): unknown[] {
  return [Array.from({ length: times }, () => placeholder(0))];
}

describe('security, cluster: aliased binary values across nodes', () => {
  const cluster = useCluster('binary-aliasing', { ackTimeoutMs: 3000 });
  let node1: ClusterNodeProcess;
  let node2: ClusterNodeProcess;
  const attackers: RawEngineSocket[] = [];
  beforeAll(async () => {
    [node1, node2] = await Promise.all([cluster.node('node1'), cluster.node('node2')]);
  }, NODES_START_TIMEOUT_MS);
  afterEach(() => {
    for (const attacker of attackers.splice(0)) attacker.close();
  });

  /** The raw attacker on node 1, paired with a protocol 2 victim on node 2 that it asked. */
  async function pairedAcross(): Promise<{ attacker: RawEngineSocket; victim: Socket; attackerId: string; victimId: string }> {
    const [attackerId, victimId] = cluster.ids('ATK', 'V');
    const victim = await cluster.connectV2(node2, victimId);
    const attacker = await RawEngineSocket.connect(node1.url, { clientId: attackerId, p2pProtocol: 2 });
    attackers.push(attacker);
    const asked = waitFor(victim, 'P2P_REGISTER');
    const request = attacker.emit('P2P_REGISTER', [victimId]);
    expect(await asked).toEqual([attackerId]);
    expect(await emitWithAck(victim, 'P2P_REGISTER_SUCCESS', attackerId)).toEqual([true]);
    expect((await attacker.answer(request))[0]).toBe(true);
    return { attacker, victim, attackerId, victimId };
  }

  async function relayRaw(attacker: RawEngineSocket, event: string, args: unknown[], attachments: Buffer[]): Promise<unknown> {
    const id = attacker.emit('P2P_EMIT', [{ event, args }], attachments);
    return (await attacker.answer(id))[0];
  }

  it('refuses aliased relays on the sending node and aliased acknowledgements on the replying node; the victim stays', async () => {
    const { attacker, victim, victimId, attackerId } = await pairedAcross();
    const received: unknown[][] = [];
    const drops: string[] = [];
    victim.on('bin', (...args: unknown[]) => void received.push(args));
    victim.on('disconnect', (reason) => void drops.push(reason));

    expect(await relayRaw(attacker, 'bin', aliasedArgs(11), [Buffer.alloc(16, 1)])).toMatchObject({ code: 'TOO_MANY_ATTACHMENTS' });
    expect(await relayRaw(attacker, 'bin', aliasedArgs(10), [Buffer.alloc(32 * KIB, 2)])).toMatchObject({
      code: 'PAYLOAD_TOO_LARGE',
    });

    // The victim asks across the nodes; the attacker answers with one attachment named 11 times.
    const outcome = emitWithAck(victim, 'P2P_EMIT_ACKNOWLEDGE', { event: 'ask', args: [1] });
    const question = await attacker.next((p) => p.data[0] === 'ask');
    attacker.ack(question.id!, aliasedArgs(11), [Buffer.alloc(16, 3)]);
    expect(await outcome).toEqual([expect.objectContaining({ code: 'TOO_MANY_ATTACHMENTS', event: 'P2P_EMIT_ACKNOWLEDGE' })]);
    await attacker.next((p) => p.data[0] === 'P2P_ERROR' && (p.data[1] as { code?: string }).code === 'TOO_MANY_ATTACHMENTS');

    // Still paired on both nodes, and a relay within the limits still crosses.
    const reached = waitFor(victim, 'still-there');
    expect(await relayRaw(attacker, 'still-there', ['yes'], [])).toBeNull();
    expect(await reached).toEqual(['yes']);
    await expect(node1.call('peerOf', attackerId)).resolves.toBe(victimId);
    await expect(node2.call('peerOf', victimId)).resolves.toBe(attackerId);
    await eventually(() => victim.connected);
    expect(received).toEqual([]);
    expect(drops).toEqual([]);
  });
});
