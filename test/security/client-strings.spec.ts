/// <reference path="../support/socket.io-client-v2.d.ts" />
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from '@jest/globals';
import ioV2, { type V2Socket } from 'socket.io-client-v2';
import { isReservedEventName } from '../../packages/protocol/src/index.js';
import type { P2pLifecycleEvent, P2pPairParty } from '../../packages/server/src/index.js';
import { printable, reportFailure } from '../../packages/server/src/logging/gateway.logger.js';
import { type GatewayHarness, waitFor } from '../support/gateway-harness.js';
import { connectRaw, connectRawV2, emitWithAck, expectHealthyPair, pairRaw, recordEvents, roundTrip, states } from '../support/wire.js';
import { type CapturingLogger, UNPRINTABLE, startLoggedGateway } from './captured-log.js';
import { relay, wireError } from './security-support.js';

/** Targets no connection could hold: forged log lines, ANSI escapes, separators, too long, a megabyte-ish. */
const BAD_TARGETS = [
  'B\n[Nest] 4242  - 12/07/2026, 1:00:00 PM     LOG [P2pGateway] forged line',
  '\u001b[2J\u001b[31mB',
  'B\u2028C',
  'B\u202eC',
  'has space',
  'B\u0000',
  'x'.repeat(129),
  'x'.repeat(600_000),
];

describe('security: strings from clients are checked before hooks, events and logs see them', () => {
  let gw: GatewayHarness & { logger: CapturingLogger };
  let events: P2pLifecycleEvent[];
  let canPairCalls: Array<[P2pPairParty, P2pPairParty]>;
  const v2Sockets: V2Socket[] = [];
  afterEach(async () => {
    for (const socket of v2Sockets.splice(0)) socket.close();
    await gw.close();
  });

  async function start(canPair: (source: P2pPairParty, target: P2pPairParty) => boolean | Promise<boolean>) {
    canPairCalls = [];
    gw = await startLoggedGateway({
      canPair: (source, target) => (canPairCalls.push([source, target]), canPair(source, target)),
      limits: { pairRequests: false },
    });
    events = [];
    gw.service.events$.subscribe((event) => events.push(event));
  }

  async function connectV2(clientId: string): Promise<V2Socket> {
    const socket = ioV2(`${gw.url}?clientId=${clientId}`, { transports: ['websocket'], forceNew: true, reconnection: false });
    v2Sockets.push(socket);
    await waitFor(socket, 'connect');
    return socket;
  }

  it('refuses a P2P_REGISTER target outside the clientId rules with INVALID_CLIENT_ID, never echoed; canPair, events and logs never see it', async () => {
    await start(() => {
      throw new Error('the policy is down');
    });
    const b = await connectRaw(gw, 'B');
    const a = await connectRawV2(gw, 'A');
    const atB = recordEvents(b);
    for (const target of BAD_TARGETS) {
      const answer = await emitWithAck(a, 'P2P_REGISTER', target);
      expect(answer).toEqual([false, { code: 'INVALID_CLIENT_ID', message: expect.any(String), event: 'P2P_REGISTER' }]);
      const { message } = answer[1] as { message: string };
      expect(message).not.toContain(target);
      expect(message).toMatch(/^targetClientId /);
    }
    await roundTrip(b);
    expect(atB).toEqual([]);
    expect(canPairCalls).toEqual([]);
    expect(events.filter((event) => event.type !== 'connected')).toEqual([]);
    const logged = gw.logger.messages.join('\n');
    for (const target of BAD_TARGETS) expect(logged).not.toContain(target);
    expect(logged).not.toContain('forged line');
    expect(Object.values(await states(gw))).toEqual(['free', 'free']);

    // Nothing else disturbed: a valid target still reaches the policy (and its failure is logged), and A stays usable.
    expect(await emitWithAck(a, 'P2P_REGISTER', 'B')).toEqual([false, wireError('PAIR_FORBIDDEN', 'P2P_REGISTER')]);
    expect(canPairCalls).toEqual([[{ clientId: 'A' }, { clientId: 'B' }]]);
    expect(gw.logger.messages.filter((line) => line.startsWith('canPair(A, B) threw'))).toHaveLength(1);
  });

  it('answers an original client (socket.io-client 2.x, protocol 1) in the original shape: ack(false, error)', async () => {
    await start(() => true);
    const b = await connectV2('B');
    const a = await connectV2('A');
    const askedB: unknown[] = [];
    b.on('P2P_REGISTER', (source: unknown) => askedB.push(source));
    const answer = await new Promise<unknown[]>((resolve) =>
      a.emit('P2P_REGISTER', '\u001b[31mB\n', (...args: unknown[]) => resolve(args)),
    );
    expect(answer).toEqual([false, { code: 'INVALID_CLIENT_ID', message: expect.any(String), event: 'P2P_REGISTER' }]);
    // The same connection then pairs for real with a valid id.
    b.on('P2P_REGISTER', () => b.emit('P2P_REGISTER_SUCCESS'));
    const paired = await new Promise<unknown[]>((resolve) => a.emit('P2P_REGISTER', 'B', (...args: unknown[]) => resolve(args)));
    expect(paired).toEqual([true]);
    expect(askedB).toEqual(['A']);
    expect(canPairCalls).toEqual([[{ clientId: 'A' }, { clientId: 'B' }]]);
  });

  it('writes what a hook threw into the log with its control characters escaped and its length cut', async () => {
    await start(() => {
      throw new Error(`denied\n[Nest] 1  - LOG [P2pGateway] forged \u001b[31mred\u001b[0m ${'y'.repeat(5000)}`);
    });
    const b = await connectRaw(gw, 'B');
    const a = await connectRaw(gw, 'A');
    expect(await emitWithAck(a, 'P2P_REGISTER', 'B')).toEqual([false, wireError('PAIR_FORBIDDEN')]);
    await roundTrip(b);
    const [line = '', ...more] = gw.logger.messages.filter((message) => message.startsWith('canPair('));
    expect(more).toEqual([]);
    expect(line).not.toMatch(UNPRINTABLE);
    expect(line).toContain('denied\\u{a}[Nest] 1');
    expect(line).toContain('\\u{1b}[31mred');
    expect(line.length).toBeLessThan(1000);
    expect(line).toMatch(/more characters\); the pairing is refused$/);
  });

  it('logs a failure with its message printable and its stack frames as they are', async () => {
    gw = await startLoggedGateway({});
    events = [];
    reportFailure('connection', new Error('store said: x\n[Nest] 1  - LOG [P2pGateway] forged\u001b[0m'));
    const [line = '', ...more] = gw.logger.lines.filter((entry) => entry.level === 'error').map((entry) => entry.message);
    expect(more).toEqual([]);
    const [first, ...frames] = line.split('\n');
    expect(first).toBe('connection failed: Error: store said: x\\u{a}[Nest] 1  - LOG [P2pGateway] forged\\u{1b}[0m');
    expect(frames.length).toBeGreaterThan(0);
    expect(frames.every((frame) => frame.startsWith('    at '))).toBe(true);
  });

  it('printable() escapes every control character and leaves other text as it is', () => {
    expect(printable('plain id-1@x:y é 漢字')).toBe('plain id-1@x:y é 漢字');
    expect(printable('a\r\nb\u0085c\u2028d\u202ee\u007f')).toBe('a\\u{d}\\u{a}b\\u{85}c\\u{2028}d\\u{202e}e\\u{7f}');
    expect(printable('z'.repeat(600))).toBe(`${'z'.repeat(512)}... (88 more characters)`);
  });
});

describe('security: event names socket.io-client 2.x or 4.x treats as its own are never relayed', () => {
  let gw: GatewayHarness | undefined;
  const v2Sockets: V2Socket[] = [];
  afterEach(async () => {
    for (const socket of v2Sockets.splice(0)) socket.close();
    await gw?.close();
    gw = undefined;
  });

  /** The names a socket.io-client source file lists in `block` (e.g. `var events = {`), read from node_modules. */
  function namesListed(file: string, block: string): string[] {
    const source = readFileSync(new URL(`../../node_modules/${file}`, import.meta.url), 'utf8');
    const start = source.indexOf(block);
    expect(start).toBeGreaterThanOrEqual(0);
    const body = source.slice(start + block.length, source.indexOf('}', start));
    return [...body.matchAll(/^\s*([A-Za-z_]+):\s*1/gm)].map((match) => match[1]!);
  }

  it("reserves every lifecycle name of socket.io-client 2.x's Socket and 4.x's RESERVED_EVENTS", () => {
    const v2 = namesListed('socket.io-client-v2/lib/socket.js', 'var events = {');
    const v4 = namesListed('socket.io-client/build/esm/socket.js', 'const RESERVED_EVENTS = Object.freeze({');
    expect(v2).toEqual(expect.arrayContaining(['connect_timeout', 'connecting', 'reconnecting', 'pong']));
    expect(v4).toEqual(expect.arrayContaining(['disconnecting', 'newListener']));
    for (const name of [...v2, ...v4]) expect([name, isReservedEventName(name)]).toEqual([name, true]);
  });

  it('refuses connect_timeout, connecting and the rest with RESERVED_EVENT; a 2.x peer fires none of its lifecycle handlers', async () => {
    gw = await startLoggedGateway({});
    const b = ioV2(`${gw.url}?clientId=B`, { transports: ['websocket'], forceNew: true, reconnection: false });
    v2Sockets.push(b);
    await waitFor(b, 'connect');
    b.on('P2P_REGISTER', () => b.emit('P2P_REGISTER_SUCCESS'));
    const a = await connectRawV2(gw, 'A');
    expect(await emitWithAck(a, 'P2P_REGISTER', 'B')).toEqual([true]);
    const lifecycle = ['connect_timeout', 'connecting', 'connect', 'connect_error', 'disconnect', 'error'];
    const fired: unknown[][] = [];
    for (const name of [
      ...lifecycle,
      'reconnect',
      'reconnecting',
      'reconnect_attempt',
      'reconnect_failed',
      'reconnect_error',
      'ping',
      'pong',
    ]) {
      b.on(name, (...args: unknown[]) => fired.push([name, ...args]));
    }
    for (const name of [...lifecycle, 'reconnecting', 'reconnect_error', 'disconnecting', 'newListener', 'removeListener']) {
      expect([name, await relay(a, name, ['forged'])]).toEqual([name, wireError('RESERVED_EVENT', 'P2P_EMIT')]);
    }
    // An ordinary event on the same pairing arrives: whatever the gateway sent B before has arrived by then.
    const arrived = waitFor(b, 'chat');
    expect(await relay(a, 'chat', ['hello'])).toBeNull();
    expect(await arrived).toEqual(['hello']);
    expect(fired).toEqual([]);
    expect(b.connected).toBe(true);
  });

  it('still relays ordinary events between 4.x clients after refusing a reserved one', async () => {
    gw = await startLoggedGateway({});
    const b = await connectRawV2(gw, 'B');
    const a = await connectRawV2(gw, 'A');
    await pairRaw(a, b, 'B');
    expect(await relay(a, 'connecting', [])).toEqual(wireError('RESERVED_EVENT'));
    await expectHealthyPair(a, b, 'B');
  });
});
