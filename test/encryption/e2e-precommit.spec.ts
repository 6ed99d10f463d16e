import { afterEach, describe, expect, it } from '@jest/globals';
import { type Socket, io } from 'socket.io-client';
import { P2pE2eEvent } from '../../packages/protocol/src/index.js';
import { P2pClient, type P2pClientOptions, type P2pError } from '../../packages/client/src/index.js';
import { type GatewayHarness, connectClient, rawSocket, settle, startGateway, waitFor } from '../support/gateway-harness.js';
import { eventually } from '../support/eventually.js';
import { emitWithAck, whenConnected } from '../support/wire.js';
import { onControl, onFrames, spyOn, stripCommitment } from './e2e-gateway.js';

/** Every P2P_FRAME a client's socket sends and receives, in order. */
function frameLog(client: P2pClient<Socket>): { out: boolean; frame: Record<string, unknown> }[] {
  const log: { out: boolean; frame: Record<string, unknown> }[] = [];
  client.socket.onAnyOutgoing((event: string, frame: Record<string, unknown>) => {
    if (event === 'P2P_FRAME') log.push({ out: true, frame });
  });
  client.socket.onAny((event: string, frame: Record<string, unknown>) => {
    if (event === 'P2P_FRAME') log.push({ out: false, frame });
  });
  return log;
}

/** Where in `log` the first frame sent (`out`) or received with the exchange's `event` is; -1: none. */
function indexOf(log: ReturnType<typeof frameLog>, out: boolean, event: string): number {
  return log.findIndex((entry) => entry.out === out && entry.frame['e'] === event);
}

/** Holds every frame `clientId` sends at the gateway, until `release`. */
function holdFramesOf(gw: GatewayHarness, clientId: string): { release(): void; held(): number } {
  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  let held = 0;
  onFrames(gw, (from) => {
    if (from !== clientId) return;
    held++;
    return gate;
  });
  return { release, held: () => held };
}

/** A P2pClient whose P2P_SESSION payloads are recorded from its first connection on. */
async function clientWithSession(gw: GatewayHarness, clientId: string, options: P2pClientOptions) {
  const socket = io(gw.url, { transports: ['websocket'], reconnection: false, forceNew: true, autoConnect: false });
  gw.sockets.push(socket);
  const sessions: unknown[] = [];
  socket.on('P2P_SESSION', (payload: unknown) => sessions.push(payload));
  const client = new P2pClient(socket, { clientId, ...options });
  socket.connect();
  await eventually(() => expect(sessions).toHaveLength(1));
  return { client, sessions };
}

/**
 * Removes the target's key from the answers to `client`'s pair requests before the client reads them: as if the
 * answer had come through a path that lost it (a node's answer lost in a failover), while the target was told its key
 * went.
 */
function loseKeysInAnswers(client: P2pClient<Socket>): void {
  const socket = client.socket;
  const emit = socket.emit.bind(socket);
  socket.emit = ((name: string, ...args: unknown[]) => {
    const ack = args[args.length - 1];
    if (name === 'P2P_REGISTER' && typeof ack === 'function') {
      args[args.length - 1] = (...results: unknown[]) => {
        const info = results.find((result) => typeof result === 'object' && result !== null && 'e2eKey' in result);
        if (info) for (const key of ['e2eKey', 'e2eNonce']) delete (info as Record<string, unknown>)[key];
        (ack as (...results: unknown[]) => void)(...results);
      };
    }
    return emit(name, ...args);
  }) as typeof socket.emit;
}

describe('end-to-end encryption: the pre-commitment carried with the pairing', () => {
  let gw: GatewayHarness;
  afterEach(async () => gw?.close());

  it.each([
    ['A', 'B'],
    ['B', 'A'],
  ])(
    'pre-committed (%s asks %s): its first message reaches the target while no frame of the target has reached it; equal codes',
    async (requesterId, targetId) => {
      gw = await startGateway();
      // The target's frames (its KEY and CONFIRM) wait at the gateway: the requester cannot have used them.
      const hold = holdFramesOf(gw, targetId);
      const requester = await connectClient(gw, requesterId, { e2e: true });
      const target = await connectClient(gw, targetId, { e2e: true });
      const log = frameLog(requester);
      const targetLog = frameLog(target);
      const got: unknown[] = [];
      // What the target had sent when it delivered the first message.
      let sentBefore: unknown[] | undefined;
      target.socket.on('first', (...args: unknown[]) => {
        got.push(args);
        sentBefore ??= targetLog.filter((entry) => entry.out).map((entry) => entry.frame['e']);
      });
      const codes = Promise.all([waitFor<[string]>(requester, 'secured'), waitFor<[string]>(target, 'secured')]);
      await requester.pair(targetId);
      requester.emit('first', 'hello', { n: 1 });
      await eventually(() => expect(got).toEqual([['hello', { n: 1 }]]));
      // The cause of the latency, counted: before its first message the requester sent one frame, REVEAL (its
      // commitment went with the pair request), and had received nothing (no round trip waited for); the target sent
      // nothing before it delivered the message (its KEY and CONFIRM follow it).
      expect(log.filter((entry) => !entry.out)).toEqual([]);
      const out = log.filter((entry) => entry.out).map((entry) => entry.frame);
      const first = out.findIndex((frame) => frame['z'] !== undefined);
      expect(out.slice(0, first).map((frame) => frame['e'])).toEqual([P2pE2eEvent.REVEAL]);
      expect(sentBefore).toEqual([]);
      await eventually(() => expect(hold.held()).toBe(2));
      hold.release();
      await eventually(() => expect(targetLog.filter((entry) => entry.out && entry.frame['e'] !== undefined).length).toBe(2));
      expect(targetLog.filter((entry) => entry.out && entry.frame['e'] !== undefined).map((entry) => entry.frame['e'])).toEqual([
        P2pE2eEvent.KEY,
        P2pE2eEvent.CONFIRM,
      ]);
      const [[codeA], [codeB]] = await codes;
      expect(codeA).toMatch(/^\d{6}$/);
      expect(codeA).toBe(codeB);
      requester.socket.on('back', (x: string, reply: (y: string) => void) => reply(`${x}!`));
      await expect(target.emitWithAck('back', 'hi')).resolves.toBe('hi!');
    },
  );

  it('in the channel (a gateway that hides the pre-commitment): the requester seals nothing before the target key, then all goes', async () => {
    gw = await startGateway();
    onControl(gw, stripCommitment);
    const hold = holdFramesOf(gw, 'B');
    const a = await connectClient(gw, 'A', { e2e: true });
    const b = await connectClient(gw, 'B', { e2e: true });
    const log = frameLog(a);
    const got: unknown[] = [];
    b.socket.on('first', (...args: unknown[]) => got.push(args));
    const codes = Promise.all([waitFor<[string]>(a, 'secured'), waitFor<[string]>(b, 'secured')]);
    await a.pair('B');
    a.emit('first', 'hello');
    await eventually(() => expect(hold.held()).toBeGreaterThan(0));
    await settle(300);
    // Without B's key A can seal nothing: only its COMMIT went.
    expect(log.map((entry) => [entry.out, entry.frame['e'] ?? (entry.frame['z'] === undefined ? 'ack' : 'sealed')])).toEqual([
      [true, P2pE2eEvent.COMMIT],
    ]);
    expect(got).toEqual([]);
    hold.release();
    const [[codeA], [codeB]] = await codes;
    expect(codeA).toBe(codeB);
    await eventually(() => expect(got).toEqual([['hello']]));
    expect(indexOf(log, false, P2pE2eEvent.KEY)).toBeLessThan(indexOf(log, true, P2pE2eEvent.REVEAL));
  });

  it('crossing requests (each asked the other): the exchange runs in the channel; equal codes, messages both ways', async () => {
    gw = await startGateway();
    const a = await connectClient(gw, 'A', { e2e: true });
    const b = await connectClient(gw, 'B', { e2e: true });
    const log = frameLog(a);
    const codes = Promise.all([waitFor<[string]>(a, 'secured'), waitFor<[string]>(b, 'secured')]);
    const requests = waitFor(b.socket, 'P2P_REGISTER');
    // Both are `pairing` before either request reaches the gateway: neither consents, the gateway pairs the two.
    await Promise.all([a.pair('B'), b.pair('A')]);
    await requests;
    const [[codeA], [codeB]] = await codes;
    expect(codeA).toBe(codeB);
    // A (the smaller id) committed in the channel and revealed only after B's key came.
    expect(indexOf(log, false, P2pE2eEvent.KEY)).toBeGreaterThanOrEqual(0);
    expect(indexOf(log, false, P2pE2eEvent.KEY)).toBeLessThan(indexOf(log, true, P2pE2eEvent.REVEAL));
    b.socket.on('ask', (x: number, reply: (y: number) => void) => reply(x + 1));
    a.socket.on('ask', (x: number, reply: (y: number) => void) => reply(x * 2));
    await expect(a.emitWithAck('ask', 1)).resolves.toBe(2);
    await expect(b.emitWithAck('ask', 4)).resolves.toBe(8);
  });

  it('a requester whose answer lost the key (the smaller id): it commits in the channel with the same key; equal codes', async () => {
    gw = await startGateway();
    const a = await connectClient(gw, 'A', { e2e: true });
    const b = await connectClient(gw, 'B', { e2e: true });
    loseKeysInAnswers(a);
    const log = frameLog(a);
    const codes = Promise.all([waitFor<[string]>(a, 'secured'), waitFor<[string]>(b, 'secured')]);
    await a.pair('B');
    const [[codeA], [codeB]] = await codes;
    expect(codeA).toBe(codeB);
    // A ran the exchange in the channel: it revealed after B's key came (B had sent it at once, pre-committed).
    expect(indexOf(log, false, P2pE2eEvent.KEY)).toBeLessThan(indexOf(log, true, P2pE2eEvent.REVEAL));
  });

  it('a requester whose answer lost the key (the larger id): the target ends the pairing at once with E2E_FAILED', async () => {
    gw = await startGateway();
    const a = await connectClient(gw, 'A', { e2e: true, e2eTimeoutMs: 60_000 });
    const b = await connectClient(gw, 'B', { e2e: true, e2eTimeoutMs: 60_000 });
    loseKeysInAnswers(b);
    const failed = waitFor<[P2pError]>(a, 'error');
    const unpaired = waitFor<[string, string]>(b, 'unpaired');
    await b.pair('A');
    const [error] = await failed;
    expect(error.code).toBe('E2E_FAILED');
    expect(error.message).toMatch(/did not take the pre-committed exchange/);
    await unpaired;
    expect([a.state, b.state]).toEqual(['idle', 'idle']);
  });

  it('shapes: P2P_SESSION says e2eCommit only to a client that declared it; others see the original shapes', async () => {
    gw = await startGateway();
    const secure = await clientWithSession(gw, 'A', { e2e: true });
    const plain = await clientWithSession(gw, 'B', {});
    expect(secure.sessions[0]).toMatchObject({ resumed: false, clientId: 'A', e2eCommit: true });
    expect(plain.sessions[0]).not.toHaveProperty('e2eCommit');
    expect(secure.client.socket.auth).toMatchObject({ p2pE2eCommit: true });
    expect(plain.client.socket.auth).not.toHaveProperty('p2pE2eCommit');
    // An e2e requester asks a client without e2e: the target is asked, and answers, as ever; the pairing then ends.
    const asked = waitFor<unknown[]>(plain.client.socket, 'P2P_REGISTER');
    const consents: unknown[][] = [];
    plain.client.socket.onAnyOutgoing((event: string, ...args: unknown[]) => {
      if (event === 'P2P_REGISTER_SUCCESS') consents.push(args.filter((arg) => typeof arg !== 'function'));
    });
    const errors: string[] = [];
    secure.client.on('error', (error: P2pError) => errors.push(error.code));
    await secure.client.pair('B');
    expect(await asked).toEqual(['A', { peerProtocol: 3 }]);
    expect(consents).toEqual([['A']]);
    await eventually(() => expect(errors).toContain('E2E_REQUIRED'));
    // A client without e2e asks with the target's id alone.
    await eventually(() => expect([secure.client.state, plain.client.state]).toEqual(['idle', 'idle']));
    const requests: unknown[][] = [];
    plain.client.socket.onAnyOutgoing((event: string, ...args: unknown[]) => {
      if (event === 'P2P_REGISTER') requests.push(args.filter((arg) => typeof arg !== 'function'));
    });
    const refused = plain.client.pair('A').catch((error: P2pError) => error.code);
    await refused;
    expect(requests).toEqual([['A']]);
  });

  it('a client that did not declare the ability neither gets a commitment nor passes a key: its consent ack is the original one', async () => {
    gw = await startGateway();
    const spy = spyOn(gw);
    const secure = await connectClient(gw, 'A', { e2e: true });
    // A protocol-3 client of its own, without `p2pE2eCommit`, that puts a well-formed key in its consent anyway.
    const raw = await whenConnected(rawSocket(gw, {}, { auth: { clientId: 'B', p2pProtocol: 3 } }));
    const asked = waitFor<unknown[]>(raw, 'P2P_REGISTER');
    const pairing = secure.pair('B');
    expect(await asked).toEqual(['A', { peerProtocol: 3 }]);
    const key = { e2eKey: Buffer.alloc(32, 9).toString('base64'), e2eNonce: Buffer.alloc(16, 9).toString('base64') };
    expect(await emitWithAck(raw, 'P2P_REGISTER_SUCCESS', 'A', key)).toEqual([true]);
    await pairing;
    // The key reached the gateway (the consent) and went no further (no answer to A carries it).
    expect(spy.count('e2eKey')).toBe(1);
    expect(spy.count('e2eCommitment')).toBe(1);
  });
});
