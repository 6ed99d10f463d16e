import { afterEach, describe, expect, it } from '@jest/globals';
import type { Socket } from 'socket.io-client';
import { firstValueFrom, filter } from 'rxjs';
import type { P2pErrorPayload, WebRtcConfigPayload } from '../../packages/protocol/src/index.js';
import { type P2pModuleOptions, turnPassword } from '../../packages/server/src/index.js';
import { type GatewayHarness, settle, startGateway, waitFor } from '../support/gateway-harness.js';
import { pairSockets, protocol3Socket } from './webrtc-support.js';

/** Emits `event(...args, ack)` and resolves with what the ack got. */
function request(socket: Socket, event: string, ...args: unknown[]): Promise<unknown[]> {
  return new Promise((resolve) => socket.emit(event, ...args, (...results: unknown[]) => resolve(results)));
}

function codeOf(results: unknown[]): string | undefined {
  return (results[0] as P2pErrorPayload | null)?.code;
}

const OFFER = { type: 'offer', sdp: 'v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\n' };

describe('WebRTC signalling through the gateway', () => {
  let harness: GatewayHarness;

  afterEach(async () => {
    await harness?.close();
  });

  async function pairedPair(options: P2pModuleOptions = { webrtc: {} }, protocol = 3): Promise<{ a: Socket; b: Socket }> {
    harness = await startGateway(options);
    const a = await protocol3Socket(harness, 'A', protocol);
    const b = await protocol3Socket(harness, 'B', protocol);
    await pairSockets(a, b, 'B');
    return { a, b };
  }

  /** Collects every P2P_SIGNAL a socket receives. */
  function inbox(socket: Socket): unknown[] {
    const received: unknown[] = [];
    socket.on('P2P_SIGNAL', (signal: unknown) => received.push(signal));
    return received;
  }

  describe('P2P_SIGNAL', () => {
    it('passes each signal to the peer only, in order, as checked fields plus the sender, and acks null', async () => {
      const { a, b } = await pairedPair();
      const third = await protocol3Socket(harness, 'C');
      const thirdInbox = inbox(third);
      const delivered = inbox(b);
      await expect(request(a, 'P2P_SIGNAL', { ...OFFER, pathId: 'p-1', targetClientId: 'B', smuggled: { x: 1 } })).resolves.toEqual([null]);
      const candidate = { type: 'candidate', candidate: 'candidate:1 1 UDP 1 127.0.0.1 5000 typ host', sdpMid: '0', sdpMLineIndex: 0 };
      await expect(request(a, 'P2P_SIGNAL', candidate)).resolves.toEqual([null]);
      await expect(request(a, 'P2P_SIGNAL', { type: 'bye' })).resolves.toEqual([null]);
      await settle(100);
      expect(delivered).toEqual([
        { ...OFFER, pathId: 'p-1', sourceClientId: 'A' },
        { ...candidate, sourceClientId: 'A' },
        { type: 'bye', sourceClientId: 'A' },
      ]);
      expect(thirdInbox).toEqual([]);
      expect(harness.service.relayStats()).toEqual({ relayedMessages: 0, signals: 3 });
    });

    it('refuses a third client: NOT_PAIRED unpaired, TARGET_NOT_PEER when paired with someone else; the pair hears nothing', async () => {
      const { a, b } = await pairedPair();
      const inboxA = inbox(a);
      const inboxB = inbox(b);
      const c = await protocol3Socket(harness, 'C');
      expect(codeOf(await request(c, 'P2P_SIGNAL', { ...OFFER, targetClientId: 'B' }))).toBe('NOT_PAIRED');
      expect(codeOf(await request(c, 'P2P_SIGNAL', OFFER))).toBe('NOT_PAIRED');
      const d = await protocol3Socket(harness, 'D');
      await pairSockets(c, d, 'D');
      expect(codeOf(await request(c, 'P2P_SIGNAL', { ...OFFER, targetClientId: 'B' }))).toBe('TARGET_NOT_PEER');
      expect(codeOf(await request(c, 'P2P_SIGNAL', { ...OFFER, targetClientId: 'A' }))).toBe('TARGET_NOT_PEER');
      // A member of the pair cannot reach past its peer either.
      expect(codeOf(await request(a, 'P2P_SIGNAL', { ...OFFER, targetClientId: 'C' }))).toBe('TARGET_NOT_PEER');
      // Without an ack, the refusal comes as P2P_ERROR.
      const error = waitFor<[P2pErrorPayload]>(c, 'P2P_ERROR');
      c.emit('P2P_SIGNAL', { ...OFFER, targetClientId: 'B' });
      expect((await error)[0]).toMatchObject({ code: 'TARGET_NOT_PEER', event: 'P2P_SIGNAL' });
      await settle(100);
      expect(inboxA).toEqual([]);
      expect(inboxB).toEqual([]);
      expect(harness.service.relayStats().signals).toBe(0);
    });

    it('stops reaching the old peer once the pairing ended', async () => {
      const { a, b } = await pairedPair();
      const inboxB = inbox(b);
      await request(a, 'P2P_UNREGISTER');
      expect(codeOf(await request(a, 'P2P_SIGNAL', OFFER))).toBe('NOT_PAIRED');
      await settle(100);
      expect(inboxB).toEqual([]);
    });

    it('refuses malformed signals with INVALID_PAYLOAD', async () => {
      const { a } = await pairedPair();
      for (const bad of [
        undefined,
        'offer',
        [OFFER],
        { type: 'rollback' },
        { type: 'offer' },
        { type: 'answer', sdp: 42 },
        { type: 'candidate', candidate: {} },
        { type: 'candidate', candidate: 'x', sdpMLineIndex: -1 },
        { ...OFFER, targetClientId: 7 },
        { ...OFFER, pathId: '' },
        { ...OFFER, pathId: 'x'.repeat(65) },
      ]) {
        expect(codeOf(await request(a, 'P2P_SIGNAL', bad))).toBe('INVALID_PAYLOAD');
      }
    });

    it('is for protocol 3: a protocol 2 pair is refused with UPGRADE_FORBIDDEN', async () => {
      const { a, b } = await pairedPair({ webrtc: {} }, 2);
      const inboxB = inbox(b);
      expect(codeOf(await request(a, 'P2P_SIGNAL', OFFER))).toBe('UPGRADE_FORBIDDEN');
      expect(codeOf(await request(a, 'P2P_WEBRTC_CONFIG'))).toBe('UPGRADE_FORBIDDEN');
      expect(codeOf(await request(a, 'P2P_TRANSPORT', { transport: 'direct' }))).toBe('UPGRADE_FORBIDDEN');
      await settle(100);
      expect(inboxB).toEqual([]);
    });

    it('is off without the webrtc option: signals refused, the config says not allowed', async () => {
      const { a, b } = await pairedPair({});
      const inboxB = inbox(b);
      expect(codeOf(await request(a, 'P2P_SIGNAL', OFFER))).toBe('UPGRADE_FORBIDDEN');
      await expect(request(a, 'P2P_WEBRTC_CONFIG')).resolves.toEqual([null, { allowed: false, iceServers: [] }]);
      await settle(100);
      expect(inboxB).toEqual([]);
    });

    it('counts against the relay message rate (RATE_LIMITED) and the message size (PAYLOAD_TOO_LARGE)', async () => {
      const { a, b } = await pairedPair({ webrtc: {}, limits: { relayMessages: { perSecond: 0.001, burst: 2 }, maxMessageBytes: 1024 } });
      const inboxB = inbox(b);
      expect(codeOf(await request(a, 'P2P_SIGNAL', { type: 'offer', sdp: 'x'.repeat(2000) }))).toBe('PAYLOAD_TOO_LARGE');
      await expect(request(a, 'P2P_SIGNAL', OFFER)).resolves.toEqual([null]);
      expect(codeOf(await request(a, 'P2P_SIGNAL', OFFER))).toBe('RATE_LIMITED');
      await settle(100);
      expect(inboxB).toEqual([{ ...OFFER, sourceClientId: 'A' }]);
    });

    it('follows canUpgrade: asked once per side and peer with (client, peer); false refuses', async () => {
      const asked: string[] = [];
      const { a, b } = await pairedPair({
        webrtc: {
          canUpgrade: (client, peer) => {
            asked.push(`${client.clientId}->${peer.clientId}`);
            return client.clientId === 'A';
          },
        },
      });
      const inboxA = inbox(a);
      const inboxB = inbox(b);
      await expect(request(a, 'P2P_SIGNAL', OFFER)).resolves.toEqual([null]);
      await expect(request(a, 'P2P_SIGNAL', { type: 'bye' })).resolves.toEqual([null]);
      expect(codeOf(await request(b, 'P2P_SIGNAL', OFFER))).toBe('UPGRADE_FORBIDDEN');
      await expect(request(b, 'P2P_WEBRTC_CONFIG')).resolves.toEqual([null, { allowed: false, iceServers: [] }]);
      await expect(request(a, 'P2P_WEBRTC_CONFIG')).resolves.toEqual([null, { allowed: true, iceServers: [] }]);
      await settle(100);
      expect(inboxB).toHaveLength(2);
      expect(inboxA).toEqual([]);
      expect(asked).toEqual(['A->B', 'B->A']);
      // A new peer is a new question.
      await request(a, 'P2P_UNREGISTER');
      const c = await protocol3Socket(harness, 'C');
      await pairSockets(a, c, 'C');
      await expect(request(a, 'P2P_SIGNAL', OFFER)).resolves.toEqual([null]);
      expect(asked).toEqual(['A->B', 'B->A', 'A->C']);
    });

    it('refuses when canUpgrade does not answer within canUpgradeTimeoutMs', async () => {
      const { a, b } = await pairedPair({ webrtc: { canUpgrade: () => new Promise<boolean>(() => undefined), canUpgradeTimeoutMs: 200 } });
      const inboxB = inbox(b);
      expect(codeOf(await request(a, 'P2P_SIGNAL', OFFER))).toBe('UPGRADE_FORBIDDEN');
      await expect(request(a, 'P2P_WEBRTC_CONFIG')).resolves.toEqual([null, { allowed: false, iceServers: [] }]);
      await settle(100);
      expect(inboxB).toEqual([]);
    });
  });

  describe('P2P_WEBRTC_CONFIG', () => {
    it('hands the configured ICE servers and a TURN credential minted for this client, never the secret', async () => {
      const secret = 'shared-turn-secret';
      const { a, b } = await pairedPair({
        webrtc: {
          iceServers: [{ urls: 'stun:127.0.0.1:3478' }],
          turn: { urls: ['turn:127.0.0.1:3478?transport=udp'], secret, ttlSeconds: 600 },
        },
      });
      const before = Math.floor(Date.now() / 1000);
      const [error, config] = (await request(a, 'P2P_WEBRTC_CONFIG')) as [null, WebRtcConfigPayload];
      expect(error).toBeNull();
      expect(config.allowed).toBe(true);
      expect(config.iceServers[0]).toEqual({ urls: 'stun:127.0.0.1:3478' });
      const turn = config.iceServers[1]!;
      expect(turn.urls).toEqual(['turn:127.0.0.1:3478?transport=udp']);
      const [expiry, clientId] = turn.username!.split(':');
      expect(clientId).toBe('A');
      expect(Number(expiry)).toBeGreaterThanOrEqual(before + 600);
      expect(Number(expiry)).toBeLessThanOrEqual(Math.floor(Date.now() / 1000) + 600);
      expect(turn.credential).toBe(turnPassword(secret, turn.username!));
      expect(JSON.stringify(config)).not.toContain(secret);
      const [, configB] = (await request(b, 'P2P_WEBRTC_CONFIG')) as [null, WebRtcConfigPayload];
      expect(configB.iceServers[1]!.username).toMatch(/^\d+:B$/);
    });

    it('answers NOT_PAIRED to a client that is not paired', async () => {
      harness = await startGateway({ webrtc: {} });
      const c = await protocol3Socket(harness, 'C');
      expect(codeOf(await request(c, 'P2P_WEBRTC_CONFIG'))).toBe('NOT_PAIRED');
    });

    it('refuses options that would hand out something broken', async () => {
      const { resolveP2pOptions } = await import('../../packages/server/src/index.js');
      expect(() => resolveP2pOptions({ webrtc: { turn: { urls: 'stun:x', secret: 's' } } })).toThrow(TypeError);
      expect(() => resolveP2pOptions({ webrtc: { turn: { urls: 'turn:x', secret: '' } } })).toThrow(TypeError);
      expect(() => resolveP2pOptions({ webrtc: { turn: { urls: 'turn:x', secret: 's', ttlSeconds: 0 } } })).toThrow(TypeError);
      expect(() => resolveP2pOptions({ webrtc: { iceServers: [{ urls: '' }] } })).toThrow(TypeError);
      expect(() => resolveP2pOptions({ webrtc: { canUpgradeTimeoutMs: 0 } })).toThrow(TypeError);
      expect(resolveP2pOptions({ webrtc: {} }).webrtc).toEqual({ iceServers: [], canUpgradeTimeoutMs: 5000 });
      expect(resolveP2pOptions({}).webrtc).toBeUndefined();
    });
  });

  describe('P2P_TRANSPORT and what the server sees', () => {
    it('records each side in the store: the pairing is direct once both say so, and a new pairing starts on the relay', async () => {
      const { a, b } = await pairedPair();
      const transportEvent = firstValueFrom(harness.service.events$.pipe(filter((event) => event.type === 'transport')));
      await expect(request(a, 'P2P_TRANSPORT', { transport: 'direct' })).resolves.toEqual([null]);
      await expect(transportEvent).resolves.toMatchObject({ type: 'transport', clientId: 'A', peerId: 'B', transport: 'direct' });
      expect((await harness.service.listPairings()).map((p) => p.transport)).toEqual(['relay']);
      await expect(request(b, 'P2P_TRANSPORT', { transport: 'direct' })).resolves.toEqual([null]);
      expect((await harness.service.listPairings()).map((p) => p.transport)).toEqual(['direct']);
      expect((await harness.service.getClient('A'))?.transport).toBe('direct');
      await expect(request(b, 'P2P_TRANSPORT', { transport: 'relay' })).resolves.toEqual([null]);
      expect((await harness.service.listPairings()).map((p) => p.transport)).toEqual(['relay']);
      await expect(request(b, 'P2P_TRANSPORT', { transport: 'direct' })).resolves.toEqual([null]);
      await request(a, 'P2P_UNREGISTER');
      expect((await harness.service.getClient('A'))?.transport).toBeUndefined();
      await pairSockets(a, b, 'B');
      expect((await harness.service.listPairings()).map((p) => p.transport)).toEqual(['relay']);
    });

    it('refuses an unpaired client (NOT_PAIRED) and a bad value (INVALID_PAYLOAD)', async () => {
      const { a } = await pairedPair();
      const c = await protocol3Socket(harness, 'C');
      expect(codeOf(await request(c, 'P2P_TRANSPORT', { transport: 'direct' }))).toBe('NOT_PAIRED');
      expect(codeOf(await request(a, 'P2P_TRANSPORT', { transport: 'carrier-pigeon' }))).toBe('INVALID_PAYLOAD');
      expect(codeOf(await request(a, 'P2P_TRANSPORT', 'direct'))).toBe('INVALID_PAYLOAD');
    });
  });

  describe('relay counter', () => {
    it('counts each application message the gateway relays, and nothing else', async () => {
      const { a, b } = await pairedPair();
      b.on('question', (_text: string, reply: (answer: string) => void) => reply('yes'));
      const got = waitFor(b, 'chat');
      a.emit('P2P_EMIT', { event: 'chat', args: ['hi'] });
      await got;
      await expect(request(a, 'P2P_EMIT_ACKNOWLEDGE', { event: 'question', args: ['ok?'] })).resolves.toEqual([null, 'yes']);
      // Refused relays are not relayed.
      expect(codeOf(await request(a, 'P2P_EMIT', { event: 'P2P_SIGNAL' }))).toBe('RESERVED_EVENT');
      await request(a, 'P2P_SIGNAL', OFFER);
      await request(a, 'LIST_CLIENTS');
      expect(harness.service.relayStats()).toEqual({ relayedMessages: 2, signals: 1 });
    });
  });
});
