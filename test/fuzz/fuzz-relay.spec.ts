import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { FuzzArena } from '../support/fuzz-arena.js';
import { recordAndEcho, resolveIds, runBatch } from '../support/fuzz-batch.js';
import { GENEROUS_LIMITS } from '../support/fuzz-gateway-options.js';
import { assertProperty, fuzzRuns, fuzzTimeout } from '../support/fuzz-guards.js';
import { relayInput } from '../support/fuzz-inputs.js';
import { expectRelay } from '../support/fuzz-oracles.js';
import { isP2pErrorCode } from '../../lib/protocol/index.js';
import { emitWithAck, pairRaw } from '../support/wire.js';

/**
 * Property-based: P2P_EMIT and P2P_EMIT_ACKNOWLEDGE (and events outside the protocol) with random and malformed
 * payloads, from an attacker speaking protocol 1 or 2, unpaired or paired with a victim that echoes every ack.
 * Each run is one batch of inputs from fresh clients; after it: every input got exactly its answer, only well-formed
 * relays reached the victim (with the exact arguments), nothing reached anyone else, the store and the built-in
 * prototypes are untouched, the legit pair still relays, and the server still admits newcomers.
 */
const RUNS = fuzzRuns(45);
const TIMEOUT = fuzzTimeout(RUNS, 1_000);
const TARGET_ROLES = ['peer', 'self', 'observer', 'legitA', 'legitB', 'ghost'];

/** socket.io-client's packet dispatch and ack factory (not public API; used to receive without spreading). */
interface VictimInternals {
  onevent(packet: { data: unknown[]; id?: number }): void;
  ack(id: number): () => void;
}

describe('fuzz: relays', () => {
  let arena: FuzzArena;
  beforeAll(async () => {
    // ackTimeoutMs only has to outlast a loaded machine's round trip: the victim always answers at once.
    arena = await FuzzArena.open({ pairTimeoutMs: 300, ackTimeoutMs: 2_000, limits: GENEROUS_LIMITS });
  });
  afterAll(() => arena.close());

  const cases = [1, 2].flatMap((protocol) =>
    (['unpaired', 'paired'] as const).map((scenario) => [protocol as 1 | 2, scenario] as const),
  );

  it.each(cases)(
    'protocol %i attacker, %s: answered with a code or delivered exactly, nobody else disturbed',
    async (protocol, scenario) => {
      const paired = scenario === 'paired';
      await assertProperty(
        fc.asyncProperty(fc.array(relayInput(TARGET_ROLES), { minLength: 1, maxLength: 10 }), async (batch) => {
          const before = await arena.picture();
          const selfId = arena.freshId('attacker');
          const peerId = arena.freshId('victim');
          const victim = await arena.connect(peerId, 1);
          const attacker = await arena.connect(selfId, protocol);
          try {
            if (paired) await pairRaw(attacker, victim, peerId);
            const ids: Record<string, string> = {
              self: selfId,
              peer: peerId,
              observer: arena.ids.observer,
              legitA: arena.ids.legitA,
              legitB: arena.ids.legitB,
              ghost: arena.freshId('ghost'),
            };
            const inputs = batch.map((input) => resolveIds(input, (role) => ids[role]!));
            const expected = inputs.map((input) => expectRelay(input, { peerId: paired ? peerId : undefined, protocol }));
            const attackerLog = recordAndEcho(attacker);
            const counterpartLog = recordAndEcho(victim);
            await runBatch({ attacker, attackerLog, counterpart: victim, counterpartLog }, inputs, expected);

            expect([attacker.connected, victim.connected]).toEqual([true, true]);
            const state = paired ? { state: 'paired', peerId } : { state: 'free' };
            expect(await arena.gw.service.getClient(selfId)).toMatchObject(state);
            expect(await arena.gw.service.getClient(peerId)).toMatchObject(paired ? { state: 'paired', peerId: selfId } : { state: 'free' });
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
            attacker.emit(event, { event: 'wide', args: new Array<number>(width).fill(0) }, (...answer: unknown[]) => void answers.push(answer));
            // By these round trips the relay was handled, delivered, acknowledged by the victim and answered.
            for (const socket of [attacker, victim, attacker]) await emitWithAck(socket, 'LIST_CLIENTS');
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
        { numRuns: Math.ceil(RUNS / 3), timeoutMs: TIMEOUT },
      );
    },
    TIMEOUT,
  );
});
