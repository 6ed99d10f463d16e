import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import type { Socket } from 'socket.io-client';
import { FuzzArena } from '../support/fuzz-arena.js';
import { assertProperty, fuzzRuns, fuzzTimeout } from '../support/fuzz-guards.js';
import { HANDLED_EVENTS } from '../support/fuzz-inputs.js';
import { pairRaw } from '../support/wire.js';

/**
 * Property-based, on a gateway with DEFAULT options (limits included): messages whose shape, not size, is extreme.
 * Each stays far under the default limits (64 KiB per relay, Socket.IO's 1 MB per packet), yet a recursive encoder or
 * a spread of client-controlled length could exhaust the stack. Whatever the shape, the gateway must survive: no
 * uncaught exception or unhandled rejection, the bystanders undisturbed, new connections admitted. Sent through
 * socket.io-client's packet layer, since the client's own `emit(...args)` cannot spread such argument lists.
 */
const RUNS = fuzzRuns(20);
const TIMEOUT = fuzzTimeout(RUNS, 1_500);

interface RawSocket {
  packet(packet: { type: number; data: unknown[] }): void;
}

/** Writes one Socket.IO packet as raw text, past the client's own (recursive) encoder. */
function writeRaw(socket: Socket, packet: string): void {
  (socket.io.engine as unknown as { write(text: string): void }).write(packet);
}

/** JSON text of a value nested `depth` levels deep, built without recursion. */
function deepJson(depth: number, kind: 'array' | 'object'): string {
  return kind === 'array' ? `${'['.repeat(depth)}0${']'.repeat(depth)}` : `${'{"a":'.repeat(depth)}0${'}'.repeat(depth)}`;
}

/** Emits `[event, ...args]` as one EVENT packet, building the argument list without a spread. */
function emitRaw(socket: Socket, event: string, args: unknown[]): void {
  const data: unknown[] = [event];
  for (const arg of args) data.push(arg);
  (socket as unknown as RawSocket).packet({ type: 2, data });
}

describe('fuzz: extreme shapes under the default limits', () => {
  let arena: FuzzArena;
  beforeAll(async () => {
    arena = await FuzzArena.open({ pairTimeoutMs: 300, ackTimeoutMs: 500 });
  });
  afterAll(() => arena.finish());

  /** Runs `send` from a fresh attacker paired with a fresh victim, then checks the gateway survived it. */
  async function survives(send: (attacker: Socket, victim: Socket) => void | Promise<void>): Promise<void> {
    const before = await arena.picture();
    const peerId = arena.freshId('victim');
    const victim = await arena.connect(peerId, 1);
    const attacker = await arena.connect(arena.freshId('attacker'), 2);
    try {
      await pairRaw(attacker, victim, peerId);
      await send(attacker, victim);
      // Round trips on both sockets: by their answers the gateway has handled (or failed on) the message.
      for (const socket of [attacker, victim, attacker]) {
        if (socket.connected) await arena.roundTrip(socket);
      }
      await arena.expectUndisturbed(before);
    } finally {
      await arena.dispose([attacker, victim]);
    }
  }

  it(
    'an event with tens of thousands of arguments (any event name)',
    async () => {
      const event = fc.constantFrom(...HANDLED_EVENTS, 'not-in-the-protocol');
      const width = fc.integer({ min: 1_000, max: 250_000 });
      await assertProperty(
        fc.asyncProperty(event, width, (name, count) => survives((attacker) => emitRaw(attacker, name, new Array<number>(count).fill(0)))),
        { numRuns: RUNS, timeoutMs: TIMEOUT },
      );
    },
    TIMEOUT,
  );

  it(
    'a relay of a deeply nested value (arrays or objects, 500 to 20 000 levels)',
    async () => {
      const depth = fc.integer({ min: 500, max: 20_000 });
      const shape = fc.constantFrom('array' as const, 'object' as const);
      const relay = fc.constantFrom('P2P_EMIT', 'P2P_EMIT_ACKNOWLEDGE');
      await assertProperty(
        fc.asyncProperty(depth, shape, relay, (levels, kind, event) =>
          survives((attacker, victim) => {
            victim.on('deep', (_value: unknown, reply?: () => void) => reply?.());
            // An EVENT packet with an ack id (the attacker never reads the answer).
            writeRaw(attacker, `2${424242}["${event}",{"event":"deep","args":[${deepJson(levels, kind)}]}]`);
          }),
        ),
        { numRuns: RUNS, timeoutMs: TIMEOUT },
      );
    },
    TIMEOUT,
  );

  it(
    "a peer's acknowledgement carrying a deeply nested value back to the sender",
    async () => {
      const depth = fc.integer({ min: 500, max: 20_000 });
      await assertProperty(
        fc.asyncProperty(depth, (levels) =>
          survives((attacker, victim) => {
            // The victim answers with a raw ACK packet for the id the server gave.
            (victim as unknown as { ack(id: number): () => void }).ack = (id) => () =>
              writeRaw(victim, `3${id}[${deepJson(levels, 'array')}]`);
            victim.on('ask', (reply: () => void) => reply());
            attacker.emit('P2P_EMIT_ACKNOWLEDGE', { event: 'ask', args: [] }, () => undefined);
          }),
        ),
        { numRuns: RUNS, timeoutMs: TIMEOUT },
      );
    },
    TIMEOUT,
  );

  it('sanity: the shapes reach the gateway intact at moderate sizes', async () => {
    // The properties above would pass vacuously if these messages never arrived; here one of each kind does.
    const peerId = arena.freshId('victim');
    const victim = await arena.connect(peerId, 1);
    const attacker = await arena.connect(arena.freshId('attacker'), 2);
    try {
      await pairRaw(attacker, victim, peerId);
      const deep = new Promise<unknown>((resolve) => victim.once('deep', resolve));
      writeRaw(attacker, `2["P2P_EMIT",{"event":"deep","args":[${deepJson(400, 'object')}]}]`);
      expect(JSON.stringify(await deep)).toBe(deepJson(400, 'object'));
      const errors = new Promise<unknown>((resolve) => attacker.once('P2P_ERROR', resolve));
      emitRaw(attacker, 'P2P_EMIT_ACKNOWLEDGE', new Array<number>(1_000).fill(0));
      expect(await errors).toMatchObject({ code: 'INVALID_PAYLOAD' });
    } finally {
      await arena.dispose([attacker, victim]);
    }
  });
});
