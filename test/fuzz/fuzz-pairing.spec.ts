import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import type { Socket } from 'socket.io-client';
import { FuzzArena } from '../support/fuzz-arena.js';
import { type Expected, type FuzzInput, recordAndEcho, resolveIds, runBatch } from '../support/fuzz-batch.js';
import { GENEROUS_LIMITS } from '../support/fuzz-gateway-options.js';
import { assertProperty, fuzzRuns, fuzzTimeout } from '../support/fuzz-guards.js';
import { controlInput } from '../support/fuzz-inputs.js';
import { type ControlState, expectControl } from '../support/fuzz-oracles.js';
import { askRaw, pairRaw } from '../support/wire.js';

/**
 * Property-based: the control events (P2P_REGISTER, P2P_REGISTER_SUCCESS/FAILED, P2P_UNREGISTER, LIST_CLIENTS) and
 * events outside the protocol, with random and malformed arguments, from an attacker that is free, being asked by a
 * client, or paired. An input that changes the attacker's state (a valid consent, refusal or unpairing) is only ever
 * the last of its batch, so the rest of the batch is judged against a known state.
 */
const RUNS = fuzzRuns(50);
const TIMEOUT = fuzzTimeout(RUNS, 1_000);
const TARGET_ROLES = ['self', 'counterpart', 'legitA', 'legitB', 'ghost'];
const CLAIM_ROLES = ['counterpart', 'self', 'ghost', 'legitA'];

type Scenario = 'free' | 'asked' | 'paired';

describe('fuzz: pairing control events', () => {
  let arena: FuzzArena;
  beforeAll(async () => {
    // The attacker's open request must outlive one batch on a loaded machine; nothing here waits for it to expire.
    arena = await FuzzArena.open({ pairTimeoutMs: 5_000, ackTimeoutMs: 500, limits: GENEROUS_LIMITS });
  });
  afterAll(() => arena.finish());

  it.each<Scenario>(['free', 'asked', 'paired'])(
    'attacker %s: answered with a code or acted on exactly, nobody else disturbed',
    async (scenario) => {
      await assertProperty(
        fc.asyncProperty(fc.array(controlInput(TARGET_ROLES, CLAIM_ROLES), { minLength: 1, maxLength: 10 }), async (batch) => {
          const before = await arena.picture();
          const selfId = arena.freshId('attacker');
          const otherId = arena.freshId(scenario === 'asked' ? 'asker' : 'peer');
          const attacker = await arena.connect(selfId, 1);
          const sockets: Socket[] = [attacker];
          let counterpart: Socket | undefined;
          let askerAnswer: Promise<unknown[]> | undefined;
          try {
            if (scenario !== 'free') {
              counterpart = await arena.connect(otherId, 2);
              sockets.push(counterpart);
              if (scenario === 'asked') askerAnswer = (await askRaw(counterpart, attacker, selfId)).answer;
              else await pairRaw(attacker, counterpart, otherId);
            }
            const ids: Record<string, string> = {
              self: selfId,
              counterpart: otherId,
              legitA: arena.ids.legitA,
              legitB: arena.ids.legitB,
              ghost: arena.freshId('ghost'),
            };
            const clients = new Map((await arena.gw.service.listClients()).map((client) => [client.clientId, client.state as string]));
            const state: ControlState = {
              selfId,
              kind: scenario,
              ...(scenario === 'free' ? {} : { otherId }),
              clients,
            };
            const judged = judge(
              batch.map((input) => resolveIds(input, (role) => ids[role]!)),
              state,
            );
            fc.pre(judged !== undefined);
            const { inputs, expected, change } = judged!;

            const attackerLog = recordAndEcho(attacker);
            const counterpartLog = counterpart ? recordAndEcho(counterpart) : undefined;
            const roundTrip = (socket: Socket) => arena.roundTrip(socket);
            await runBatch({ attacker, attackerLog, counterpart, counterpartLog, roundTrip }, inputs, expected);

            expect(sockets.map((socket) => socket.connected)).toEqual(sockets.map(() => true));
            const [selfState, otherState] = statesAfter(scenario, change, selfId, otherId);
            expect(await arena.gw.service.getClient(selfId)).toMatchObject(selfState);
            if (counterpart) expect(await arena.gw.service.getClient(otherId)).toMatchObject(otherState);
            if (change === 'consented') expect(await askerAnswer).toEqual([true]);
            if (change === 'refused') {
              expect(await askerAnswer).toEqual([false, { code: 'PAIR_REFUSED', message: expect.any(String), event: 'P2P_REGISTER' }]);
            }
            await arena.expectUndisturbed(before);
          } finally {
            await arena.dispose(sockets);
          }
        }),
        { numRuns: RUNS, timeoutMs: TIMEOUT },
      );
    },
    TIMEOUT,
  );
});

type Change = 'consented' | 'refused' | 'unpaired';

/**
 * The batch as it is sent, with each input's expectation: an input that would change the attacker's state is kept
 * only in last place. Undefined when an input would open a real pairing request (not modelled here).
 */
function judge(batch: FuzzInput[], state: ControlState): { inputs: FuzzInput[]; expected: Expected[]; change?: Change } | undefined {
  const inputs: FuzzInput[] = [];
  const expected: Expected[] = [];
  let change: Change | undefined;
  for (const [i, input] of batch.entries()) {
    const outcome = expectControl(input, state);
    if ('unsupported' in outcome) return undefined;
    if (outcome.change && i !== batch.length - 1) continue;
    inputs.push(input);
    expected.push(outcome.expected);
    change = outcome.change;
  }
  return { inputs, expected, ...(change ? { change } : {}) };
}

/** The store states of the attacker and its counterpart after the batch. */
function statesAfter(scenario: Scenario, change: Change | undefined, selfId: string, otherId: string): [object, object] {
  if (change === 'consented' || (scenario === 'paired' && !change)) {
    return [
      { state: 'paired', peerId: otherId },
      { state: 'paired', peerId: selfId },
    ];
  }
  if (change || scenario === 'free') return [{ state: 'free' }, { state: 'free' }];
  return [{ state: 'asked' }, { state: 'asking' }];
}
