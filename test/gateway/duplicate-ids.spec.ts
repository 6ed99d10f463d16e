import { afterEach, describe, expect, it } from '@jest/globals';
import { io } from 'socket.io-client';
import { P2pClient } from '../../packages/client/src/index.js';
import { type GatewayHarness, connectClient, rawSocket, startGateway, waitFor } from '../support/gateway-harness.js';
import {
  connectRaw,
  eventually,
  expectHealthyPair,
  expectNoEvent,
  listClients,
  pairRaw,
  refusalOf,
  states,
  whenConnected,
} from '../support/wire.js';

function withToken(gw: GatewayHarness, clientId: string, sessionToken: string) {
  return rawSocket(gw, {}, { auth: { clientId, sessionToken } });
}

describe('gateway: duplicate clientIds', () => {
  let gw: GatewayHarness;
  afterEach(() => gw.close());

  describe("with the default 'refuse' policy", () => {
    it('refuses a second socket without a token with CLIENT_ID_TAKEN; the first keeps working', async () => {
      gw = await startGateway();
      const first = await connectRaw(gw, 'A');
      const b = await connectRaw(gw, 'B');
      const error = await refusalOf(rawSocket(gw, { clientId: 'A' }));
      expect(error.data).toEqual({ code: 'CLIENT_ID_TAKEN', message: expect.any(String) });
      expect(first.connected).toBe(true);
      await pairRaw(first, b, 'B');
      await expectHealthyPair(first, b, 'B');
    });

    it('refuses a second socket presenting a different session token', async () => {
      gw = await startGateway();
      const first = await whenConnected(withToken(gw, 'A', 'token-1'));
      const error = await refusalOf(withToken(gw, 'A', 'token-2'));
      expect(error.data?.code).toBe('CLIENT_ID_TAKEN');
      expect(first.connected).toBe(true);
      expect(await listClients(first)).toEqual(['A']);
    });

    it('refuses a tokenless newcomer even when the holder has a token', async () => {
      gw = await startGateway();
      const first = await whenConnected(withToken(gw, 'A', 'token-1'));
      expect((await refusalOf(rawSocket(gw, { clientId: 'A' }))).data?.code).toBe('CLIENT_ID_TAKEN');
      expect(first.connected).toBe(true);
    });

    it('lets the same session token take over a paired id: old socket dropped, pairing resumed, peer undisturbed', async () => {
      gw = await startGateway();
      const old = await whenConnected(withToken(gw, 'A', 'secret'));
      const b = await connectRaw(gw, 'B');
      await pairRaw(old, b, 'B');

      const oldDropped = waitFor(old, 'disconnect');
      const fresh = await whenConnected(withToken(gw, 'A', 'secret'));

      expect((await oldDropped)[0]).toBe('io server disconnect');
      await expectNoEvent(b, 'P2P_DISCONNECT');
      expect(await states(gw)).toEqual({ A: 'paired', B: 'paired' });
      expect(await gw.service.peerOf('A')).toBe('B');
      await expectHealthyPair(fresh, b, 'B');
    });

    it('lets the same session token take over a free id: the newcomer starts free', async () => {
      gw = await startGateway();
      const old = await whenConnected(withToken(gw, 'A', 'secret'));
      const b = await connectRaw(gw, 'B');
      const oldDropped = waitFor(old, 'disconnect');
      const fresh = await whenConnected(withToken(gw, 'A', 'secret'));
      expect((await oldDropped)[0]).toBe('io server disconnect');
      expect(await states(gw)).toEqual({ A: 'free', B: 'free' });
      await pairRaw(fresh, b, 'B');
      await expectHealthyPair(fresh, b, 'B');
    });

    it('lets a P2pClient reconnecting with its session token take its id back, paired as before', async () => {
      gw = await startGateway();
      const old = await connectClient(gw, 'A', { sessionToken: 'kept-token' });
      const b = await connectClient(gw, 'B');
      await old.pair('B');
      const freshSocket = io(gw.url, { transports: ['websocket'], reconnection: false, forceNew: true, autoConnect: false });
      gw.sockets.push(freshSocket);
      const fresh = new P2pClient(freshSocket, { clientId: 'A', sessionToken: 'kept-token' });
      const freshPaired = waitFor(fresh, 'paired');
      freshSocket.connect();
      expect(await freshPaired).toEqual(['B']);
      expect(fresh.state).toBe('paired');
      await eventually(() => !old.socket.connected);
      expect(old.state).toBe('idle');
      expect(b.state).toBe('paired');
      const received = waitFor(b.socket, 'hello');
      fresh.emit('hello', 1);
      expect(await received).toEqual([1]);
    });

    it('refuses a P2pClient with another random token for a taken id', async () => {
      gw = await startGateway();
      const holder = await connectClient(gw, 'A');
      const socket = io(gw.url, { transports: ['websocket'], reconnection: false, forceNew: true, autoConnect: false });
      gw.sockets.push(socket);
      const second = new P2pClient(socket, { clientId: 'A' });
      socket.connect();
      expect((await refusalOf(second.socket)).data?.code).toBe('CLIENT_ID_TAKEN');
      expect(holder.socket.connected).toBe(true);
      expect(await holder.listClients()).toEqual(['A']);
    });

    it('frees the id once its holder disconnects', async () => {
      gw = await startGateway();
      const first = await connectRaw(gw, 'A');
      first.disconnect();
      await eventually(async () => (await gw.service.getClient('A')) === undefined);
      const second = await connectRaw(gw, 'A');
      expect(await listClients(second)).toEqual(['A']);
    });
  });

  describe("with duplicateClientId: 'replace'", () => {
    it('lets the newest socket win without a token; the old one is dropped and its peer told REPLACED', async () => {
      gw = await startGateway({ duplicateClientId: 'replace' });
      const old = await connectRaw(gw, 'A');
      const b = await connectRaw(gw, 'B');
      await pairRaw(old, b, 'B');
      const oldDropped = waitFor(old, 'disconnect');
      const peerTold = waitFor(b, 'P2P_DISCONNECT');

      const fresh = await connectRaw(gw, 'A');

      expect(await peerTold).toEqual(['A', 'REPLACED']);
      await oldDropped;
      expect(old.connected).toBe(false);
      expect(await listClients(fresh)).toEqual(['A', 'B']);
      await pairRaw(fresh, b, 'B');
      await expectHealthyPair(fresh, b, 'B');
    });

    it('does not tell anyone when an idle holder is replaced', async () => {
      gw = await startGateway({ duplicateClientId: 'replace' });
      await connectRaw(gw, 'A');
      const b = await connectRaw(gw, 'B');
      await connectRaw(gw, 'A');
      await expectNoEvent(b, 'P2P_DISCONNECT');
      expect(await states(gw)).toEqual({ A: 'free', B: 'free' });
    });
  });
});
