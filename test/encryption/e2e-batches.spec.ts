import { afterEach, describe, expect, it } from '@jest/globals';
import type { Socket as ServerSocket } from 'socket.io';
import type { P2pError } from '../../packages/client/src/index.js';
import { type GatewayHarness, connectClient, startGateway, waitFor } from '../support/gateway-harness.js';
import { eventually } from '../support/eventually.js';
import { gatewayNamespace, serverSocketOf } from './e2e-gateway.js';

const MESSAGES = 600;
const RELIABLE = { retransmitMs: 300, maxRetransmitMs: 1000 };

type Frame = Record<string, unknown> & { s?: number; n?: number; z?: unknown; k?: number };

/**
 * The gateway's view of every P2P_FRAME (a Socket.IO middleware on each server socket): `hook` sees the sender and the
 * frame (it may change it in place) and says whether the gateway relays it (false: kept back, as a lossy or malicious
 * node would).
 */
function onEveryFrame(gw: GatewayHarness, hook: (from: string, frame: Frame) => boolean): void {
  gatewayNamespace(gw).on('connection', (socket: ServerSocket) => {
    socket.use((packet, next) => {
      const [event, frame] = packet as [string, Frame];
      const from = (socket.data as { p2p?: { clientId?: string } }).p2p?.clientId ?? '?';
      if (event !== 'P2P_FRAME' || typeof frame !== 'object' || frame === null || hook(from, frame)) next();
    });
  });
}

async function securedPair(gw: GatewayHarness) {
  const a = await connectClient(gw, 'A', { e2e: true, reliable: RELIABLE });
  const b = await connectClient(gw, 'B', { e2e: true, reliable: RELIABLE });
  const errors: P2pError[] = [];
  b.on('error', (error: P2pError) => errors.push(error));
  const got: number[] = [];
  b.socket.on('n', (n: number) => got.push(n));
  const secured = Promise.all([waitFor(a, 'secured', 10_000), waitFor(b, 'secured', 10_000)]);
  await a.pair('B');
  await secured;
  return { a, b, got, errors };
}

/** The numbers a sealed frame carries: `s`, or `s` to `s + n - 1` for a batch. */
const numbersOf = (frame: Frame) => Array.from({ length: frame.n ?? 1 }, (_, i) => frame.s! + i);

describe('end-to-end encryption: sealed batches', () => {
  let gw: GatewayHarness;
  afterEach(async () => gw?.close());

  it(`seals a burst of ${MESSAGES} messages in batches, each delivered once in order; a batch sent again is the same bytes`, async () => {
    gw = await startGateway({ limits: { relayMessages: false } });
    const sealed: Frame[] = [];
    let keptBack: Frame | undefined;
    onEveryFrame(gw, (from, frame) => {
      if (from !== 'A' || frame.z === undefined) return true;
      sealed.push({ ...frame });
      // The first copy of the second batch is lost: A sends it again (its retransmission timer) as it was.
      const batches = sealed.filter((each) => (each.n ?? 1) > 1);
      if (keptBack === undefined && batches.length === 2 && frame.n! > 1) {
        keptBack = frame;
        return false;
      }
      return true;
    });
    const { a, got, errors } = await securedPair(gw);
    for (let i = 0; i < MESSAGES; i++) if (!a.emit('n', i)) await a.drained();
    await eventually(() => expect(got).toEqual([...Array(MESSAGES).keys()]), 15_000);
    await eventually(() => expect(a.unconfirmed).toBe(0));
    expect(errors).toEqual([]);
    // Far fewer frames than messages, every message number in exactly one batch (or frame of its own).
    const firsts = new Map<number, Frame>();
    for (const frame of sealed) if (!firsts.has(frame.s!)) firsts.set(frame.s!, frame);
    expect(firsts.size).toBeLessThan(MESSAGES / 4);
    const numbers = [...firsts.values()].flatMap(numbersOf).sort((x, y) => x - y);
    expect(new Set(numbers).size).toBe(numbers.length);
    expect(numbers).toHaveLength(MESSAGES);
    expect(Math.max(...[...firsts.values()].map((frame) => frame.n ?? 1))).toBeLessThanOrEqual(64);
    // The kept-back batch went again, the very same ciphertext and count (no nonce is ever used for other bytes).
    const copies = sealed.filter((frame) => frame.s === keptBack!.s);
    expect(copies.length).toBeGreaterThanOrEqual(2);
    for (const copy of copies) expect({ n: copy.n, z: copy.z }).toEqual({ n: keptBack!.n, z: keptBack!.z });
  });

  it('drops and reports a batch whose count was changed, removed or moved to another number; then takes the genuine one once', async () => {
    gw = await startGateway({ limits: { relayMessages: false } });
    const batches: Frame[] = [];
    let holding = false;
    let held: Frame | undefined;
    onEveryFrame(gw, (from, frame) => {
      if (from !== 'A') return true;
      if (frame.n !== undefined) batches.push({ ...frame });
      // The second batch and everything after it are kept from B until released: B expects that batch's number next.
      if (held === undefined && frame.n !== undefined && batches.length === 2) {
        held = { ...frame };
        holding = true;
      }
      return !(holding && typeof frame.s === 'number' && frame.s >= held!.s!);
    });
    const { a, b, got, errors } = await securedPair(gw);
    for (let i = 0; i < 200; i++) if (!a.emit('n', i)) await a.drained();
    await eventually(() => expect(holding).toBe(true));
    const first = batches[0]!;
    await eventually(() => expect(got).toHaveLength(first.n!));
    const toB = serverSocketOf(gw, 'B')!;
    const inject = async (frame: Frame) => {
      const reported = waitFor<[P2pError]>(b, 'error', 10_000);
      toB.emit('P2P_FRAME', frame);
      const [error] = await reported;
      expect(error.code).toBe('E2E_FRAME_REJECTED');
    };
    const s = held!.s!;
    const n = held!.n!;
    for (const count of [n - 1, n + 1, 65, 1.5]) await inject({ ...held!, n: count });
    const { n: _n, ...withoutCount } = held!;
    await inject(withoutCount);
    // The first batch moved to the number B expects: its nonce is another number's.
    await inject({ ...first, s });
    expect(got).toEqual([...Array(first.n!).keys()]);
    holding = false;
    await eventually(() => expect(got).toEqual([...Array(200).keys()]), 15_000);
    await eventually(() => expect(a.unconfirmed).toBe(0));
    expect(errors.map((error) => error.code)).toEqual(Array(6).fill('E2E_FRAME_REJECTED'));
  });

  it('a batch confirmed in part (an acknowledgement from inside it) and its full acknowledgement lost: sent again, then confirmed', async () => {
    gw = await startGateway({ limits: { relayMessages: false } });
    const ends = new Set<number>();
    let dropped = 0;
    onEveryFrame(gw, (from, frame) => {
      // A's batches of more than 32 messages: B acknowledges from inside them (every 32 messages) and at their end.
      if (from === 'A' && frame.n !== undefined && frame.n > 32) ends.add(frame.s! + frame.n - 1);
      // B's first acknowledgement of such a batch's end is lost (as a frame the server refused would be).
      if (from === 'B' && frame.s === undefined && typeof frame.c === 'number' && ends.has(frame.c) && dropped === 0) {
        dropped++;
        return false;
      }
      return true;
    });
    const { a, got, errors } = await securedPair(gw);
    // One burst, one batch of 64: its last acknowledgement is the one lost, and no later one covers it.
    for (let i = 0; i < 64; i++) a.emit('n', i);
    await eventually(() => expect(got).toEqual([...Array(64).keys()]), 15_000);
    await eventually(() => expect(a.unconfirmed).toBe(0), 15_000);
    expect([...ends]).toHaveLength(1);
    expect(dropped).toBe(1);
    expect(errors).toEqual([]);
  });

  it('seals none for a peer that does not announce them (an earlier client), and keeps batches under maxMessageBytes', async () => {
    const maxMessageBytes = 2048;
    gw = await startGateway({ limits: { relayMessages: false, maxMessageBytes } });
    const fromA: Frame[] = [];
    const fromB: Frame[] = [];
    onEveryFrame(gw, (from, frame) => {
      (from === 'A' ? fromA : fromB).push({ ...frame });
      // What A learns of B: a peer without sealed batches (capability bit 4 cleared, as an earlier client sends).
      if (from === 'B' && typeof frame.k === 'number') frame.k &= ~4;
      return true;
    });
    const { a, b, got, errors } = await securedPair(gw);
    const back: number[] = [];
    a.socket.on('back', (n: number) => back.push(n));
    for (let i = 0; i < 300; i++) {
      if (!a.emit('n', i)) await a.drained();
      if (!b.emit('back', i)) await b.drained();
    }
    await eventually(() => expect([got, back]).toEqual([[...Array(300).keys()], [...Array(300).keys()]]), 15_000);
    expect(errors).toEqual([]);
    expect(fromA.filter((frame) => frame.n !== undefined)).toEqual([]);
    const batchesOfB = fromB.filter((frame) => frame.n !== undefined);
    expect(batchesOfB.length).toBeGreaterThan(0);
    for (const frame of batchesOfB) expect(Buffer.byteLength(JSON.stringify(frame))).toBeLessThan(maxMessageBytes);
  });
});
