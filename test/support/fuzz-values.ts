import fc from 'fast-check';

/**
 * Arbitraries of hostile wire values: wrong types, odd numbers, unicode, binary, prototype-pollution keys, deep
 * nesting, huge strings. Every value can be sent by socket.io-client (no functions, no bigint, no cycles).
 */

/** The key a pollution attempt tries to plant on Object.prototype; the tests check it never appears there. */
export const POLLUTION_KEY = 'fuzzPolluted';

/** Strings that mean something to JavaScript, to Socket.IO or to this protocol. */
const SPECIAL_STRINGS = [
  '',
  ' ',
  '__proto__',
  'constructor',
  'prototype',
  'toString',
  'valueOf',
  'hasOwnProperty',
  'toJSON',
  'null',
  'undefined',
  'NaN',
  '0',
  '-1',
  '\u0000',
  '\uFFFF',
  '\uD800',
  '\uDC00x',
  '😀',
  'e\u0301',
  '\u202Eevil',
  'P2P_EMIT',
  'P2P_DISCONNECT',
  'LIST_CLIENTS',
  '{"__proto__":{}}',
];

export const smallString: fc.Arbitrary<string> = fc.oneof(
  fc.string({ maxLength: 16 }),
  fc.string({ unit: 'grapheme', maxLength: 8 }),
  fc.string({ unit: 'binary', maxLength: 8 }),
  fc.constantFrom(...SPECIAL_STRINGS),
);

/** 50 000 to 200 000 characters of one unit; at most ~400 KB on the wire, so two fit under Socket.IO's 1 MB. */
export const hugeString: fc.Arbitrary<string> = fc
  .tuple(fc.integer({ min: 50_000, max: 200_000 }), fc.constantFrom('a', 'é', '😀', '"', '\\', 'P2P_'))
  .map(([length, unit]) => unit.repeat(Math.floor(length / unit.length)));

const number: fc.Arbitrary<number> = fc.oneof(
  fc.integer(),
  fc.double(),
  fc.constantFrom(0, -0, 1, -1, 2, 1.5, NaN, Infinity, -Infinity, Number.MAX_SAFE_INTEGER, Number.MIN_VALUE, 2 ** 53 + 1),
);

export const binary: fc.Arbitrary<Uint8Array> = fc.oneof(
  fc.uint8Array({ maxLength: 32 }),
  fc.uint8Array({ maxLength: 32 }).map((bytes) => Buffer.from(bytes)),
  fc.integer({ min: 1_000, max: 64_000 }).map((length) => Buffer.alloc(length, 0xab)),
);

export const primitive: fc.Arbitrary<unknown> = fc.oneof(fc.constantFrom(null, undefined, true, false), number, smallString);

/** Keys that probe prototype handling and this protocol's own field names. */
const KEYS = fc.oneof(
  { weight: 3, arbitrary: smallString },
  {
    weight: 2,
    arbitrary: fc.constantFrom(
      '__proto__',
      'constructor',
      'prototype',
      'event',
      'args',
      'targetClientId',
      'available',
      'clientId',
      'length',
      '_placeholder',
      'num',
    ),
  },
);

/** An object with these entries as OWN keys: `__proto__` becomes an own property, as JSON.parse would make it. */
export function objectOf(entries: ReadonlyArray<readonly [string, unknown]>): Record<string, unknown> {
  const object: Record<string, unknown> = {};
  for (const [key, value] of entries) {
    Object.defineProperty(object, key, { value, enumerable: true, writable: true, configurable: true });
  }
  return object;
}

/** JSON-parsed objects with an own "__proto__" (and friends) trying to reach Object.prototype. */
export const pollutionObject: fc.Arbitrary<unknown> = fc
  .constantFrom(
    `{"__proto__": {"${POLLUTION_KEY}": "yes"}}`,
    `{"constructor": {"prototype": {"${POLLUTION_KEY}": "yes"}}}`,
    `{"prototype": {"${POLLUTION_KEY}": "yes"}}`,
    `{"__proto__": {"__proto__": {"${POLLUTION_KEY}": "yes"}}}`,
    `{"__proto__": {"event": "chat", "args": ["via proto"], "available": true, "${POLLUTION_KEY}": "yes"}}`,
    `{"__proto__": {"toString": "not a function", "valueOf": "nor this"}}`,
    `{"__proto__": null}`,
    `[{"__proto__": {"${POLLUTION_KEY}": "yes"}}]`,
  )
  .map((text) => JSON.parse(text) as unknown);

/** Values nested 50 to 500 deep: arrays, objects, or objects whose nesting key is an own `__proto__`. */
export const deeplyNested: fc.Arbitrary<unknown> = fc
  .tuple(fc.integer({ min: 50, max: 500 }), fc.constantFrom('array', 'object', 'proto'), primitive)
  .map(([depth, shape, leaf]) => nest(depth, shape, leaf));

export function nest(depth: number, shape: 'array' | 'object' | 'proto', leaf: unknown): unknown {
  let value = leaf;
  for (let level = 0; level < depth; level++) {
    value = shape === 'array' ? [value] : objectOf([[shape === 'proto' ? '__proto__' : 'a', value]]);
  }
  return value;
}

/** A Socket.IO binary placeholder forged in JSON: the parser must not confuse it with a real attachment. */
const forgedPlaceholder = fc.constantFrom(
  objectOf([
    ['_placeholder', true],
    ['num', 0],
  ]),
  objectOf([
    ['_placeholder', true],
    ['num', '0'],
  ]),
);

/** Arrays wide enough to matter but far below the sizes that stop Socket.IO itself (see the wide-arguments suite). */
const wideArray = fc.integer({ min: 100, max: 5_000 }).map((length) => new Array<number>(length).fill(7));

/** Any hostile value: a tree of primitives, binary, arrays and objects, with deep, polluting and forged leaves. */
export const wireValue: fc.Arbitrary<unknown> = fc.letrec<{ value: unknown; array: unknown[]; object: unknown }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', maxDepth: 3 },
    { weight: 8, arbitrary: primitive },
    { weight: 2, arbitrary: binary },
    { weight: 3, arbitrary: tie('array') },
    { weight: 3, arbitrary: tie('object') },
    { weight: 1, arbitrary: pollutionObject },
    { weight: 1, arbitrary: deeplyNested },
    { weight: 1, arbitrary: forgedPlaceholder },
    { weight: 1, arbitrary: wideArray },
  ),
  array: fc.array(tie('value'), { maxLength: 5 }),
  object: fc.array(fc.tuple(KEYS, tie('value')), { maxLength: 5 }).map(objectOf),
})).value;

/** Event names: ordinary, reserved by Socket.IO, of this protocol, near misses, prototype names, unicode, empty, long. */
export const SOCKET_IO_NAMES = [
  'connect',
  'connect_error',
  'connect_timeout',
  'connecting',
  'disconnect',
  'disconnecting',
  'error',
  'newListener',
  'removeListener',
  'ping',
  'pong',
  'reconnect',
  'reconnect_attempt',
  'reconnect_error',
  'reconnect_failed',
  'reconnecting',
];
export const PROTOCOL_NAMES = [
  'P2P_REGISTER',
  'P2P_REGISTER_SUCCESS',
  'P2P_REGISTER_FAILED',
  'P2P_UNREGISTER',
  'P2P_DISCONNECT',
  'P2P_EMIT',
  'P2P_EMIT_ACKNOWLEDGE',
  'LIST_CLIENTS',
  'P2P_ERROR',
];

export const eventName: fc.Arbitrary<string> = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom('chat', 'msg', 'a', 'health', 'données', 'ping2', 'x-y.z') },
  { weight: 2, arbitrary: fc.constantFrom(...SOCKET_IO_NAMES, ...PROTOCOL_NAMES) },
  { weight: 1, arbitrary: smallString.map((suffix) => `P2P_${suffix}`) },
  { weight: 1, arbitrary: fc.constantFrom('p2p_emit', 'P2P', 'P2P-EMIT', ' P2P_EMIT', 'P2P_EMIT ', 'list_clients', 'Connect') },
  { weight: 1, arbitrary: fc.constantFrom('__proto__', 'constructor', 'prototype', 'hasOwnProperty', 'toString') },
  { weight: 2, arbitrary: smallString },
  { weight: 1, arbitrary: fc.integer({ min: 250, max: 262 }).map((length) => 'e'.repeat(length)) },
  { weight: 1, arbitrary: fc.integer({ min: 200, max: 3_000 }).map((length) => '😀'.repeat(length)) },
);
