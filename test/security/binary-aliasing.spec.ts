/// <reference path="../support/socket.io-client-v2.d.ts" />
import { afterEach, describe, expect, it } from '@jest/globals';
import ioV2, { type V2Socket } from 'socket.io-client-v2';
import type { EventEmitter } from 'node:events';
import type { P2pModuleOptions } from '../../packages/server/src/index.js';
import { P2P_GATEWAY } from '../../packages/server/src/tokens/p2p.constants.js';
import type { P2pGatewayBase } from '../../packages/server/src/gateway/p2p.gateway.js';
import { type GatewayHarness, rawSocket, startGateway, waitFor } from '../support/gateway-harness.js';
import { RawEngineSocket, placeholder } from '../support/raw-engine-socket.js';
import { eventually, whenConnected } from '../support/wire.js';

/*
 * The attacker writes its frames by hand (RawEngineSocket): one attachment that its placeholders name N times, which
 * Socket.IO's encoder would send on as N attachments. Victims are real socket.io-client 4 and 2.x sockets, whose
 * parsers refuse more than 10 attachments (4.x drops its connection, 2.x throws uncaught in Node: Jest would fail).
 */

const KIB = 1024;

/** What a victim is: a socket.io-client 4 (protocol 2) or 2.x (original protocol) socket, seen through what tests use. */
interface Victim {
  readonly kind: 'v4' | 'v2';
  readonly connected: () => boolean;
  on(event: string, listener: (...args: any[]) => void): void;
  emit(event: string, ...args: unknown[]): void;
  /** Every disconnect reason seen. */
  readonly drops: string[];
  close(): void;
}

function aliasedArgs(times: number): unknown[] {
  return [Array.from({ length: times }, () => placeholder(0))];
}

function distinctArgs(count: number): unknown[] {
  return [Array.from({ length: count }, (_, n) => placeholder(n))];
}

function codeOf(value: unknown): unknown {
  return (value as { code?: unknown } | null | undefined)?.code ?? value;
}

describe('security: aliased and numerous binary values', () => {
  let gw: GatewayHarness;
  const victims: Victim[] = [];
  const attackers: RawEngineSocket[] = [];
  afterEach(async () => {
    for (const victim of victims.splice(0)) victim.close();
    for (const attacker of attackers.splice(0)) attacker.close();
    await gw.close();
  });

  async function openVictim(kind: 'v4' | 'v2', clientId: string): Promise<Victim> {
    const drops: string[] = [];
    let victim: Victim;
    if (kind === 'v4') {
      const socket = await whenConnected(rawSocket(gw, {}, { auth: { clientId, p2pProtocol: 2 } }));
      socket.on('disconnect', (reason) => void drops.push(reason));
      victim = {
        kind,
        connected: () => socket.connected,
        on: (event, listener) => void socket.on(event, listener),
        emit: (event, ...args) => void socket.emit(event, ...args),
        drops,
        close: () => void socket.disconnect(),
      };
    } else {
      const socket: V2Socket = ioV2(`${gw.url}?clientId=${encodeURIComponent(clientId)}`, {
        transports: ['websocket'],
        forceNew: true,
        reconnection: false,
      });
      await waitFor(socket, 'connect');
      socket.on('disconnect', (reason: string) => void drops.push(reason));
      victim = {
        kind,
        connected: () => socket.connected,
        on: (event, listener) => void socket.on(event, listener),
        emit: (event, ...args) => void socket.emit(event, ...args),
        drops,
        close: () => void socket.close(),
      };
    }
    victims.push(victim);
    return victim;
  }

  /** The raw attacker ATK (protocol 2: error-first acks), paired with a victim V of `kind`. */
  async function attackerPairedWith(kind: 'v4' | 'v2', options: P2pModuleOptions = {}) {
    gw = await startGateway({ ackTimeoutMs: 3000, ...options });
    const victim = await openVictim(kind, 'V');
    const attacker = await RawEngineSocket.connect(gw.url, { clientId: 'ATK', p2pProtocol: 2 });
    attackers.push(attacker);
    const asked = new Promise<unknown[]>((resolve) => victim.on('P2P_REGISTER', (...args: unknown[]) => resolve(args)));
    const request = attacker.emit('P2P_REGISTER', ['V']);
    expect(await asked).toEqual(['ATK']);
    victim.emit('P2P_REGISTER_SUCCESS', 'ATK');
    expect((await attacker.answer(request))[0]).toBe(true);
    const received: unknown[][] = [];
    victim.on('bin', (...args: unknown[]) => void received.push(args));
    return { attacker, victim, received };
  }

  /** A relay from the attacker: its ack's first value (null once delivered, or the error). */
  async function relayRaw(attacker: RawEngineSocket, event: string, args: unknown[], attachments: Buffer[]): Promise<unknown> {
    const id = attacker.emit('P2P_EMIT', [{ event, args }], attachments);
    return (await attacker.answer(id))[0];
  }

  /** The victim is connected, never dropped, still paired with ATK, and a plain relay from ATK still reaches it. */
  async function expectVictimUnharmed(attacker: RawEngineSocket, victim: Victim): Promise<void> {
    const reached = new Promise<unknown[]>((resolve) => victim.on('still-there', (...args: unknown[]) => resolve(args)));
    expect(await relayRaw(attacker, 'still-there', ['yes'], [])).toBeNull();
    expect(await reached).toEqual(['yes']);
    expect(victim.connected()).toBe(true);
    expect(victim.drops).toEqual([]);
    await expect(gw.service.peerOf('V')).resolves.toBe('ATK');
  }

  describe.each(['v4', 'v2'] as const)('victim on socket.io-client %s', (kind) => {
    it('refuses one 32 KB attachment named 10 times (327,680 bytes as delivered) with PAYLOAD_TOO_LARGE', async () => {
      const { attacker, victim, received } = await attackerPairedWith(kind);
      const answer = await relayRaw(attacker, 'bin', aliasedArgs(10), [Buffer.alloc(32 * KIB, 7)]);
      expect(answer).toMatchObject({ code: 'PAYLOAD_TOO_LARGE', event: 'P2P_EMIT' });
      expect((answer as { message: string }).message).toMatch(/is 3\d{5} bytes as delivered; the limit is 65536/u);
      await expectVictimUnharmed(attacker, victim);
      expect(received).toEqual([]);
    });

    it('refuses one small attachment named 11 times with TOO_MANY_ATTACHMENTS; the peer is not dropped or crashed', async () => {
      const { attacker, victim, received } = await attackerPairedWith(kind);
      const answer = await relayRaw(attacker, 'bin', aliasedArgs(11), [Buffer.alloc(16, 1)]);
      expect(answer).toMatchObject({ code: 'TOO_MANY_ATTACHMENTS', event: 'P2P_EMIT' });
      await expectVictimUnharmed(attacker, victim);
      expect(received).toEqual([]);
    });

    it('delivers one attachment named 10 times within the limits as 10 values', async () => {
      const { attacker, victim, received } = await attackerPairedWith(kind);
      expect(await relayRaw(attacker, 'bin', aliasedArgs(10), [Buffer.alloc(4 * KIB, 9)])).toBeNull();
      await eventually(() => received.length === 1);
      const [values] = received[0] as [unknown[]];
      expect(values).toHaveLength(10);
      for (const value of values) expect(Buffer.from(value as Buffer).equals(Buffer.alloc(4 * KIB, 9))).toBe(true);
      await expectVictimUnharmed(attacker, victim);
    });

    it("refuses the peer's aliased acknowledgements: the asker gets the code, the replier a P2P_ERROR, nobody is dropped", async () => {
      const { attacker, victim } = await attackerPairedWith(kind);
      // The victim asks; the attacker answers with one attachment named 11 times, then 10 times at 32 KB.
      const outcomes: unknown[][] = [];
      const errors: unknown[] = [];
      victim.on('P2P_ERROR', (error: unknown) => void errors.push(error));
      const ask = (n: number) =>
        victim.emit('P2P_EMIT_ACKNOWLEDGE', { event: 'ask', args: [n] }, (...results: unknown[]) => void outcomes.push(results));
      ask(1);
      const first = await attacker.next((p) => p.data[0] === 'ask' && p.data[1] === 1);
      attacker.ack(first.id!, aliasedArgs(11), [Buffer.alloc(16, 1)]);
      ask(2);
      const second = await attacker.next((p) => p.data[0] === 'ask' && p.data[1] === 2);
      attacker.ack(second.id!, aliasedArgs(10), [Buffer.alloc(32 * KIB, 2)]);
      // Protocol 2 (socket.io-client 4 here) gets ack(error); protocol 1 (2.x, original) gets P2P_ERROR, no ack.
      const refusalsSoFar = () => (kind === 'v4' ? outcomes.map(([error]) => error) : errors);
      await eventually(() => refusalsSoFar().length === 2);
      const refusals = refusalsSoFar();
      expect(refusals.map(codeOf)).toEqual(['TOO_MANY_ATTACHMENTS', 'PAYLOAD_TOO_LARGE']);
      expect(refusals).toEqual([
        expect.objectContaining({ event: 'P2P_EMIT_ACKNOWLEDGE', message: expect.stringContaining('answering "ask"') }),
        expect.objectContaining({ event: 'P2P_EMIT_ACKNOWLEDGE' }),
      ]);
      if (kind === 'v2') expect(outcomes).toEqual([]);
      const told = await attacker.next((p) => p.data[0] === 'P2P_ERROR' && codeOf(p.data[1]) === 'PAYLOAD_TOO_LARGE');
      expect(told.data[1]).toMatchObject({ message: expect.stringContaining('your answer was not delivered') });
      expect(attacker.events('P2P_ERROR').map(([error]) => codeOf(error))).toEqual(['TOO_MANY_ATTACHMENTS', 'PAYLOAD_TOO_LARGE']);
      await expectVictimUnharmed(attacker, victim);
    });
  });

  it('answers 11 distinct binary values with TOO_MANY_ATTACHMENTS and keeps the sender connected and paired', async () => {
    const { attacker, victim, received } = await attackerPairedWith('v4');
    const values = Array.from({ length: 11 }, (_, n) => Buffer.alloc(16, n));
    expect(await relayRaw(attacker, 'bin', distinctArgs(11), values)).toMatchObject({ code: 'TOO_MANY_ATTACHMENTS' });
    // Ten distinct values are what a client accepts: delivered.
    expect(await relayRaw(attacker, 'bin', distinctArgs(10), values.slice(0, 10))).toBeNull();
    await eventually(() => received.length === 1);
    expect((received[0]![0] as unknown[]).map((value) => Buffer.from(value as Buffer)[0])).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(attacker.closed).toBe(false);
    await expectVictimUnharmed(attacker, victim);
  });

  it('counts aliased attachments as delivered against the byte rate', async () => {
    const limits = { maxMessageBytes: 48 * KIB, relayBytes: { perSecond: 1, burst: 60 * KIB } };
    const { attacker, received } = await attackerPairedWith('v4', { limits });
    // 4 KB named 10 times: about 40 KB as delivered; the second one no longer fits in the 60 KB burst.
    expect(await relayRaw(attacker, 'bin', aliasedArgs(10), [Buffer.alloc(4 * KIB)])).toBeNull();
    expect(await relayRaw(attacker, 'bin', aliasedArgs(10), [Buffer.alloc(4 * KIB)])).toMatchObject({ code: 'RATE_LIMITED' });
    await eventually(() => received.length === 1);
  });

  it('tells the sender why before closing a packet with more attachments than the decoder takes (256)', async () => {
    const { attacker, victim } = await attackerPairedWith('v4');
    const values = Array.from({ length: 257 }, () => Buffer.alloc(1));
    attacker.emit('P2P_EMIT', [{ event: 'bin', args: distinctArgs(257) }], values);
    const told = await attacker.next((p) => p.data[0] === 'P2P_ERROR');
    expect(told.data[1]).toMatchObject({ code: 'INVALID_PAYLOAD', message: expect.stringContaining('too many attachments') });
    await eventually(() => attacker.closed);
    // The victim is not dropped: it is told its peer left.
    expect(victim.connected()).toBe(true);
  });

  it('with every limit off, still refuses aliases past 10 and says why before Socket.IO closes on 11 attachments', async () => {
    const { attacker, victim, received } = await attackerPairedWith('v2', { limits: false });
    expect(await relayRaw(attacker, 'bin', aliasedArgs(11), [Buffer.alloc(16)])).toMatchObject({ code: 'TOO_MANY_ATTACHMENTS' });
    // Without maxMessageBytes nothing bounds what attachments would hold: Socket.IO's own cap of 10 stays.
    const values = Array.from({ length: 11 }, (_, n) => Buffer.alloc(16, n));
    attacker.emit('P2P_EMIT', [{ event: 'bin', args: distinctArgs(11) }], values);
    const told = await attacker.next((p) => p.data[0] === 'P2P_ERROR');
    expect(told.data[1]).toMatchObject({ code: 'INVALID_PAYLOAD', message: expect.stringContaining('too many attachments') });
    await eventually(() => attacker.closed);
    expect(victim.connected()).toBe(true);
    expect(received).toEqual([]);
  });

  it('keeps no attachment bytes past maxMessageBytes and still answers with the code', async () => {
    const { attacker, victim, received } = await attackerPairedWith('v4');
    // What the server's decoder hands on for the attacker's packets (its `decoded` listeners run in order).
    const { namespace } = gw.app.get<P2pGatewayBase>(P2P_GATEWAY);
    const attackerSide = [...namespace.sockets.values()].find((socket) => socket.data.p2p?.clientId === 'ATK')!;
    const decoder = (attackerSide.client as unknown as { decoder: EventEmitter }).decoder;
    const kept: number[][] = [];
    decoder.on('decoded', (packet: { data: unknown[] }) => {
      const args = (packet.data[1] as { args?: unknown[] } | undefined)?.args;
      if (Array.isArray(args?.[0])) kept.push((args[0] as Buffer[]).map((value) => value.byteLength));
    });
    const values = Array.from({ length: 10 }, (_, n) => Buffer.alloc(60 * KIB, n));
    expect(await relayRaw(attacker, 'bin', distinctArgs(10), values)).toMatchObject({ code: 'PAYLOAD_TOO_LARGE' });
    // 60 KiB fits in the 64 KiB limit; every attachment after it pushes the packet past the limit and is not kept.
    expect(kept).toEqual([[60 * KIB, 0, 0, 0, 0, 0, 0, 0, 0, 0]]);
    await expectVictimUnharmed(attacker, victim);
    expect(received).toEqual([]);
  });
});
