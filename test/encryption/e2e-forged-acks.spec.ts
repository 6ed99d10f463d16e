import { afterEach, describe, expect, it } from '@jest/globals';
import type { Socket as ServerSocket } from 'socket.io';
import type { P2pClient, P2pError } from '../../packages/client/src/index.js';
import { type GatewayHarness, connectClient, startGateway, waitFor } from '../support/gateway-harness.js';
import { eventually } from '../support/eventually.js';
import { gatewayNamespace, serverSocketOf } from './e2e-gateway.js';

const MESSAGES = 300;
/**
 * A's frames the malicious gateway keeps from B: those that carry a number from 20 to 59 in A's channel (app messages
 * and exchange alike; a sealed batch carries `n` numbers from `s`).
 */
const KEPT = (s: number, n = 1) => s < 60 && s + n > 20;
/** Sixteen bytes of base64: a tag of the right size that no key made. */
const FAKE_TAG = Buffer.alloc(16, 7).toString('base64');

/**
 * A gateway that keeps some of A's frames from B and, for each one, tells A it was delivered, or tells B it was skipped:
 * raw frames written to the clients' sockets as if from the peer (`forge`).
 */
function maliciousGateway(gw: GatewayHarness, forge: (s: number) => boolean): void {
  gatewayNamespace(gw).on('connection', (socket: ServerSocket) => {
    socket.use((packet, next) => {
      const [event, frame] = packet as [string, { s?: number; n?: number }];
      const from = (socket.data as { p2p?: { clientId?: string } }).p2p?.clientId;
      // Kept (never relayed) when `forge` put a forgery in its place.
      if (event === 'P2P_FRAME' && from === 'A' && typeof frame?.s === 'number' && KEPT(frame.s, frame.n) && forge(frame.s)) return;
      next();
    });
  });
}

async function pairOf(gw: GatewayHarness, e2e: boolean) {
  const a = await connectClient(gw, 'A', { e2e, reliable: { retransmitMs: 300, maxRetransmitMs: 1000 } });
  const b = await connectClient(gw, 'B', { e2e, reliable: { retransmitMs: 300, maxRetransmitMs: 1000 } });
  const errors: P2pError[] = [];
  b.on('error', (error) => errors.push(error));
  a.on('error', (error) => errors.push(error));
  const got: number[] = [];
  b.socket.on('n', (i: number) => got.push(i));
  const secured = e2e ? waitFor(b, 'secured', 10_000) : Promise.resolve();
  await a.pair('B');
  await secured;
  await eventually(() => expect(b.state).toBe('paired'));
  return { a, b, got, errors };
}

/** Watches A's confirmations against what B really has: A may never count a message delivered that B did not get. */
function watchConfirmations(a: P2pClient, got: number[], sent: () => number) {
  const overclaims: string[] = [];
  const check = () => {
    const confirmed = sent() - a.unconfirmed;
    if (confirmed > got.length) overclaims.push(`${confirmed} confirmed, ${got.length} delivered`);
  };
  const timer = setInterval(check, 5);
  return { overclaims, check, stop: () => clearInterval(timer) };
}

describe('end-to-end encryption: acknowledgements and skipped numbers a gateway forges', () => {
  let gw: GatewayHarness;
  afterEach(() => gw?.close());

  async function run(e2e: boolean, forgery: 'ack' | 'skip') {
    gw = await startGateway();
    let active = false;
    let forged = 0;
    const held: { watch?: ReturnType<typeof watchConfirmations> } = {};
    maliciousGateway(gw, (s) => {
      if (!active) return false;
      forged++;
      // To A as from B: "B has everything up to s" (with a tag of the right size, made by no key); or to B as from A:
      // "A skips s". Both as the client's own socket receives relayed frames.
      if (forgery === 'ack') serverSocketOf(gw, 'A')?.emit('P2P_FRAME', { c: s + 5, t: FAKE_TAG, k: 3 });
      else serverSocketOf(gw, 'B')?.emit('P2P_FRAME', { s, x: 'PAYLOAD_TOO_LARGE', u: FAKE_TAG, k: 3 });
      held.watch?.check();
      return true;
    });
    const pair = await pairOf(gw, e2e);
    let sent = 0;
    const watch = (held.watch = watchConfirmations(pair.a, pair.got, () => sent));
    // Only the app's messages: the exchange is over, so the kept numbers are app messages.
    active = true;
    for (let i = 0; i < MESSAGES; i++) {
      pair.a.emit('n', i);
      sent++;
    }
    return { ...pair, watch, forged: () => forged, stopForging: () => (active = false) };
  }

  it('with e2e, a forged acknowledgement confirms nothing: every message is delivered, none counted before it is', async () => {
    const { a, got, watch, forged, stopForging } = await run(true, 'ack');
    await eventually(() => expect(forged()).toBeGreaterThan(0), 10_000);
    // The kept frames come again (they were never confirmed), and the gateway relays them this time.
    stopForging();
    await eventually(() => expect(got).toHaveLength(MESSAGES), 30_000);
    expect(got).toEqual([...Array(MESSAGES).keys()]);
    await eventually(() => expect(a.unconfirmed).toBe(0), 30_000);
    watch.stop();
    expect(watch.overclaims).toEqual([]);
  }, 60_000);

  it('without e2e, the same forged acknowledgements make the sender count messages delivered that were not (so the attack is real)', async () => {
    const { watch, forged } = await run(false, 'ack');
    await eventually(() => expect(forged()).toBeGreaterThan(0), 10_000);
    await eventually(() => expect(watch.overclaims.length).toBeGreaterThan(0), 10_000);
    watch.stop();
  }, 60_000);

  it('with e2e, a forged skipped number is dropped and reported: the real message comes again and is delivered', async () => {
    const { got, errors, watch, forged, stopForging } = await run(true, 'skip');
    await eventually(() => expect(forged()).toBeGreaterThan(0), 10_000);
    await eventually(() => expect(errors.map((error) => error.code)).toContain('E2E_FRAME_REJECTED'), 10_000);
    stopForging();
    await eventually(() => expect(got).toHaveLength(MESSAGES), 30_000);
    expect(got).toEqual([...Array(MESSAGES).keys()]);
    watch.stop();
    expect(watch.overclaims).toEqual([]);
  }, 60_000);

  it('with e2e, a genuine skipped number (a message the gateway refuses as too large) still goes through, tagged', async () => {
    gw = await startGateway({ limits: { maxMessageBytes: 4_000 } });
    const { a, b, got } = await pairOf(gw, true);
    const refused: P2pError[] = [];
    a.on('error', (error) => refused.push(error));
    a.emit('n', 0);
    a.emit('n', -1, 'x'.repeat(10_000));
    a.emit('n', 1);
    await eventually(() => expect(got).toEqual([0, 1]), 15_000);
    expect(refused.map((error) => error.code)).toContain('PAYLOAD_TOO_LARGE');
    await eventually(() => expect(a.unconfirmed).toBe(0), 15_000);
    expect(b.secure).toBe(true);
  }, 60_000);
});
