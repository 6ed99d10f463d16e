import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { type GatewayHarness, connected, rawSocket, startGateway } from '../support/gateway-harness.js';
import { emitWithAck, replayOriginalScenario } from './original-scenario.js';

describe('original protocol over raw socket.io-client 4', () => {
  let gw: GatewayHarness;
  beforeEach(async () => {
    gw = await startGateway({ pairTimeoutMs: 2000, ackTimeoutMs: 2000 });
  });
  afterEach(() => gw.close());

  it('replays the original README scenario', async () => {
    const b = await connected(rawSocket(gw, { clientId: 'B' }));
    const a = await connected(rawSocket(gw, { clientId: 'A' }));
    await replayOriginalScenario(a, b);
    await expect(gw.service.listPairings()).resolves.toEqual([]);
  });

  it('answers LIST_CLIENTS(cb) with a string[] of clientIds', async () => {
    const b = await connected(rawSocket(gw, { clientId: 'B' }));
    await connected(rawSocket(gw, { clientId: 'A' }));
    const [list] = await emitWithAck(b, 'LIST_CLIENTS');
    expect(Array.isArray(list)).toBe(true);
    expect([...(list as string[])].sort()).toEqual(['A', 'B']);
  });
});
