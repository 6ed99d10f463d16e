import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import type { Socket } from 'socket.io-client';
import { type GatewayHarness, startGateway } from '../support/gateway-harness.js';
import {
  askRaw,
  connectRaw,
  connectRawV2,
  emitWithAck,
  expectHealthyPair,
  nextP2pError,
  pairRaw,
  recordEvents,
  spyAck,
  states,
} from '../support/wire.js';

/**
 * Every test sends one malformed input into a busy gateway and then checks that nothing else moved:
 *   A (protocol 1) paired with B; V (protocol 2) paired with W; G asking H (open request); E and F free.
 * The health checks at the end run after the input in each socket's order, so anything it wrongly caused has arrived
 * by the time the recorded events are compared.
 */
type Id = 'A' | 'B' | 'E' | 'F' | 'G' | 'H' | 'V' | 'W';
const IDS: Id[] = ['A', 'B', 'E', 'F', 'G', 'H', 'V', 'W'];
const BEFORE = { A: 'paired', B: 'paired', E: 'free', F: 'free', G: 'asking', H: 'asked', V: 'paired', W: 'paired' };

/** Stands for a spy ack in a case's arguments; the spy must never be called. */
const SPY = Symbol('spy ack');

type Outcome =
  /** The last argument is a real ack; it is answered with these arguments. */
  | { ack: unknown[] }
  /** The failure comes as P2P_ERROR with this payload. */
  | { p2pError: object }
  /** No answer at all. */
  | { nothing: true };

interface Case {
  from: Id;
  event: string;
  args: unknown[];
  outcome: Outcome;
}

const invalid = (event: string) => ({ code: 'INVALID_PAYLOAD', message: expect.any(String), event });
const controlRefusal = (event: string): Outcome => ({ ack: [false, invalid(event)] });
const relayRefusal = (event: string): Outcome => ({ ack: [invalid(event)] });
const asP2pError = (event: string, code = 'INVALID_PAYLOAD'): Outcome => ({
  p2pError: { code, message: expect.any(String), event },
});

/** Relay payloads that are malformed in every way a JSON-ish wire allows. */
const BAD_RELAY_PAYLOADS: Array<[string, unknown]> = [
  ['null', null],
  ['a number', 42],
  ['a string', 'chat'],
  ['an empty array', []],
  ['an array holding a payload', [{ event: 'chat', args: [] }]],
  ['an empty object', {}],
  ['a numeric event', { event: 42, args: [] }],
  ['a null event', { event: null, args: [] }],
  ['an array event', { event: ['chat'], args: [] }],
  ['an empty event name', { event: '', args: [] }],
  ['a 257-character event name', { event: 'e'.repeat(257), args: [] }],
  ['a huge event name', { event: 'e'.repeat(100_000), args: [] }],
  ['args as a string', { event: 'chat', args: 'hello' }],
  ['args as an object', { event: 'chat', args: { 0: 'hello', length: 1 } }],
  ['args as null', { event: 'chat', args: null }],
  ['a numeric targetClientId', { targetClientId: 42, event: 'chat', args: [] }],
  ['an object targetClientId', { targetClientId: { id: 'B' }, event: 'chat', args: [] }],
];
const SOME_BAD_RELAY_PAYLOADS = BAD_RELAY_PAYLOADS.filter(([label]) =>
  ['null', 'a string', 'an empty object', 'a numeric event', 'a 257-character event name', 'args as a string'].includes(label),
);
const GOOD_RELAY = { targetClientId: 'B', event: 'chat', args: ['hi'] };

const cases: Array<[string, Case]> = [
  // P2P_REGISTER(targetClientId, ack), from the free E towards the free F.
  ...([42, null, ['F'], { targetClientId: 'F' }, '', true] as unknown[]).map((target): [string, Case] => [
    `P2P_REGISTER with target ${JSON.stringify(target)} and an ack`,
    { from: 'E', event: 'P2P_REGISTER', args: [target], outcome: controlRefusal('P2P_REGISTER') },
  ]),
  ['P2P_REGISTER with no arguments', { from: 'E', event: 'P2P_REGISTER', args: [], outcome: asP2pError('P2P_REGISTER') }],
  ['P2P_REGISTER with a valid target but no ack', { from: 'E', event: 'P2P_REGISTER', args: ['F'], outcome: asP2pError('P2P_REGISTER') }],
  ['P2P_REGISTER with a string as ack', { from: 'E', event: 'P2P_REGISTER', args: ['F', 'ack'], outcome: asP2pError('P2P_REGISTER') }],
  ['P2P_REGISTER with a number as ack', { from: 'E', event: 'P2P_REGISTER', args: ['F', 1], outcome: asP2pError('P2P_REGISTER') }],
  // Socket.IO passes the ack last whatever precedes it, so a lone ack is the ack: the refusal travels on it.
  ['P2P_REGISTER with only an ack', { from: 'E', event: 'P2P_REGISTER', args: [], outcome: controlRefusal('P2P_REGISTER') }],

  // P2P_REGISTER_SUCCESS / FAILED([sourceClientId], [ack]), from H, which G's request is open to.
  ...([42, {}, ['G'], true] as unknown[]).flatMap((source): Array<[string, Case]> =>
    (['P2P_REGISTER_SUCCESS', 'P2P_REGISTER_FAILED'] as const).map((event) => [
      `${event} with source ${JSON.stringify(source)} and an ack`,
      { from: 'H', event, args: [source], outcome: controlRefusal(event) },
    ]),
  ),
  [
    'P2P_REGISTER_SUCCESS with a numeric source, no ack',
    { from: 'H', event: 'P2P_REGISTER_SUCCESS', args: [7], outcome: asP2pError('P2P_REGISTER_SUCCESS') },
  ],
  [
    'P2P_REGISTER_FAILED with an object source, no ack',
    { from: 'H', event: 'P2P_REGISTER_FAILED', args: [{ sourceId: 'G' }], outcome: asP2pError('P2P_REGISTER_FAILED') },
  ],

  // P2P_EMIT(payload, [ack]), from A, paired with B: without ack the error is an event, with one it is error-first.
  ...BAD_RELAY_PAYLOADS.map(([label, payload]): [string, Case] => [
    `P2P_EMIT with ${label}, no ack`,
    { from: 'A', event: 'P2P_EMIT', args: [payload], outcome: asP2pError('P2P_EMIT') },
  ]),
  ...SOME_BAD_RELAY_PAYLOADS.map(([label, payload]): [string, Case] => [
    `P2P_EMIT with ${label} and an ack`,
    { from: 'A', event: 'P2P_EMIT', args: [payload], outcome: relayRefusal('P2P_EMIT') },
  ]),
  ['P2P_EMIT with no arguments', { from: 'A', event: 'P2P_EMIT', args: [], outcome: asP2pError('P2P_EMIT') }],

  // P2P_EMIT_ACKNOWLEDGE(payload, ack) from A (protocol 1: P2P_ERROR, ack never called) and V (protocol 2: error-first).
  ...SOME_BAD_RELAY_PAYLOADS.map(([label, payload]): [string, Case] => [
    `P2P_EMIT_ACKNOWLEDGE (protocol 1) with ${label}`,
    { from: 'A', event: 'P2P_EMIT_ACKNOWLEDGE', args: [payload, SPY], outcome: asP2pError('P2P_EMIT_ACKNOWLEDGE') },
  ]),
  ...SOME_BAD_RELAY_PAYLOADS.map(([label, payload]): [string, Case] => [
    `P2P_EMIT_ACKNOWLEDGE (protocol 2) with ${label}`,
    { from: 'V', event: 'P2P_EMIT_ACKNOWLEDGE', args: [payload], outcome: relayRefusal('P2P_EMIT_ACKNOWLEDGE') },
  ]),
  [
    'P2P_EMIT_ACKNOWLEDGE with a valid payload but no ack',
    { from: 'A', event: 'P2P_EMIT_ACKNOWLEDGE', args: [GOOD_RELAY], outcome: asP2pError('P2P_EMIT_ACKNOWLEDGE') },
  ],
  [
    'P2P_EMIT_ACKNOWLEDGE with a string as ack',
    { from: 'A', event: 'P2P_EMIT_ACKNOWLEDGE', args: [GOOD_RELAY, 'ack'], outcome: asP2pError('P2P_EMIT_ACKNOWLEDGE') },
  ],
  [
    'P2P_EMIT_ACKNOWLEDGE (protocol 2) with no ack',
    { from: 'V', event: 'P2P_EMIT_ACKNOWLEDGE', args: [{ event: 'chat', args: [] }], outcome: asP2pError('P2P_EMIT_ACKNOWLEDGE') },
  ],
  [
    'P2P_EMIT_ACKNOWLEDGE with no arguments',
    { from: 'A', event: 'P2P_EMIT_ACKNOWLEDGE', args: [], outcome: asP2pError('P2P_EMIT_ACKNOWLEDGE') },
  ],

  // LIST_CLIENTS([filter], ack): the ack's shape has no error slot, so failures come as P2P_ERROR.
  ['LIST_CLIENTS with no ack', { from: 'E', event: 'LIST_CLIENTS', args: [], outcome: asP2pError('LIST_CLIENTS') }],
  [
    'LIST_CLIENTS with a filter but no ack',
    { from: 'E', event: 'LIST_CLIENTS', args: [{ available: true }], outcome: asP2pError('LIST_CLIENTS') },
  ],
  ['LIST_CLIENTS with a string as ack', { from: 'E', event: 'LIST_CLIENTS', args: ['ack'], outcome: asP2pError('LIST_CLIENTS') }],
  ...([42, 'available', [], true] as unknown[]).map((filter): [string, Case] => [
    `LIST_CLIENTS with filter ${JSON.stringify(filter)}`,
    { from: 'E', event: 'LIST_CLIENTS', args: [filter, SPY], outcome: asP2pError('LIST_CLIENTS') },
  ]),

  // P2P_UNREGISTER([ack]) with junk from a client that is not paired.
  [
    'P2P_UNREGISTER with junk arguments from a free client',
    { from: 'E', event: 'P2P_UNREGISTER', args: [{ peer: 'F' }], outcome: asP2pError('P2P_UNREGISTER', 'NOT_PAIRED') },
  ],

  // Events outside the protocol are not relayed or acted on.
  ['an event outside the protocol', { from: 'A', event: 'chat', args: ['to B?'], outcome: { nothing: true } }],
  ['an event outside the protocol with an ack', { from: 'A', event: 'SOMETHING_ELSE', args: [{ x: 1 }, SPY], outcome: { nothing: true } }],
];

describe('gateway: malformed input', () => {
  let gw: GatewayHarness;
  let sockets: Record<Id, Socket>;
  let pendingRequest: Promise<unknown[]>;

  beforeEach(async () => {
    gw = await startGateway({ pairTimeoutMs: 10_000, ackTimeoutMs: 2000 });
    const [A, B, E, F, G, H, W] = await Promise.all(['A', 'B', 'E', 'F', 'G', 'H', 'W'].map((id) => connectRaw(gw, id)));
    const V = await connectRawV2(gw, 'V');
    sockets = { A: A!, B: B!, E: E!, F: F!, G: G!, H: H!, V, W: W! };
    await pairRaw(sockets.A, sockets.B, 'B');
    await pairRaw(sockets.V, sockets.W, 'W');
    pendingRequest = (await askRaw(sockets.G, sockets.H, 'H')).answer;
    expect(await states(gw)).toEqual(BEFORE);
  });
  afterEach(() => gw.close());

  it.each(cases)('%s: a clear answer and nothing else disturbed', async (_label, { from, event, args, outcome }) => {
    const sender = sockets[from];
    const logs = Object.fromEntries(IDS.map((id) => [id, recordEvents(sockets[id])])) as Record<Id, unknown[][]>;
    const spy = spyAck();
    const wireArgs = args.map((arg) => (arg === SPY ? spy.ack : arg));

    if ('ack' in outcome) {
      expect(await emitWithAck(sender, event, ...wireArgs)).toEqual(outcome.ack);
    } else if ('p2pError' in outcome) {
      const error = nextP2pError(sender);
      sender.emit(event, ...wireArgs);
      expect(await error).toEqual(outcome.p2pError);
    } else {
      sender.emit(event, ...wireArgs);
    }

    // The pairs still relay, and (once the sender's input is surely handled) no state moved.
    await expectHealthyPair(sockets.A, sockets.B, 'B');
    await expectHealthyPair(sockets.V, sockets.W, 'W');
    expect(await states(gw)).toEqual(BEFORE);
    // The open request is intact: H can still consent to it, and the free pair can still pair.
    expect(await emitWithAck(sockets.H, 'P2P_REGISTER_SUCCESS', 'G')).toEqual([true]);
    expect(await pendingRequest).toEqual([true]);
    await pairRaw(sockets.E, sockets.F, 'F');

    expect(spy.calls).toEqual([]);
    const unexpected = Object.fromEntries(IDS.map((id) => [id, logs[id].filter((entry) => !isHealthTraffic(id, entry))] as const));
    const expectedAtSender = 'p2pError' in outcome ? [['P2P_ERROR', outcome.p2pError]] : [];
    expect(unexpected).toEqual(Object.fromEntries(IDS.map((id) => [id, id === from ? expectedAtSender : []])));
  });
});

/** Traffic the health checks themselves cause: relayed checks, and F being asked by E. */
function isHealthTraffic(id: Id, [event, ...args]: unknown[]): boolean {
  return event === 'health-check' || (id === 'F' && event === 'P2P_REGISTER' && args[0] === 'E');
}
