import { afterEach, describe, expect, it } from '@jest/globals';
import type { Socket as ServerSocket } from 'socket.io';
import type { P2pError, UndeliveredMessage } from '../../packages/client/src/index.js';
import { type GatewayHarness, connectClient, startGateway } from '../support/gateway-harness.js';
import { codeOf, eventually } from '../support/eventually.js';
import { gatewayNamespace } from './e2e-gateway.js';

const TIMEOUT_MS = 2_000;

/** A gateway that swallows the key exchange: every frame of A that names a P2P_E2E_ message is never relayed. */
function swallowExchange(gw: GatewayHarness): { swallowed: () => number } {
  let swallowed = 0;
  gatewayNamespace(gw).on('connection', (socket: ServerSocket) => {
    socket.use((packet, next) => {
      const [event, frame] = packet as [string, { e?: unknown }];
      const from = (socket.data as { p2p?: { clientId?: string } }).p2p?.clientId;
      if (event === 'P2P_FRAME' && from === 'A' && typeof frame?.e === 'string' && frame.e.startsWith('P2P_E2E_')) {
        swallowed++;
        return;
      }
      next();
    });
  });
  return { swallowed: () => swallowed };
}

describe('end-to-end encryption: a key exchange that does not complete', () => {
  let gw: GatewayHarness;
  afterEach(async () => gw?.close());

  it('ends the pairing with E2E_TIMEOUT after e2eTimeoutMs, and the messages queued meanwhile are reported with that code', async () => {
    gw = await startGateway();
    const gateway = swallowExchange(gw);
    const a = await connectClient(gw, 'A', { e2e: true, e2eTimeoutMs: TIMEOUT_MS });
    // B's own bound is longer: A's ends the pairing (the same bound on both sides would race).
    const b = await connectClient(gw, 'B', { e2e: true, e2eTimeoutMs: 60_000 });
    const errors: string[] = [];
    const unpaired: string[] = [];
    const undelivered: { messages: UndeliveredMessage[]; code: string }[] = [];
    a.on('error', (error: P2pError) => errors.push(error.code));
    a.on('unpaired', (_peer, reason) => unpaired.push(reason));
    a.on('undelivered', (messages, error) => undelivered.push({ messages, code: error.code }));
    const bGot: unknown[] = [];
    // The app's events only: the socket also gets the protocol's own (P2P_*).
    b.socket.onAny((event: string, ...args: unknown[]) => event.startsWith('P2P_') || bGot.push([event, ...args]));
    const started = Date.now();
    await a.pair('B');
    for (let i = 0; i < 5; i++) a.emit('note', i);
    const asked = a.emitWithAck('question').then(
      () => 'answered',
      (reason: unknown) => codeOf(reason),
    );
    expect(await asked).toBe('E2E_TIMEOUT');
    await eventually(() => expect(unpaired).toEqual(['E2E_TIMEOUT']), 10_000);
    // Not before the bound (the exchange was held back from the start).
    expect(Date.now() - started).toBeGreaterThanOrEqual(TIMEOUT_MS - 100);
    expect(errors).toContain('E2E_TIMEOUT');
    expect(undelivered.map((report) => report.code)).toEqual(['E2E_TIMEOUT']);
    expect(undelivered[0]!.messages.map((message) => [message.event, ...message.args])).toEqual([
      ...[0, 1, 2, 3, 4].map((i) => ['note', i]),
      ['question'],
    ]);
    expect(a.secure).toBe(false);
    expect(a.state).toBe('idle');
    expect(gateway.swallowed()).toBeGreaterThan(0);
    // B ends too (the unpairing A asked the gateway for); none of A's messages reached it.
    await eventually(() => expect(b.state).toBe('idle'), 10_000);
    expect(bGot).toEqual([]);
  }, 30_000);

  it('an exchange that completes within the bound is not ended by it', async () => {
    gw = await startGateway();
    const a = await connectClient(gw, 'A', { e2e: true, e2eTimeoutMs: TIMEOUT_MS });
    const b = await connectClient(gw, 'B', { e2e: true, e2eTimeoutMs: TIMEOUT_MS });
    const errors: string[] = [];
    a.on('error', (error: P2pError) => errors.push(error.code));
    b.on('error', (error: P2pError) => errors.push(error.code));
    await a.pair('B');
    await eventually(() => expect(a.secure && b.secure).toBe(true), 10_000);
    // Well past the bound: still paired, still talking.
    await new Promise((resolve) => setTimeout(resolve, TIMEOUT_MS * 2));
    const got: number[] = [];
    b.socket.on('n', (i: number) => got.push(i));
    a.emit('n', 1);
    await eventually(() => expect(got).toEqual([1]), 10_000);
    expect(a.state).toBe('paired');
    expect(errors).toEqual([]);
  }, 30_000);
});
