import { afterEach, describe, expect, it } from '@jest/globals';
import type { Socket } from 'socket.io-client';
import type { P2pAuthenticateHook } from '../../packages/server/src/index.js';
import { type GatewayHarness, startGateway, waitFor } from '../support/gateway-harness.js';
import {
  connectRaw,
  connectRawV2,
  emitWithAck,
  eventually,
  pairRaw,
  recordEvents,
  refusalOf,
  roundTrip,
  watchNothing,
} from '../support/wire.js';
import { authSocket, collect, connectWithAuth, relay, wireError } from './security-support.js';

describe('security: a client relays only to its current peer', () => {
  let gw: GatewayHarness;
  let a: Socket;
  let b: Socket;
  let c: Socket;
  afterEach(() => gw.close());

  async function threeClients() {
    gw = await startGateway({ limits: { disconnectAfterViolations: false } });
    b = await connectRawV2(gw, 'B');
    c = await connectRawV2(gw, 'C');
    a = await connectRawV2(gw, 'A');
  }

  it('refuses a relay from an unpaired client whatever target it names; nobody receives it', async () => {
    await threeClients();
    const logs = [b, c].map(recordEvents);
    expect(await relay(a, 'chat', ['hi'], 'B')).toEqual(wireError('NOT_PAIRED'));
    expect(await relay(a, 'chat', ['hi'])).toEqual(wireError('NOT_PAIRED'));
    await Promise.all([b, c].map(roundTrip)); // anything sent to them before has arrived
    expect(logs).toEqual([[], []]);
  });

  it('refuses a relay naming anyone but the peer; neither the named client nor the peer receives it', async () => {
    await threeClients();
    await pairRaw(a, b, 'B');
    const spoofs: unknown[] = ['C', 'A', 'b', 'B ', '', '*', 'C\u0000B'];
    const logs = [b, c].map(recordEvents);
    for (const target of spoofs) {
      const [error] = await emitWithAck(a, 'P2P_EMIT', { targetClientId: target, event: 'chat', args: ['spoof'] });
      expect(error).toEqual(wireError('TARGET_NOT_PEER', 'P2P_EMIT'));
    }
    const [acked] = await emitWithAck(a, 'P2P_EMIT_ACKNOWLEDGE', { targetClientId: 'C', event: 'chat', args: [] });
    expect(acked).toEqual(wireError('TARGET_NOT_PEER', 'P2P_EMIT_ACKNOWLEDGE'));
    await Promise.all([b, c].map(roundTrip)); // anything sent to them before has arrived
    expect(logs).toEqual([[], []]);
  });

  it('cuts the relay off at unpairing, and a new pairing relays only to the new peer', async () => {
    await threeClients();
    await pairRaw(a, b, 'B');
    expect(await emitWithAck(a, 'P2P_UNREGISTER')).toEqual([true]);
    expect(await relay(a, 'chat', ['after unpair'], 'B')).toEqual(wireError('NOT_PAIRED'));
    expect(await relay(b, 'chat', ['after unpair'], 'A')).toEqual(wireError('NOT_PAIRED'));

    await pairRaw(a, c, 'C');
    const atB = collect(b, 'chat');
    const atC = collect(c, 'chat');
    expect(await relay(a, 'chat', ['to old peer'], 'B')).toEqual(wireError('TARGET_NOT_PEER'));
    expect(await relay(b, 'chat', ['from old peer'], 'A')).toEqual(wireError('NOT_PAIRED'));
    expect(await relay(a, 'chat', ['to new peer'])).toBeNull();
    await Promise.all([b, c].map(roundTrip));
    expect(atB).toEqual([]);
    expect(atC).toEqual([['to new peer']]);
  });

  it('does not relay to a newcomer that took the old peer id after the peer left', async () => {
    await threeClients();
    await pairRaw(a, b, 'B');
    const told = waitFor(a, 'P2P_DISCONNECT');
    b.disconnect();
    expect(await told).toEqual(['B', 'DISCONNECTED']);
    await eventually(async () => (await gw.service.getClient('B')) === undefined);
    const newB = await connectRawV2(gw, 'B');
    const log = recordEvents(newB);
    expect(await relay(a, 'chat', ['stale'], 'B')).toEqual(wireError('NOT_PAIRED'));
    await roundTrip(newB);
    expect(log).toEqual([]);
  });
});

describe('security: a client cannot appear as another id', () => {
  let gw: GatewayHarness;
  afterEach(() => gw.close());

  it('delivers only the event and args a sender passed: extra payload fields never reach the peer', async () => {
    gw = await startGateway();
    const b = await connectRaw(gw, 'B');
    const a = await connectRaw(gw, 'A');
    await pairRaw(a, b, 'B');
    const seen = collect(b, 'chat');
    a.emit('P2P_EMIT', { event: 'chat', args: ['hello'], sourceClientId: 'C', from: 'C', clientId: 'C' });
    await eventually(() => seen.length === 1);
    expect(seen).toEqual([['hello']]);
  });

  it('refuses to relay protocol events that would fake a pairing request or a notice from someone else', async () => {
    gw = await startGateway();
    const b = await connectRawV2(gw, 'B');
    const a = await connectRawV2(gw, 'A');
    await pairRaw(a, b, 'B');
    const log = recordEvents(b);
    for (const event of ['P2P_REGISTER', 'P2P_DISCONNECT', 'P2P_ERROR', 'P2P_REGISTER_SUCCESS', 'connect', 'disconnect']) {
      expect(await relay(a, event, ['C'])).toEqual(wireError('RESERVED_EVENT'));
    }
    await roundTrip(b);
    expect(log).toEqual([]);
  });

  it("names the source in P2P_REGISTER by the connection's own id, whatever the request carries", async () => {
    gw = await startGateway();
    const b = await connectRaw(gw, 'B');
    const c = await connectRaw(gw, 'C');
    // A claims to be C everywhere a request could carry it: in its handshake auth and in extra request arguments.
    const forged = { sourceClientId: 'C', from: 'C', clientId: 'C' };
    const a = await connectRaw(gw, 'A', { auth: { sourceClientId: 'C', from: 'C' } });
    const atC = watchNothing([c]);
    const asked = waitFor(b, 'P2P_REGISTER');
    const answer = emitWithAck(a, 'P2P_REGISTER', 'B', forged, 'C');
    expect(await asked).toEqual(['A']);
    expect(await emitWithAck(b, 'P2P_REGISTER_SUCCESS', 'A')).toEqual([true]);
    expect(await answer).toEqual([true]);
    expect(await gw.service.peerOf('B')).toBe('A');
    expect(await gw.service.peerOf('C')).toBeUndefined();
    await atC.verify();
  });

  it('does not let a target consent on behalf of a source that never asked', async () => {
    gw = await startGateway();
    const b = await connectRaw(gw, 'B');
    const c = await connectRaw(gw, 'C');
    const log = recordEvents(c);
    expect(await emitWithAck(b, 'P2P_REGISTER_SUCCESS', 'C')).toEqual([false, wireError('NO_PENDING_REQUEST')]);
    expect(await gw.service.peerOf('B')).toBeUndefined();
    await roundTrip(c);
    expect(log).toEqual([]);
  });

  it('with authenticate, sources are named by the authenticated id; a forged claim is refused at the handshake', async () => {
    const tokens: Record<string, string> = { 't-a': 'alice', 't-b': 'bob' };
    const authenticate: P2pAuthenticateHook = (hs) => tokens[String((hs.auth as { token?: unknown }).token)] ?? null;
    gw = await startGateway({ authenticate });
    const bob = await connectWithAuth(gw, { token: 't-b' });
    expect((await refusalOf(authSocket(gw, { token: 't-a', clientId: 'carol' }))).data?.code).toBe('UNAUTHORIZED');
    const alice = await connectWithAuth(gw, { token: 't-a' });
    const asked = waitFor(bob, 'P2P_REGISTER');
    const answer = emitWithAck(alice, 'P2P_REGISTER', 'bob');
    expect(await asked).toEqual(['alice']);
    expect(await emitWithAck(bob, 'P2P_REGISTER_SUCCESS', 'alice')).toEqual([true]);
    expect(await answer).toEqual([true]);
  });
});
