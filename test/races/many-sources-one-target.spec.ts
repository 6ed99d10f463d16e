import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { P2pError } from '../../packages/protocol/src/index.js';
import { codeOf, eventually, outcomes } from '../support/eventually.js';
import { type GatewayHarness, connectClient, connected, rawSocket, startGateway } from '../support/gateway-harness.js';

describe('races: many sources, one target', () => {
  let gw: GatewayHarness;
  beforeEach(async () => {
    gw = await startGateway({ pairTimeoutMs: 3000 });
  });
  afterEach(() => gw.close());

  it('gives exactly one of 20 simultaneous requests the target', async () => {
    const target = await connectClient(gw, 'target');
    const sources = await Promise.all(Array.from({ length: 20 }, (_, i) => connectClient(gw, `source-${i}`)));
    const attempts = sources.map((source) => source.pair('target').then(() => source));
    const { fulfilled, rejected } = await outcomes(attempts);

    expect(fulfilled).toHaveLength(1);
    expect(rejected).toHaveLength(19);
    for (const reason of rejected) {
      expect(reason).toBeInstanceOf(P2pError);
      expect(['TARGET_BUSY', 'PAIR_REFUSED']).toContain(codeOf(reason));
    }
    const winner = fulfilled[0]!;
    const winnerId = `source-${sources.indexOf(winner)}`;
    expect(winner.peerId).toBe('target');
    await expect(gw.service.peerOf('target')).resolves.toBe(winnerId);
    await expect(gw.service.listPairings()).resolves.toEqual([
      { clientIds: expect.arrayContaining(['target', winnerId]), since: expect.any(Date), transport: 'relay' },
    ]);
    await expect(gw.service.counts()).resolves.toEqual({ clients: 21, pairings: 1, pendingRequests: 0 });
    await eventually(() => expect(target.peerId).toBe(winnerId));
    for (const loser of sources.filter((s) => s !== winner)) expect(loser.state).toBe('idle');
  });

  it('refuses every source cleanly when the target leaves while being asked', async () => {
    const target = await connected(rawSocket(gw, { clientId: 'target' }));
    // An original client that drops as soon as someone asks it: the one open request loses its target mid-way.
    target.on('P2P_REGISTER', () => target.disconnect());
    const sources = await Promise.all(Array.from({ length: 8 }, (_, i) => connectClient(gw, `source-${i}`)));
    const { fulfilled, rejected } = await outcomes(sources.map((source) => source.pair('target')));

    expect(fulfilled).toHaveLength(0);
    const codes = rejected.map(codeOf);
    expect(codes.filter((code) => code === 'PEER_DISCONNECTED')).toHaveLength(1);
    for (const code of codes) expect(['PEER_DISCONNECTED', 'TARGET_BUSY', 'TARGET_OFFLINE']).toContain(code);
    await expect(gw.service.counts()).resolves.toEqual({ clients: 8, pairings: 0, pendingRequests: 0 });
    expect(sources.every((source) => source.state === 'idle')).toBe(true);
    // Nobody was left half-reserved: two of the sources pair with each other at once.
    await sources[0]!.pair('source-1');
    await expect(gw.service.peerOf('source-0')).resolves.toBe('source-1');
  });
});
