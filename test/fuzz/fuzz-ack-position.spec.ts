import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import type { Socket } from 'socket.io-client';
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

/**
 * A forged binary placeholder makes the whole packet illegal: Socket.IO's parser rejects it and closes the connection
 * before any handler runs, so it cannot be an extra argument "that changes nothing".
 */
function hasForgedPlaceholder(value: unknown, depth = 0): boolean {
  if (typeof value !== 'object' || value === null || depth > 50 || Buffer.isBuffer(value) || ArrayBuffer.isView(value)) return false;
  if (Object.hasOwn(value, '_placeholder')) return true;
  return Object.values(value).some((inner) => hasForgedPlaceholder(inner, depth + 1));
}

/**
 * Binary in an extra argument turns the packet into a binary one, which Socket.IO's parser rebuilds key by key: a
 * `__proto__` own key elsewhere in the packet is lost on that path (it sets the prototype of the rebuilt object,
 * polluting nothing). That is the parser's doing, not the gateway's, so extras stay text.
 */
function hasBinary(value: unknown, depth = 0): boolean {
  if (Buffer.isBuffer(value) || ArrayBuffer.isView(value) || value instanceof ArrayBuffer) return true;
  if (typeof value !== 'object' || value === null || depth > 50) return false;
  return Object.values(value).some((inner) => hasBinary(inner, depth + 1));
}

/** How many data arguments each event reads before its ack; extras go after those, not into an optional slot. */
const ARITY: Record<string, number> = { P2P_EMIT: 1, P2P_EMIT_ACKNOWLEDGE: 1, P2P_REGISTER: 1, LIST_CLIENTS: 1 };

function fillToArity(input: FuzzInput): unknown[] {
  const arity = Object.hasOwn(ARITY, input.event) ? ARITY[input.event]! : 0;
  return input.args.length >= arity ? input.args : [...input.args, ...Array<unknown>(arity - input.args.length).fill(null)];
}

/** An input that has an ack, with one to three extra arguments slipped in before it. */
const withExtras = fc
  .tuple(fc.oneof(relayInput(ROLES), controlInput(ROLES, ROLES)), fc.array(wireValue, { minLength: 1, maxLength: 3 }))
  .filter(([input]) => input.withAck && input.event !== 'P2P_REGISTER_SUCCESS' && input.event !== 'P2P_REGISTER_FAILED')
  .filter(([input, extra]) => !hasForgedPlaceholder([...input.args, ...extra]) && !hasBinary(extra))
  .map(([input, extra]) => ({ plain: input, padded: { ...input, args: [...fillToArity(input), ...extra] } }));

describe('fuzz: the ack is the last argument', () => {
  let arena: FuzzArena;
  beforeAll(async () => {
    arena = await FuzzArena.open({ pairTimeoutMs: 300, ackTimeoutMs: 2_000, limits: GENEROUS_LIMITS });
  });
  afterAll(() => arena.finish());

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
            const roundTrip = (socket: Socket) => arena.roundTrip(socket);
            await runBatch({ attacker, attackerLog, counterpart: victim, counterpartLog, roundTrip }, inputs, expected);
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
