import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { isP2pErrorCode } from '../../packages/protocol/src/index.js';
import { FuzzArena } from '../support/fuzz-arena.js';
import { GENEROUS_LIMITS } from '../support/fuzz-gateway-options.js';
import { assertProperty, fuzzRuns, fuzzTimeout } from '../support/fuzz-guards.js';
import { pairRaw } from '../support/wire.js';

/**
 * Property-based, on a gateway whose limits are raised (maxMessageBytes 2 MB, as a host app moving files might set):
 * a relay whose args array is very wide but still well under that size. It must be delivered whole or refused with a
 * code, and never take the gateway down.
 */
const RUNS = fuzzRuns(15);
const TIMEOUT = fuzzTimeout(RUNS, 1_500);

/** socket.io-client's packet dispatch and ack factory (not public API; used to receive without spreading). */
interface VictimInternals {
  onevent(packet: { data: unknown[]; id?: number }): void;
  ack(id: number): () => void;
}

describe('fuzz: wide relays with raised limits', () => {
  let arena: FuzzArena;
  beforeAll(async () => {
    arena = await FuzzArena.open({ pairTimeoutMs: 300, ackTimeoutMs: 2_000, limits: GENEROUS_LIMITS });
  });
  afterAll(() => arena.finish());

  it(
    'a relay whose args array has 10 000 to 300 000 elements: delivered whole or refused with a code, never a crash',
    async () => {
      await assertProperty(
        fc.asyncProperty(fc.integer({ min: 10_000, max: 300_000 }), fc.boolean(), async (width, withAck) => {
          const before = await arena.picture();
          const peerId = arena.freshId('victim');
          const victim = await arena.connect(peerId, 1);
          const attacker = await arena.connect(arena.freshId('attacker'), 2);
          try {
            await pairRaw(attacker, victim, peerId);
            // The victim counts what arrives without spreading it (socket.io-client's own dispatch would), and acks.
            const arrived: number[] = [];
            const raw = victim as unknown as VictimInternals;
            raw.onevent = (packet) => {
              arrived.push(packet.data.length - 1);
              if (packet.id !== undefined) raw.ack(packet.id)();
            };
            const event = withAck ? 'P2P_EMIT_ACKNOWLEDGE' : 'P2P_EMIT';
            const answers: unknown[][] = [];
            attacker.emit(
              event,
              { event: 'wide', args: new Array<number>(width).fill(0) },
              (...answer: unknown[]) => void answers.push(answer),
            );
            // By these round trips the relay was handled, delivered, acknowledged by the victim and answered.
            for (const socket of [attacker, victim, attacker]) await arena.roundTrip(socket);
            expect(answers).toHaveLength(1);
            const [answer] = answers as [unknown[]];
            if (answer[0] === null) {
              expect(answer).toEqual([null]);
              expect(arrived).toEqual([width]);
            } else {
              expect(answer).toEqual([{ code: expect.any(String), message: expect.any(String), event }]);
              expect(isP2pErrorCode((answer[0] as { code: unknown }).code)).toBe(true);
              expect(arrived).toEqual([]);
            }
            await arena.expectUndisturbed(before);
          } finally {
            await arena.dispose([attacker, victim]);
          }
        }),
        { numRuns: RUNS, timeoutMs: TIMEOUT },
      );
    },
    TIMEOUT,
  );
});
