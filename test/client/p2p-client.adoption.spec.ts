import { afterEach, describe, expect, it } from '@jest/globals';
import { io } from 'socket.io-client';
import { P2pClient, P2pError, randomSessionToken } from '../../packages/client/src/index.js';
import { type GatewayHarness, connectClient, settle, startGateway, waitFor } from '../support/gateway-harness.js';

describe('P2pClient: what a new user runs into', () => {
  let gw: GatewayHarness | undefined;
  afterEach(async () => {
    await gw?.close();
    gw = undefined;
  });

  describe('a namespace with no gateway', () => {
    it('reports NO_GATEWAY on `error`, naming the namespace, and later requests reject with it at once', async () => {
      gw = await startGateway({ namespace: '/p2p' });
      // The URL names no namespace: '/' exists on every Socket.IO server, so the socket connects, but nobody answers.
      const socket = io(gw.url, { transports: ['websocket'], reconnection: false, forceNew: true, autoConnect: false });
      gw.sockets.push(socket);
      const client = new P2pClient(socket, { clientId: 'lost', sessionTimeoutMs: 1000 });
      const reported = waitFor<[P2pError]>(client, 'error', 15_000);
      socket.connect();
      const [error] = await reported;
      expect(error).toBeInstanceOf(P2pError);
      expect(error.code).toBe('NO_GATEWAY');
      expect(error.message).toContain('namespace "/"');
      // Far below the 10 s REQUEST_TIMEOUT this would otherwise end in.
      const started = Date.now();
      await expect(client.listClients()).rejects.toMatchObject({ code: 'NO_GATEWAY' });
      expect(Date.now() - started).toBeLessThan(5000);
      client.dispose();
    });

    it('stays quiet when the gateway answers', async () => {
      gw = await startGateway();
      const client = await connectClient(gw, 'found', { sessionTimeoutMs: 300 });
      const errors: P2pError[] = [];
      client.on('error', (error) => errors.push(error));
      await expect(client.listClients()).resolves.toEqual(['found']);
      await settle(1500);
      expect(errors).toEqual([]);
    });
  });

  describe("'request-withdrawn' on the asked side", () => {
    it('fires with PAIR_TIMEOUT when the request times out before the consent answered; the late answer changes nothing', async () => {
      gw = await startGateway({ pairTimeoutMs: 500 });
      let answerConsent: (accepted: boolean) => void = () => undefined;
      const target = await connectClient(gw, 'B', { consent: () => new Promise<boolean>((resolve) => (answerConsent = resolve)) });
      const source = await connectClient(gw, 'A');
      const withdrawn = waitFor(target, 'request-withdrawn', 10_000);
      await expect(source.pair('B')).rejects.toMatchObject({ code: 'PAIR_TIMEOUT' });
      expect(await withdrawn).toEqual(['A', 'PAIR_TIMEOUT']);
      expect(target.state).toBe('idle');
      answerConsent(true);
      await settle(300);
      expect([target.state, source.state]).toEqual(['idle', 'idle']);
      await expect(gw.service.peerOf('B')).resolves.toBeUndefined();
    });

    it('fires with DISCONNECTED when the source leaves while the target is being asked', async () => {
      gw = await startGateway();
      const target = await connectClient(gw, 'B', { consent: () => new Promise<boolean>(() => undefined) });
      const source = await connectClient(gw, 'A');
      const asked = waitFor(target, 'request');
      const withdrawn = waitFor(target, 'request-withdrawn', 10_000);
      void source.pair('B').catch(() => undefined);
      await asked;
      source.socket.disconnect();
      expect(await withdrawn).toEqual(['A', 'DISCONNECTED']);
      expect(target.state).toBe('idle');
    });

    it('does not fire when the target answers', async () => {
      gw = await startGateway();
      let accept = false;
      const target = await connectClient(gw, 'B', { consent: () => accept });
      const source = await connectClient(gw, 'A');
      let fired = 0;
      target.on('request-withdrawn', () => fired++);
      await expect(source.pair('B')).rejects.toMatchObject({ code: 'PAIR_REFUSED' });
      accept = true;
      await source.pair('B');
      await source.unpair();
      await settle(200);
      expect(fired).toBe(0);
    });
  });

  describe('the session token', () => {
    it('uses crypto.getRandomValues where randomUUID is missing (pages over plain http)', () => {
      const webCrypto = globalThis.crypto;
      const onlyRandomValues = { getRandomValues: webCrypto.getRandomValues.bind(webCrypto) };
      const tokens = new Set(Array.from({ length: 50 }, () => randomSessionToken(onlyRandomValues)));
      expect(tokens.size).toBe(50);
      for (const token of tokens) expect(token).toMatch(/^[0-9a-f]{32}$/);
    });

    it('uses randomUUID when there is one, and refuses to guess without Web Crypto', () => {
      expect(randomSessionToken(globalThis.crypto)).toMatch(/^[0-9a-f-]{36}$/);
      expect(() => randomSessionToken({})).toThrow(/pass options.sessionToken/);
    });
  });
});
