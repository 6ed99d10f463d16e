import { afterEach, describe, expect, it } from '@jest/globals';
import type { Socket } from 'socket.io-client';
import { P2P_GATEWAY } from '../../packages/server/src/tokens/p2p.constants.js';
import { PairingEngine } from '../../packages/server/src/pairing/pairing.engine.js';
import type { P2pGatewayBase } from '../../packages/server/src/gateway/p2p.gateway.js';
import { eventually, pairRaw } from '../support/wire.js';
import { type GraceGateway, bothAwayAfterHeldNotes, connectWithToken, startGraceGateway } from './grace-support.js';

/**
 * What the gateway keeps for a dropped connection (the relays it held for a peer that was away too) lives as long as
 * that connection's grace, which runs on the engine's timer alone: it goes when the grace runs out, when the session
 * comes back, and when the pairing ends meanwhile.
 */
describe('reconnect grace: what is kept for a dropped connection ends with its grace', () => {
  let gw: GraceGateway;
  let a: Socket;
  let b: Socket;
  afterEach(() => gw.close());

  const held = () => ({ ...gw.app.get<P2pGatewayBase>(P2P_GATEWAY).heldCounts(), ...gw.app.get(PairingEngine).heldCounts() });

  /** A and B paired; A drops, B sends two notes (held for A), then B drops too: B's held notes are kept. */
  async function bothAwayWithKeptRelays(graceMs: number) {
    gw = await startGraceGateway({ reconnectGraceMs: graceMs });
    a = await connectWithToken(gw, 'A', 'token-a');
    b = await connectWithToken(gw, 'B', 'token-b');
    await pairRaw(a, b, 'B');
    return bothAwayAfterHeldNotes(gw, a, b);
  }

  it('kept while B is away, handed to B when it comes back', async () => {
    const { awayB } = await bothAwayWithKeptRelays(10_000);
    expect(held()).toMatchObject({ keptOutboxes: 1, graceTimers: 2 });
    await awayB.comeBack();
    expect(held()).toMatchObject({ keptOutboxes: 0, graceTimers: 1 });
  });

  it('forgotten when B does not come back in time', async () => {
    await bothAwayWithKeptRelays(2000);
    expect(held().keptOutboxes).toBe(1);
    await eventually(async () => (await gw.service.counts()).clients === 0, 10_000);
    expect(held()).toMatchObject({ keptOutboxes: 0, graceTimers: 0, unsettledDepartures: 0 });
  });

  it('forgotten when the pairing ends while both are away', async () => {
    await bothAwayWithKeptRelays(10_000);
    expect(held().keptOutboxes).toBe(1);
    await expect(gw.service.unpair('A')).resolves.toBe(true);
    expect(held()).toMatchObject({ keptOutboxes: 0, graceTimers: 0 });
  });
});
