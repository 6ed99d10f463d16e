import fc from 'fast-check';
import { type FuzzInput, IdRef, crossesTheWire } from './fuzz-batch.js';
import {
  PROTOCOL_NAMES,
  SOCKET_IO_NAMES,
  binary,
  eventName,
  hugeString,
  objectOf,
  pollutionObject,
  smallString,
  wireValue,
} from './fuzz-values.js';

/** The inbound events the gateway handles. */
export const HANDLED_EVENTS = [
  'P2P_REGISTER',
  'P2P_REGISTER_SUCCESS',
  'P2P_REGISTER_FAILED',
  'P2P_UNREGISTER',
  'P2P_EMIT',
  'P2P_EMIT_ACKNOWLEDGE',
  'LIST_CLIENTS',
];

/** Names socket.io-client refuses to emit at all (and the server's parser would refuse). */
const CLIENT_REFUSES = ['connect', 'connect_error', 'disconnect', 'disconnecting', 'newListener', 'removeListener'];

/** The spec's reserved relay names: Socket.IO's own, this protocol's, and anything P2P_-prefixed. */
export function isReservedName(event: string): boolean {
  return SOCKET_IO_NAMES.includes(event) || PROTOCOL_NAMES.includes(event) || event.startsWith('P2P_');
}

export const ref = (role: string) => new IdRef(role);

/** A clientId-ish value: a role's id (resolved per run), a stray string, or something that is not an id at all. */
export function idLike(roles: string[]): fc.Arbitrary<unknown> {
  return fc.oneof(
    { weight: 4, arbitrary: fc.constantFrom(...roles.map(ref)) },
    { weight: 2, arbitrary: smallString },
    { weight: 2, arbitrary: wireValue },
    { weight: 1, arbitrary: hugeString },
  );
}

/** Extra arguments where the handler expects none (never an ack: those are the ack-position suite's business). */
const extraArgs = fc.array(wireValue, { maxLength: 3 });

/**
 * Builds an input: with an ack, exactly the arguments that come before the ack in the handler's signature (`before`
 * of them, the missing ones sent as undefined); without one, the arguments plus, sometimes, extra ones.
 */
function shaped(event: string, leading: fc.Arbitrary<unknown[]>, before: number | 'any'): fc.Arbitrary<FuzzInput> {
  return fc
    .record({ leading, withAck: fc.boolean(), extra: extraArgs, addExtra: fc.boolean() })
    .map(({ leading: args, withAck, extra, addExtra }) => {
      if (withAck) {
        const fitted = before === 'any' ? args : Array.from({ length: before }, (_, i) => args[i]);
        return { event, args: fitted, withAck };
      }
      return { event, args: addExtra ? [...args, ...extra] : args, withAck };
    });
}

/** Events outside the protocol, with any arguments. */
export const unknownEventInput: fc.Arbitrary<FuzzInput> = fc.record({
  event: eventName.filter((name) => !HANDLED_EVENTS.includes(name) && !CLIENT_REFUSES.includes(name)),
  args: fc.array(wireValue, { maxLength: 3 }),
  withAck: fc.boolean(),
});

/** A relay payload: mostly well-formed or nearly so, else anything at all. */
export function relayPayload(targetRoles: string[]): fc.Arbitrary<unknown> {
  const target = fc.oneof({ weight: 4, arbitrary: fc.constant(ref('peer')) }, { weight: 3, arbitrary: idLike(targetRoles) });
  const goodArgs = fc.array(wireValue, { maxLength: 4 });
  const shapedPayload = fc
    .record(
      {
        targetClientId: target,
        event: fc.oneof({ weight: 5, arbitrary: eventName }, { weight: 1, arbitrary: wireValue }),
        args: fc.oneof({ weight: 5, arbitrary: goodArgs }, { weight: 1, arbitrary: wireValue }),
        extra: fc.array(fc.tuple(fc.constantFrom('__proto__', 'constructor', 'prototype', 'extra', 'toJSON'), wireValue), {
          maxLength: 2,
        }),
      },
      { requiredKeys: ['event', 'extra'] },
    )
    .map(({ extra, ...fields }) => objectOf([...Object.entries(fields), ...extra]));
  const hugePayload = fc.tuple(fc.constantFrom('args', 'event', 'targetClientId'), hugeString, fc.boolean()).map(([where, huge, toPeer]) =>
    objectOf([
      ['targetClientId', where === 'targetClientId' ? huge : toPeer ? ref('peer') : undefined],
      ['event', where === 'event' ? huge : 'chat'],
      ['args', where === 'args' ? [huge, 1] : ['small']],
    ]),
  );
  const wellFormed = fc
    .record(
      {
        targetClientId: fc.constant(ref('peer')),
        event: fc.constantFrom('chat', 'msg', 'données', '😀', ' P2P_EMIT', 'p2p_emit', '__proto__', 'constructor'),
        args: goodArgs,
      },
      { requiredKeys: ['event'] },
    )
    .map((fields) => objectOf(Object.entries(fields)));
  return fc.oneof(
    { weight: 6, arbitrary: wellFormed },
    { weight: 8, arbitrary: shapedPayload },
    { weight: 2, arbitrary: wireValue },
    { weight: 1, arbitrary: pollutionObject },
    { weight: 1, arbitrary: binary },
    { weight: 1, arbitrary: fc.constantFrom(undefined, null, [], {}, 'chat') },
    { weight: 1, arbitrary: hugePayload },
  );
}

/** P2P_EMIT / P2P_EMIT_ACKNOWLEDGE inputs, and now and then an event outside the protocol. */
export function relayInput(targetRoles: string[]): fc.Arbitrary<FuzzInput> {
  const payload = relayPayload(targetRoles);
  const relay = fc
    .constantFrom('P2P_EMIT', 'P2P_EMIT_ACKNOWLEDGE')
    .chain((event) =>
      shaped(event, fc.oneof({ weight: 9, arbitrary: payload.map((p) => [p]) }, { weight: 1, arbitrary: fc.constant<unknown[]>([]) }), 1),
    );
  return fc.oneof({ weight: 6, arbitrary: relay }, { weight: 1, arbitrary: unknownEventInput }).filter(crossesTheWire);
}

/** The control events (pairing, consent, unpairing, listing), and now and then an event outside the protocol. */
export function controlInput(targetRoles: string[], claimRoles: string[]): fc.Arbitrary<FuzzInput> {
  const target = fc.oneof(
    { weight: 3, arbitrary: idLike(targetRoles) },
    { weight: 1, arbitrary: fc.constantFrom(...targetRoles.map(ref)) },
  );
  const claimed = fc.oneof(
    { weight: 3, arbitrary: idLike(claimRoles) },
    { weight: 1, arbitrary: fc.constant(ref('counterpart')) },
    { weight: 1, arbitrary: fc.constantFrom(undefined, null) },
  );
  const filter = fc.oneof(
    fc.constantFrom(undefined, null, { available: true }, { available: false }, {}, { available: 'true' }, { available: 1 }),
    wireValue,
    pollutionObject,
    binary,
  );
  const optional = (arbitrary: fc.Arbitrary<unknown>) =>
    fc.oneof({ weight: 4, arbitrary: arbitrary.map((value): unknown[] => [value]) }, { weight: 1, arbitrary: fc.constant<unknown[]>([]) });
  return fc
    .oneof(
      { weight: 3, arbitrary: shaped('P2P_REGISTER', optional(target), 1) },
      { weight: 2, arbitrary: shaped('P2P_REGISTER_SUCCESS', optional(claimed), 'any') },
      { weight: 2, arbitrary: shaped('P2P_REGISTER_FAILED', optional(claimed), 'any') },
      { weight: 2, arbitrary: shaped('P2P_UNREGISTER', fc.constant<unknown[]>([]), 0) },
      { weight: 2, arbitrary: shaped('LIST_CLIENTS', optional(filter), 'any') },
      { weight: 2, arbitrary: unknownEventInput },
    )
    .filter(crossesTheWire);
}
