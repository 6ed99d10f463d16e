import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import type { P2pLifecycleEvent, P2pModuleOptions } from '../../packages/server/src/index.js';
import { PairingEngine } from '../../packages/server/src/pairing/pairing.engine.js';
import { CROSSING_BATCH, crossP2pClients, crossRawSockets, inBatches, watchClient } from '../support/crossing-trials.js';
import { type GatewayHarness, connectClient, startGateway } from '../support/gateway-harness.js';
import { eventually } from '../support/eventually.js';
import { connectRaw, emitWithAck, roundTrip } from '../support/wire.js';

const TRIALS = 200;

/**
 * Two clients asking each other at once: the request the store takes second crosses the first, which pairs them
 * (docs/protocol.md, "Crossing requests"). Every trial must pair; none may tell a client it failed.
 */
describe('races: two clients asking each other at once (one node)', () => {
  let gw: GatewayHarness;
  let events: P2pLifecycleEvent[];
  async function start(options: P2pModuleOptions = {}): Promise<void> {
    gw = await startGateway({ pairTimeoutMs: 10_000, ...options });
    events = [];
    gw.service.events$.subscribe((event) => events.push(event));
  }
  beforeEach(() => start());
  afterEach(() => gw.close());

  /** After the trials: every client paired with its own partner, nothing pending, one request and one pairing each. */
  async function expectAllPaired(pairs: [string, string][]): Promise<void> {
    for (const [aId, bId] of pairs) {
      await expect(gw.service.peerOf(aId)).resolves.toBe(bId);
      await expect(gw.service.peerOf(bId)).resolves.toBe(aId);
    }
    await expect(gw.service.counts()).resolves.toEqual({ clients: 2 * pairs.length, pairings: pairs.length, pendingRequests: 0 });
    // Nor in the engine: no request of this node is left open, none waits for its opening to be read.
    expect(gw.app.get(PairingEngine).heldCounts()).toEqual({ openRequests: 0, graceTimers: 0, expiryTimers: 0 });
    const count = (type: string) => events.filter((event) => event.type === type).length;
    expect({ requested: count('pair-requested'), paired: count('paired'), refused: count('pair-refused') }).toEqual({
      requested: pairs.length,
      paired: pairs.length,
      refused: 0,
    });
  }

  it(`pairs P2pClients in ${TRIALS} of ${TRIALS} trials, both pair() resolving, no prompt shown`, async () => {
    const pairs: [string, string][] = [];
    const started = Date.now();
    const passed = await inBatches(TRIALS, CROSSING_BATCH, async (i) => {
      const [aId, bId] = [`a${i}`, `b${i}`];
      const consulted: string[] = [];
      const consent = (sourceId: string) => {
        consulted.push(sourceId);
        return true;
      };
      const [a, b] = await Promise.all([connectClient(gw, aId, { consent }), connectClient(gw, bId, { consent })]);
      await crossP2pClients(a, aId, b, bId);
      expect(consulted).toEqual([]);
      pairs.push([aId, bId]);
    });
    expect(passed).toBe(TRIALS);
    await expectAllPaired(pairs);
    process.stdout.write(`crossing P2pClients, one node: ${passed}/${TRIALS} in ${Date.now() - started} ms\n`);
  });

  it(`pairs original protocol 1 clients in ${TRIALS} of ${TRIALS} trials, both acks [true], no P2P_ERROR`, async () => {
    const pairs: [string, string][] = [];
    const started = Date.now();
    const passed = await inBatches(TRIALS, CROSSING_BATCH, async (i) => {
      const [aId, bId] = [`ra${i}`, `rb${i}`];
      const [a, b] = await Promise.all([connectRaw(gw, aId), connectRaw(gw, bId)]);
      await crossRawSockets(a, aId, b, bId);
      pairs.push([aId, bId]);
    });
    expect(passed).toBe(TRIALS);
    await expectAllPaired(pairs);
    process.stdout.write(`crossing protocol 1 sockets, one node: ${passed}/${TRIALS} in ${Date.now() - started} ms\n`);
  });

  it('pairs a client that calls pair() on the source of a request it was asked, the prompt settled by `paired`', async () => {
    let release!: (answer: boolean) => void;
    const answer = new Promise<boolean>((resolve) => (release = resolve));
    const a = await connectClient(gw, 'A');
    const b = await connectClient(gw, 'B', { consent: () => answer });
    const asked = new Promise<string>((resolve) => b.once('request', resolve));
    const fromA = a.pair('B');
    expect(await asked).toBe('A');
    expect(b.state).toBe('asked');
    // B's app asks A itself rather than answering the prompt: its request crosses A's, and both resolve.
    await Promise.all([fromA, b.pair('A')]);
    expect([a.peerId, b.peerId, b.state]).toEqual(['B', 'A', 'paired']);
    // The prompt's answer, given late, is not sent: it changes nothing and reports no error.
    const errors: unknown[] = [];
    b.on('error', (error) => errors.push(error));
    release(false);
    await answer;
    await roundTrip(b.socket);
    expect(errors).toEqual([]);
    expect(b.state).toBe('paired');
    await expectAllPaired([['A', 'B']]);
  });

  it('a client that calls pair() on a source it has just consented to is answered success, paired once', async () => {
    const a = await connectClient(gw, 'A');
    const b = await connectClient(gw, 'B');
    const [watchA, watchB] = [watchClient(a), watchClient(b)];
    // B's consent goes out first; its app then asks A as well, before the answer to either came back.
    const fromB = new Promise<void>((resolve, reject) => b.once('request', () => setImmediate(() => b.pair('A').then(resolve, reject))));
    await a.pair('B');
    await fromB;
    expect([a.peerId, b.peerId, b.state]).toEqual(['B', 'A', 'paired']);
    await roundTrip(b.socket);
    expect([watchA, watchB]).toEqual([
      { requests: [], errors: [], paired: ['B'] },
      { requests: ['A'], errors: [], paired: ['A'] },
    ]);
    await expectAllPaired([['A', 'B']]);
  });

  it("an original client's consent sent behind its own request waiting on canPair takes effect after it", async () => {
    await gw.close();
    let open!: () => void;
    const gate = new Promise<void>((resolve) => (open = resolve));
    await start({ canPair: async (source) => (source.clientId === 'Y' ? gate.then(() => true) : true) });
    const [x, y] = await Promise.all([connectRaw(gw, 'X'), connectRaw(gw, 'Y')]);
    const errors: unknown[] = [];
    for (const socket of [x, y]) socket.on('P2P_ERROR', (error: unknown) => errors.push(error));
    const asked = new Promise<void>((resolve) =>
      y.on('P2P_REGISTER', () => {
        y.emit('P2P_REGISTER_SUCCESS');
        resolve();
      }),
    );
    // Y's request waits on canPair; X's opens and asks Y, who consents at once, behind its own request.
    const fromY = emitWithAck(y, 'P2P_REGISTER', 'X');
    await roundTrip(y);
    const fromX = emitWithAck(x, 'P2P_REGISTER', 'Y');
    await asked;
    await roundTrip(y);
    // The consent was not acted on before Y's request: nobody is paired yet, X's request is still open.
    await expect(gw.service.counts()).resolves.toEqual({ clients: 2, pairings: 0, pendingRequests: 1 });
    open();
    // Y's request crosses X's (both answered success); Y's consent, read after it, is acknowledged with nothing.
    await expect(Promise.all([fromX, fromY])).resolves.toEqual([[true], [true]]);
    await roundTrip(y);
    expect(errors).toEqual([]);
    await expectAllPaired([['X', 'Y']]);
  });

  it('a crossing request still goes through canPair: refused, the first request is asked as usual', async () => {
    await gw.close();
    await start({ canPair: (source) => source.clientId !== 'B' });
    const a = await connectClient(gw, 'A');
    const b = await connectClient(gw, 'B');
    const asked = new Promise<string>((resolve) => b.once('request', resolve));
    const [fromA, fromB] = await Promise.allSettled([a.pair('B'), b.pair('A')]);
    // B may not ask; A may. B's refused request leaves A's open, and B consents to it once its own pair() failed.
    expect(fromB).toMatchObject({ status: 'rejected', reason: { code: 'PAIR_FORBIDDEN' } });
    expect(fromA.status).toBe('fulfilled');
    expect(await asked).toBe('A');
    await eventually(() => expect([a.peerId, b.peerId]).toEqual(['B', 'A']));
    await expect(gw.service.counts()).resolves.toEqual({ clients: 2, pairings: 1, pendingRequests: 0 });
  });
});
