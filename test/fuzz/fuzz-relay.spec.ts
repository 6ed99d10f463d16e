import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import type { Socket } from 'socket.io-client';
import { FuzzArena } from '../support/fuzz-arena.js';
import { recordAndEcho, resolveIds, runBatch } from '../support/fuzz-batch.js';
import { GENEROUS_LIMITS } from '../support/fuzz-gateway-options.js';
import { assertProperty, fuzzRuns, fuzzTimeout } from '../support/fuzz-guards.js';
import { relayInput } from '../support/fuzz-inputs.js';
import { expectRelay } from '../support/fuzz-oracles.js';
import { primitive } from '../support/fuzz-values.js';
import { pairRaw } from '../support/wire.js';

/**
 * Property-based: P2P_EMIT and P2P_EMIT_ACKNOWLEDGE (and events outside the protocol) with random and malformed
 * payloads, from an attacker speaking protocol 1 or 2, unpaired or paired with a victim that echoes every ack.
 * Each run is one batch of inputs from fresh clients; after it: every input got exactly its answer, only well-formed
 * relays reached the victim (with the exact arguments), nothing reached anyone else, the store and the built-in
 * prototypes are untouched, and the legit pair still relays.
 */
const RUNS = fuzzRuns(40);
const TIMEOUT = fuzzTimeout(RUNS, 1_000);
const TARGET_ROLES = ['peer', 'self', 'observer', 'legitA', 'legitB', 'ghost'];

describe('fuzz: relays', () => {
  let arena: FuzzArena;
  beforeAll(async () => {
    // ackTimeoutMs only has to outlast a loaded machine's round trip: the victim always answers at once.
    arena = await FuzzArena.open({ pairTimeoutMs: 300, ackTimeoutMs: 2_000, limits: GENEROUS_LIMITS });
  });
  afterAll(() => arena.finish());

  const cases = [1, 2].flatMap((protocol) => (['unpaired', 'paired'] as const).map((scenario) => [protocol as 1 | 2, scenario] as const));

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
            const roundTrip = (socket: Socket) => arena.roundTrip(socket);
            await runBatch({ attacker, attackerLog, counterpart: victim, counterpartLog, roundTrip }, inputs, expected);

            expect([attacker.connected, victim.connected]).toEqual([true, true]);
            const state = paired ? { state: 'paired', peerId } : { state: 'free' };
            expect(await arena.gw.service.getClient(selfId)).toMatchObject(state);
            const victimState = paired ? { state: 'paired', peerId: selfId } : { state: 'free' };
            expect(await arena.gw.service.getClient(peerId)).toMatchObject(victimState);
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
    'a relay of 0 to 300 arguments, acknowledged with all of them: delivered and echoed whole, or refused with a code',
    async () => {
      const values = fc.integer({ min: 0, max: 300 }).chain((count) => fc.array(primitive, { minLength: count, maxLength: count }));
      await assertProperty(
        fc.asyncProperty(values, fc.constantFrom(1 as const, 2 as const), async (args, protocol) => {
          const before = await arena.picture();
          const peerId = arena.freshId('victim');
          const victim = await arena.connect(peerId, 1);
          const attacker = await arena.connect(arena.freshId('attacker'), protocol);
          try {
            await pairRaw(attacker, victim, peerId);
            const input = { event: 'P2P_EMIT_ACKNOWLEDGE', args: [{ event: 'many', args }], withAck: true };
            const expected = [expectRelay(input, { peerId, protocol })];
            const attackerLog = recordAndEcho(attacker);
            const counterpartLog = recordAndEcho(victim);
            const roundTrip = (socket: Socket) => arena.roundTrip(socket);
            await runBatch({ attacker, attackerLog, counterpart: victim, counterpartLog, roundTrip }, [input], expected);
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
