import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { FuzzArena } from '../support/fuzz-arena.js';
import { type Expected, type FuzzInput, recordAndEcho, resolveIds, runBatch } from '../support/fuzz-batch.js';
import { GENEROUS_LIMITS } from '../support/fuzz-gateway-options.js';
import { assertProperty, fuzzRuns, fuzzTimeout } from '../support/fuzz-guards.js';
import { controlInput, relayInput } from '../support/fuzz-inputs.js';
import { type ControlState, expectControl, expectRelay } from '../support/fuzz-oracles.js';
import { wireValue } from '../support/fuzz-values.js';
import { pairRaw } from '../support/wire.js';

/**
 * Property-based, metamorphic: Socket.IO passes a client's ack as the LAST argument, wherever the handler's signature
 * expects it. So `event(...args, extra..., ack)` must be answered exactly as `event(...args, ack)` is: on the ack
 * (or as P2P_ERROR where the contract says so: LIST_CLIENTS refusals, protocol 1 relay-with-ack refusals), with the
 * same code or the same delivery, never leaving the client's ack hanging.
 */
const RUNS = fuzzRuns(40);
const TIMEOUT = fuzzTimeout(RUNS, 1_000);
const ROLES = ['peer', 'self', 'legitA', 'ghost'];

/** An input that has an ack, with one to three extra arguments slipped in before it. */
const withExtras = fc
  .tuple(fc.oneof(relayInput(ROLES), controlInput(ROLES, ROLES)), fc.array(wireValue, { minLength: 1, maxLength: 3 }))
  .filter(([input]) => input.withAck && input.event !== 'P2P_REGISTER_SUCCESS' && input.event !== 'P2P_REGISTER_FAILED')
  .map(([input, extra]) => ({ plain: input, padded: { ...input, args: [...input.args, ...extra] } }));

describe('fuzz: the ack is the last argument', () => {
  let arena: FuzzArena;
  beforeAll(async () => {
    arena = await FuzzArena.open({ pairTimeoutMs: 300, ackTimeoutMs: 2_000, limits: GENEROUS_LIMITS });
  });
  afterAll(() => arena.close());

  it(
    'extra arguments before the ack change nothing: same answer on the same ack, same delivery',
    async () => {
      await assertProperty(
        fc.asyncProperty(fc.array(withExtras, { minLength: 1, maxLength: 6 }), async (batch) => {
          const before = await arena.picture();
          const selfId = arena.freshId('attacker');
          const peerId = arena.freshId('victim');
          const victim = await arena.connect(peerId, 1);
          const attacker = await arena.connect(selfId, 2);
          try {
            await pairRaw(attacker, victim, peerId);
            const ids: Record<string, string> = { self: selfId, peer: peerId, legitA: arena.ids.legitA, ghost: arena.freshId('ghost') };
            const clients = new Map((await arena.gw.service.listClients()).map((client) => [client.clientId, client.state as string]));
            const state: ControlState = { selfId, kind: 'paired', otherId: peerId, clients };
            const inputs: FuzzInput[] = [];
            const expected: Expected[] = [];
            let unpaired = false;
            for (const [i, { plain, padded }] of batch.entries()) {
              const resolve = (input: FuzzInput) => resolveIds(input, (role) => ids[role]!);
              const judged = judgeAsPlain(resolve(plain), peerId, state);
              if (!judged) return fc.pre(false);
              // Unpairing changes what follows: only ever in last place.
              if (judged.unpairs && i !== batch.length - 1) continue;
              unpaired = judged.unpairs;
              inputs.push(resolve(padded));
              expected.push(judged.expected);
            }
            const attackerLog = recordAndEcho(attacker);
            const counterpartLog = recordAndEcho(victim);
            await runBatch({ attacker, attackerLog, counterpart: victim, counterpartLog }, inputs, expected);
            expect(await arena.gw.service.getClient(selfId)).toMatchObject(unpaired ? { state: 'free' } : { state: 'paired', peerId });
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

/** What the input without its extra arguments must get, from a protocol 2 attacker paired with `peerId`. */
function judgeAsPlain(input: FuzzInput, peerId: string, state: ControlState): { expected: Expected; unpairs: boolean } | undefined {
  if (input.event === 'P2P_EMIT' || input.event === 'P2P_EMIT_ACKNOWLEDGE') {
    return { expected: expectRelay(input, { peerId, protocol: 2 }), unpairs: false };
  }
  const outcome = expectControl(input, state);
  if ('unsupported' in outcome) return undefined;
  return { expected: outcome.expected, unpairs: outcome.change === 'unpaired' };
}
