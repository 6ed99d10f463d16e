/// <reference path="../support/socket.io-client-v2.d.ts" />
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import ioV2, { type V2Socket } from 'socket.io-client-v2';
import { type GatewayHarness, connectClient, startGateway, waitFor } from '../support/gateway-harness.js';
import { eventually } from '../support/eventually.js';
import { emitWithAck, replayOriginalScenario } from './original-scenario.js';

describe('original protocol over socket.io-client 2.x (allowEIO3)', () => {
  let gw: GatewayHarness;
  const v2Sockets: V2Socket[] = [];

  function openV2(clientId: string): V2Socket {
    const socket = ioV2(`${gw.url}?clientId=${encodeURIComponent(clientId)}`, {
      transports: ['websocket'],
      forceNew: true,
      reconnection: false,
    });
    v2Sockets.push(socket);
    return socket;
  }

  async function connectV2(clientId: string): Promise<V2Socket> {
    const socket = openV2(clientId);
    await waitFor(socket, 'connect');
    return socket;
  }

  beforeEach(async () => {
    gw = await startGateway({ pairTimeoutMs: 2000, ackTimeoutMs: 2000 });
  });
  afterEach(async () => {
    for (const socket of v2Sockets.splice(0)) socket.close();
    await gw.close();
  });

  it('replays the original README scenario', async () => {
    const b = await connectV2('B');
    const a = await connectV2('A');
    await replayOriginalScenario(a, b);
    await expect(gw.service.getClient('A')).resolves.toMatchObject({ state: 'free', protocolVersion: 1 });
  });

  it('answers LIST_CLIENTS(cb) with a string[] of clientIds', async () => {
    const a = await connectV2('A');
    await connectV2('B');
    const [list] = await emitWithAck(a, 'LIST_CLIENTS');
    expect([...(list as string[])].sort()).toEqual(['A', 'B']);
  });

  it("refuses a bad or taken id with an 'error' event carrying the code", async () => {
    const bad = openV2('no spaces allowed');
    const [badError] = await waitFor<[{ code: string; message: string }]>(bad, 'error');
    expect(badError).toMatchObject({ code: 'INVALID_CLIENT_ID', message: expect.any(String) });
    await connectV2('A');
    const dup = openV2('A');
    await expect(waitFor(dup, 'error')).resolves.toEqual([expect.objectContaining({ code: 'CLIENT_ID_TAKEN' })]);
    expect(bad.connected || dup.connected).toBe(false);
    await expect(gw.service.counts()).resolves.toMatchObject({ clients: 1 });
  });

  it('two original clients asking each other at once both get ack(true), and no P2P_ERROR (crossing requests)', async () => {
    for (let i = 0; i < 20; i++) {
      const [aId, bId] = [`xa${i}`, `xb${i}`];
      const [a, b] = await Promise.all([connectV2(aId), connectV2(bId)]);
      const unexpected: unknown[] = [];
      for (const socket of [a, b]) {
        socket.on('P2P_REGISTER', () => socket.emit('P2P_REGISTER_SUCCESS'));
        socket.on('P2P_ERROR', (error: unknown) => unexpected.push(error));
        socket.on('P2P_DISCONNECT', (...args: unknown[]) => unexpected.push(args));
      }
      const answers = await Promise.all([emitWithAck(a, 'P2P_REGISTER', bId), emitWithAck(b, 'P2P_REGISTER', aId)]);
      expect(answers).toEqual([[true], [true]]);
      // A round trip each: a late consent's answer, had there been one, has arrived.
      await Promise.all([emitWithAck(a, 'LIST_CLIENTS'), emitWithAck(b, 'LIST_CLIENTS')]);
      expect(unexpected).toEqual([]);
      await expect(gw.service.peerOf(aId)).resolves.toBe(bId);
      await expect(gw.service.peerOf(bId)).resolves.toBe(aId);
    }
    await expect(gw.service.counts()).resolves.toEqual({ clients: 40, pairings: 20, pendingRequests: 0 });
  });

  it('an original client and a P2pClient asking each other at once pair, both answered success', async () => {
    const old = await connectV2('old');
    const modern = await connectClient(gw, 'modern', { consent: () => false });
    old.on('P2P_REGISTER', () => old.emit('P2P_REGISTER_SUCCESS'));
    const [fromOld] = await Promise.all([emitWithAck(old, 'P2P_REGISTER', 'modern'), modern.pair('old')]);
    expect(fromOld).toEqual([true]);
    expect([modern.state, modern.peerId]).toEqual(['paired', 'old']);
    await expect(gw.service.peerOf('old')).resolves.toBe('modern');
    await expect(gw.service.counts()).resolves.toMatchObject({ pairings: 1, pendingRequests: 0 });
  });

  it('pairs with a P2pClient either way and relays both ways', async () => {
    const old = await connectV2('old');
    const modern = await connectClient(gw, 'modern');
    old.on('P2P_REGISTER', () => old.emit('P2P_REGISTER_SUCCESS'));
    old.on('hello', (text: string, callback: (reply: string) => void) => callback(`${text} back`));

    await modern.pair('old');
    await expect(modern.emitWithAck('hello', 'hi')).resolves.toBe('hi back');
    const fromOld = waitFor(modern.socket, 'news');
    old.emit('P2P_EMIT', { targetClientId: 'modern', event: 'news', args: [1, { two: 2 }] });
    await expect(fromOld).resolves.toEqual([1, { two: 2 }]);
    const oldTold = waitFor(old, 'P2P_DISCONNECT');
    await modern.unpair();
    await expect(oldTold).resolves.toEqual(['modern', 'UNREGISTERED']);

    await expect(emitWithAck(old, 'P2P_REGISTER', 'modern')).resolves.toEqual([true]);
    await expect(gw.service.peerOf('modern')).resolves.toBe('old');
    // The P2pClient learns it is paired from the ack of its own consent, which may land after the source's ack.
    await eventually(() => expect(modern.peerId).toBe('old'));
  });
});
