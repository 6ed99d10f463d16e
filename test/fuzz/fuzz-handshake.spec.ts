import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import type { Socket } from 'socket.io-client';
import { rawSocket } from '../support/gateway-harness.js';
import { FuzzArena } from '../support/fuzz-arena.js';
import { GENEROUS_LIMITS } from '../support/fuzz-gateway-options.js';
import { assertProperty, fuzzRuns, fuzzTimeout } from '../support/fuzz-guards.js';
import { hugeString, objectOf, pollutionObject, smallString, wireValue } from '../support/fuzz-values.js';
import { type ConnectError, emitWithAck, whenConnected } from '../support/wire.js';

/**
 * Property-based: random handshake `auth` objects and `?query` values. Every attempt is either admitted under exactly
 * the clientId the contract reads from it (auth.clientId, else ?clientId=), with the declared protocol version, or
 * refused with a connect_error carrying INVALID_CLIENT_ID (or CLIENT_ID_TAKEN for an id held by a live client). The
 * gateway never crashes, and the bystanders are never disturbed.
 */
const RUNS = fuzzRuns(150);
const TIMEOUT = fuzzTimeout(RUNS, 300);
const ID_PATTERN = /^[A-Za-z0-9_.:@-]+$/;

const validId = fc.oneof(
  fc.stringMatching(/^[A-Za-z0-9_.:@-]{1,24}$/),
  fc.integer({ min: 120, max: 128 }).map((length) => 'i'.repeat(length)),
);
const clientIdValue = fc.oneof(
  { weight: 4, arbitrary: validId },
  { weight: 1, arbitrary: fc.constantFrom('fz-observer', 'fz-legit-a', 'i'.repeat(129), '', ' a', 'a b', 'é', 'a\u0000') },
  { weight: 2, arbitrary: smallString },
  { weight: 2, arbitrary: wireValue },
  { weight: 1, arbitrary: hugeString },
);
const tokenValue = fc.oneof(fc.string({ minLength: 1, maxLength: 40 }), fc.constantFrom('', 't'.repeat(256), 't'.repeat(257)), wireValue);
const protocolValue = fc.oneof(
  fc.constantFrom(1, 2, 3, '2', ' 2 ', '2.0', 0, -1, 1.5, NaN, Infinity, 'two', [2], [[3]], [], true, null),
  fc.constant(JSON.parse('{"toString": "not a function", "valueOf": "nor this"}') as unknown),
  wireValue,
);
/** URL-safe strings (no lone surrogates) for the query string. */
const queryString = fc.oneof(
  validId,
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.constantFrom('', 'fz-observer', '2', 'i'.repeat(129)),
);

const authObject = fc
  .record(
    {
      clientId: clientIdValue,
      sessionToken: tokenValue,
      p2pProtocol: protocolValue,
      extra: fc.array(fc.tuple(fc.constantFrom('__proto__', 'constructor', 'prototype', 'clientID', 'auth'), wireValue), { maxLength: 2 }),
    },
    { requiredKeys: ['extra'] },
  )
  .map(({ extra, ...fields }) => objectOf([...Object.entries(fields), ...extra]));

const handshake = fc.record({
  // Socket.IO itself closes the transport on an auth that is not a plain object, so arrays are left out.
  auth: fc.oneof(
    { weight: 6, arbitrary: authObject },
    { weight: 1, arbitrary: pollutionObject.filter((value) => !Array.isArray(value)) },
    { weight: 1, arbitrary: fc.constant(undefined) },
  ),
  query: fc.record({ clientId: queryString, p2pProtocol: queryString }, { requiredKeys: [] }),
});

type Verdict =
  { admitted: string; protocolVersion: number } | { refused: Array<'INVALID_CLIENT_ID' | 'CLIENT_ID_TAKEN'>; orAdmitted?: string };

/** What the contract says of a handshake, read as the server reads it (auth is JSON in the CONNECT packet). */
function verdict(auth: unknown, query: Record<string, string>, taken: ReadonlySet<string>): Verdict {
  const sent = auth === undefined ? {} : (JSON.parse(JSON.stringify(auth)) as Record<string, unknown>);
  const clientId = 'clientId' in sent ? sent.clientId : query.clientId;
  if (typeof clientId !== 'string' || clientId.length === 0 || clientId.length > 128 || !ID_PATTERN.test(clientId)) {
    return { refused: ['INVALID_CLIENT_ID'] };
  }
  const token = sent.sessionToken;
  if (token !== undefined && (typeof token !== 'string' || token.length === 0 || token.length > 256)) {
    return { refused: ['INVALID_CLIENT_ID'] };
  }
  let declared: number;
  try {
    declared = Number('p2pProtocol' in sent ? sent.p2pProtocol : query.p2pProtocol);
  } catch {
    // A version that cannot even be read as a number: refusing it is as fine as ignoring it.
    return taken.has(clientId)
      ? { refused: ['INVALID_CLIENT_ID', 'CLIENT_ID_TAKEN'] }
      : { refused: ['INVALID_CLIENT_ID'], orAdmitted: clientId };
  }
  if (taken.has(clientId)) return { refused: ['CLIENT_ID_TAKEN'] };
  return { admitted: clientId, protocolVersion: Number.isInteger(declared) && declared >= 1 ? declared : 1 };
}

describe('fuzz: handshake', () => {
  let arena: FuzzArena;
  beforeAll(async () => {
    arena = await FuzzArena.open({ limits: GENEROUS_LIMITS });
  });
  afterAll(() => arena.finish());

  it(
    'random auth and query: admitted under the contract clientId, or refused with a code',
    async () => {
      await assertProperty(
        fc.asyncProperty(handshake, async ({ auth, query }) => {
          const before = await arena.picture();
          const taken = new Set((await arena.gw.service.listClients()).map((client) => client.clientId));
          const wanted = verdict(auth, query as Record<string, string>, taken);
          const socket: Socket = rawSocket(arena.gw, query as Record<string, string>, auth === undefined ? {} : { auth: auth as object });
          try {
            let error: ConnectError | undefined;
            await whenConnected(socket).catch((refusal: ConnectError) => {
              error = refusal;
            });
            if (error) {
              if (!('refused' in wanted)) throw new Error(`refused (${String(error)}), expected admission: ${JSON.stringify(wanted)}`);
              expect(error.data).toEqual({ code: expect.any(String), message: expect.any(String) });
              expect(wanted.refused).toContain(error.data!.code);
            } else {
              const admitted = 'admitted' in wanted ? wanted.admitted : wanted.orAdmitted;
              if (admitted === undefined) throw new Error(`admitted, expected a refusal: ${JSON.stringify(wanted)}`);
              const record = await arena.gw.service.getClient(admitted);
              expect(record).toMatchObject({ clientId: admitted, state: 'free' });
              if ('admitted' in wanted) expect(record!.protocolVersion).toBe(wanted.protocolVersion);
              // The server knows this very connection by that id: pairing with it is pairing with oneself.
              expect(await emitWithAck(socket, 'P2P_REGISTER', admitted)).toEqual([
                false,
                { code: 'SELF_PAIRING', message: expect.any(String), event: 'P2P_REGISTER' },
              ]);
            }
            await arena.expectUndisturbed(before);
          } finally {
            await arena.dispose([socket], 'admitted' in wanted ? [wanted.admitted] : wanted.orAdmitted ? [wanted.orAdmitted] : []);
          }
        }),
        { numRuns: RUNS, timeoutMs: TIMEOUT },
      );
    },
    TIMEOUT,
  );
});
