import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import nodeDataChannel from 'node-datachannel';
import type { Redis } from 'ioredis';
import { type Socket, io } from 'socket.io-client';
import type { P2pModuleOptions } from '../../packages/server/src/index.js';
import { type GatewayHarness, connectClient, settle, startGateway, waitFor } from '../support/gateway-harness.js';
import { REDIS_URL, connectTestRedis, deleteKeysOf, uniqueKeyPrefix } from '../support/redis.js';
import { emitWithAck, whenConnected, pairAndRead } from '../support/wire.js';
import { LOOPBACK_CONFIG, recordingPeerConnections, until } from './webrtc-support.js';

/**
 * Issue 20 §6: a client tells the gateway at handshake that it upgrades pairings to WebRTC (`auth.p2pWebRtc`), the
 * pairing tells each side whether its peer did (PeerInfo's `peerWebRtc`, to clients that declared it only), and
 * P2pClient tries a direct path only when both did: with one side on, no offer is ever sent.
 */
describe('WebRTC capability in the pairing’s peer info', () => {
  let harness: GatewayHarness;
  let redis: Redis;
  const keyPrefixes: string[] = [];

  beforeAll(async () => {
    redis = await connectTestRedis();
  });

  afterEach(async () => {
    await harness.close();
  });

  afterAll(async () => {
    for (const keyPrefix of keyPrefixes) await deleteKeysOf(redis, keyPrefix);
    await redis.quit();
    nodeDataChannel.cleanup();
  });

  async function start(store: 'memory' | 'redis', options: P2pModuleOptions = {}): Promise<void> {
    const keyPrefix = uniqueKeyPrefix('webrtc-capability');
    keyPrefixes.push(keyPrefix);
    harness = await startGateway({
      webrtc: {},
      reconnectGraceMs: 5_000,
      ...(store === 'redis' ? { redis: { url: REDIS_URL, keyPrefix } } : {}),
      ...options,
    });
  }

  /** A raw socket: protocol `protocol`, with `p2pWebRtc` in its auth when `webrtc`. */
  function raw(clientId: string, protocol: number, webrtc: boolean, sessionToken = `token-${clientId}`): Socket {
    const auth = { clientId, sessionToken, p2pProtocol: protocol, ...(webrtc ? { p2pWebRtc: true } : {}) };
    const socket = io(harness.url, { auth, transports: ['websocket'], reconnection: false, forceNew: true });
    harness.sockets.push(socket);
    return socket;
  }

  describe.each(['memory', 'redis'] as const)('gateway with the %s store', (store) => {
    it('tells each side whether its peer declared WebRTC, and only a side that declared it itself', async () => {
      await start(store);
      const [a, b, c, d] = await Promise.all(
        [raw('A', 3, true), raw('B', 3, true), raw('C', 3, true), raw('D', 3, false)].map((socket) => whenConnected(socket)),
      );
      expect(await pairAndRead(a!, b!, 'B')).toEqual({
        toSource: { peerProtocol: 3, peerWebRtc: true },
        toTarget: { peerProtocol: 3, peerWebRtc: true },
      });
      // One side on: it learns that its peer is not; the other side, which never declared it, sees no new field.
      expect(await pairAndRead(c!, d!, 'D')).toEqual({ toSource: { peerProtocol: 3, peerWebRtc: false }, toTarget: { peerProtocol: 3 } });
    });

    it('protocol 1 and 2 clients never see the field, even when they put p2pWebRtc in their auth', async () => {
      await start(store);
      const [a, b, c, d] = await Promise.all(
        [raw('A', 2, true), raw('B', 3, true), raw('C', 3, true), raw('D', 1, true)].map((socket) => whenConnected(socket)),
      );
      // A protocol 2 source gets `ack(true)` only; its protocol 3 target learns its version, and that it is not on.
      const asked = waitFor<unknown[]>(b!, 'P2P_REGISTER');
      const answer = emitWithAck(a!, 'P2P_REGISTER', 'B');
      const [sourceId, toTarget] = await asked;
      expect(toTarget).toEqual({ peerProtocol: 2, peerWebRtc: false });
      await emitWithAck(b!, 'P2P_REGISTER_SUCCESS', sourceId);
      expect(await answer).toEqual([true]);
      // A protocol 1 target is asked as the original plugin asked: the source id alone.
      const askedD = waitFor<unknown[]>(d!, 'P2P_REGISTER');
      const answerC = emitWithAck(c!, 'P2P_REGISTER', 'D');
      expect(await askedD).toEqual(['C']);
      d!.emit('P2P_REGISTER_SUCCESS', 'C');
      expect((await answerC)[2]).toEqual({ peerProtocol: 1, peerWebRtc: false });
    });

    it('a resumed session hears it again in P2P_SESSION', async () => {
      await start(store);
      const [a, b] = await Promise.all([raw('A', 3, true), raw('B', 3, true)].map((socket) => whenConnected(socket)));
      await pairAndRead(a!, b!, 'B');
      // A new connection of A's session takes the pairing over.
      const fresh = raw('A', 3, true);
      const [session] = await waitFor<[Record<string, unknown>]>(fresh, 'P2P_SESSION');
      expect(session).toMatchObject({ resumed: true, peerId: 'B', peerProtocol: 3, peerWebRtc: true });
      // Taken over by a connection that no longer declares it: no field for it, and B's view of A follows.
      const plain = raw('A', 3, false);
      const [plainSession] = await waitFor<[Record<string, unknown>]>(plain, 'P2P_SESSION');
      expect(plainSession).toMatchObject({ resumed: true, peerId: 'B', peerProtocol: 3 });
      expect(plainSession).not.toHaveProperty('peerWebRtc');
      const bAgain = raw('B', 3, true);
      const [bSession] = await waitFor<[Record<string, unknown>]>(bAgain, 'P2P_SESSION');
      expect(bSession).toMatchObject({ resumed: true, peerId: 'A', peerWebRtc: false });
    });
  });

  describe('P2pClient', () => {
    /** A P2pClient with webrtc on or off; counts its WebRTC requests and the peer connections it made. */
    async function client(clientId: string, webrtc: boolean) {
      const { RTCPeerConnection: Recorded, connections } = recordingPeerConnections();
      const p2p = await connectClient(harness, clientId, {
        webrtc: webrtc && {
          RTCPeerConnection: Recorded,
          peerConnectionConfig: LOOPBACK_CONFIG,
          backoff: { initialDelayMs: 100, maxDelayMs: 200 },
          connectTimeoutMs: 1_000,
        },
      });
      const webrtcRequests: string[] = [];
      p2p.socket.onAnyOutgoing((event: string) => {
        if (event === 'P2P_SIGNAL' || event === 'P2P_WEBRTC_CONFIG') webrtcRequests.push(event);
      });
      const got: number[] = [];
      p2p.socket.on('n', (n: number) => got.push(n));
      return { p2p, connections, webrtcRequests, got };
    }

    it.each([
      ['the offerer (smaller id)', true, false],
      ['the answerer', false, true],
    ])('with WebRTC on for %s only, nothing is ever tried: no offer, no signal, no peer connection', async (_side, aOn, bOn) => {
      await start('memory');
      const alice = await client('A', aOn);
      const bob = await client('B', bOn);
      const paired = waitFor(bob.p2p, 'paired');
      await alice.p2p.pair('B');
      await paired;
      for (let n = 1; n <= 20; n++) alice.p2p.emit('n', n);
      await until(() => bob.got.length === 20, 'the messages over the relay');
      expect(bob.got).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
      // Long enough for several attempts at the backoff above (100 to 200 ms), had any been started.
      await settle(1_500);
      expect(alice.webrtcRequests).toEqual([]);
      expect(bob.webrtcRequests).toEqual([]);
      expect(harness.service.relayStats().signals).toBe(0);
      expect(alice.connections).toHaveLength(0);
      expect(bob.connections).toHaveLength(0);
      expect(alice.p2p.transport).toBe('relay');
      expect(bob.p2p.transport).toBe('relay');
    });

    it('with WebRTC on for both, the pairing upgrades', async () => {
      await start('memory');
      const alice = await client('A', true);
      const bob = await client('B', true);
      const paired = waitFor(bob.p2p, 'paired');
      await alice.p2p.pair('B');
      await paired;
      await until(() => alice.p2p.transport === 'direct' && bob.p2p.transport === 'direct', 'both sides direct', 30_000);
      expect(harness.service.relayStats().signals).toBeGreaterThan(0);
      for (let n = 1; n <= 20; n++) alice.p2p.emit('n', n);
      await until(() => bob.got.length === 20, 'the messages over the data channel');
      expect(bob.got).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    });
  });
});
