import { expect } from '@jest/globals';
import type { Socket } from 'socket.io-client';
import type { P2pModuleOptions } from '../../packages/server/src/index.js';
import { type GatewayHarness, startGateway, waitFor } from './gateway-harness.js';
import { type CrashWatch, expectPrototypesClean, prototypeSnapshot, watchForCrashes } from './fuzz-guards.js';
import { connectRaw, connectRawV2, emitWithAck, pairRaw, recordEvents } from './wire.js';

const OBSERVER = 'fz-observer';
const LEGIT_A = 'fz-legit-a';
const LEGIT_B = 'fz-legit-b';
const HEALTH = 'fz-health';
const HEALTH_ACK = 'fz-health-ack';

/** What the host app sees of one client, reduced to what must not move. */
interface ClientPicture {
  clientId: string;
  state: string;
  peerId?: string;
  connectedAt: number;
  protocolVersion: number;
}

export interface ArenaPicture {
  /** How many crashes had been recorded; a run is judged on those it adds. */
  crashesSoFar: number;
  clients: ClientPicture[];
  pairings: Array<{ clientIds: string[]; since: number }>;
}

/**
 * One real gateway for a whole fuzz suite, with the bystanders every property checks: an unpaired observer that must
 * receive nothing at all, and a legitimate pair (protocol 2 and protocol 1) that must keep relaying throughout. Each
 * property run adds its own short-lived clients (fresh ids) and disposes of them.
 */
export class FuzzArena {
  readonly ids = { observer: OBSERVER, legitA: LEGIT_A, legitB: LEGIT_B } as const;
  private serial = 0;
  private healthRound = 0;
  private readonly prototypes = prototypeSnapshot();
  private readonly clientIds = new WeakMap<Socket, string>();

  private constructor(
    readonly gw: GatewayHarness,
    readonly crashes: CrashWatch,
    private readonly observer: Socket,
    private readonly legitA: Socket,
    private readonly legitB: Socket,
    /** Everything the observer ever received; must stay empty. */
    readonly observerLog: unknown[][],
    private readonly legitLogs: [unknown[][], unknown[][]],
  ) {}

  static async open(options: P2pModuleOptions): Promise<FuzzArena> {
    const crashes = watchForCrashes();
    const gw = await startGateway(options);
    const observer = await connectRaw(gw, OBSERVER);
    const legitA = await connectRawV2(gw, LEGIT_A);
    const legitB = await connectRaw(gw, LEGIT_B);
    await pairRaw(legitA, legitB, LEGIT_B);
    for (const socket of [legitA, legitB]) {
      socket.on(HEALTH_ACK, (n: number, reply: (m: number) => void) => reply(n + 1));
    }
    return new FuzzArena(gw, crashes, observer, legitA, legitB, recordEvents(observer), [recordEvents(legitA), recordEvents(legitB)]);
  }

  /** After a suite: the server still admits a newcomer; then it is closed. */
  async finish(): Promise<void> {
    try {
      await this.expectAdmitsNewcomers();
    } finally {
      await this.close();
    }
  }

  /** Closes the gateway; bounded, since a gateway whose stack overflowed mid-write may never finish closing. */
  async close(): Promise<void> {
    this.crashes.stop();
    let timer: NodeJS.Timeout | undefined;
    const stuck = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error('the gateway did not close within 10 s (wedged after a crash?)')), 10_000);
    });
    try {
      await Promise.race([this.gw.close(), stuck]);
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * A round trip on `socket`: once answered, the gateway has handled everything the socket sent before. It refuses a
   * pairing request that does not exist (answered NO_PENDING_REQUEST, changes nothing, counts against no rate limit).
   * Fails at once if the gateway crashes meanwhile, rather than waiting for an answer that will not come.
   */
  async roundTrip(socket: Socket): Promise<void> {
    const { crashed, cancel } = this.crashes.nextProblem();
    try {
      const answer = await Promise.race([emitWithAck(socket, 'P2P_REGISTER_FAILED', 'fz-no-such-request'), crashed]);
      expect(answer).toEqual([false, { code: 'NO_PENDING_REQUEST', message: expect.any(String), event: 'P2P_REGISTER_FAILED' }]);
    } finally {
      cancel();
    }
  }

  /** A clientId no client of this suite has used. */
  freshId(role: string): string {
    return `fz-${role}-${++this.serial}`;
  }

  /** A raw socket.io-client 4 socket (websocket), speaking protocol 1 (`?clientId=`) or 2 (`auth`), connected. */
  async connect(clientId: string, protocol: 1 | 2): Promise<Socket> {
    const socket = await (protocol === 2 ? connectRawV2(this.gw, clientId) : connectRaw(this.gw, clientId));
    this.clientIds.set(socket, clientId);
    return socket;
  }

  /** The store's view of the bystanders and their pairing. */
  async picture(): Promise<ArenaPicture> {
    const mine = new Set<string>([OBSERVER, LEGIT_A, LEGIT_B]);
    const clients = (await this.gw.service.listClients())
      .filter((client) => mine.has(client.clientId))
      .map(({ clientId, state, peerId, connectedAt, protocolVersion }) => ({
        clientId,
        state,
        ...(peerId === undefined ? {} : { peerId }),
        connectedAt: connectedAt.getTime(),
        protocolVersion,
      }));
    const pairings = (await this.gw.service.listPairings())
      .filter((pairing) => pairing.clientIds.some((id) => mine.has(id)))
      .map((pairing) => ({ clientIds: [...pairing.clientIds].sort(), since: pairing.since.getTime() }));
    return { crashesSoFar: this.crashes.problems.length, clients, pairings };
  }

  /**
   * Properties (1), (2), (4) and (5) for the bystanders: no crash recorded, nothing reached the observer or the legit
   * pair (checked after a round trip of their own, so anything misdelivered before has arrived), their store records
   * are as they were, the built-in prototypes are clean, and the pair still relays both ways with acks. (That the
   * server still admits newcomers each run shows by connecting its fresh clients; `expectAdmitsNewcomers` says it
   * once more at the end.)
   */
  async expectUndisturbed(before: ArenaPicture): Promise<void> {
    expect(this.crashes.problems.slice(before.crashesSoFar)).toEqual([]);
    for (const socket of [this.observer, this.legitA, this.legitB]) await this.roundTrip(socket);
    expect(this.observerLog).toEqual([]);
    expect(this.legitLogs).toEqual([[], []]);
    expectPrototypesClean(this.prototypes);
    expect(await this.picture()).toEqual({ ...before, crashesSoFar: this.crashes.problems.length });
    await this.expectLegitPairHealthy();
  }

  private async expectLegitPairHealthy(): Promise<void> {
    const n = ++this.healthRound;
    const [a, b] = [this.legitA, this.legitB];
    const atB = waitFor(b, HEALTH);
    expect(await emitWithAck(a, 'P2P_EMIT', { targetClientId: LEGIT_B, event: HEALTH, args: ['a->b', n] })).toEqual([null]);
    expect(await atB).toEqual(['a->b', n]);
    const atA = waitFor(a, HEALTH);
    b.emit('P2P_EMIT', { event: HEALTH, args: ['b->a', n] });
    expect(await atA).toEqual(['b->a', n]);
    // A speaks protocol 2 (error-first acks), B protocol 1.
    expect(await emitWithAck(a, 'P2P_EMIT_ACKNOWLEDGE', { event: HEALTH_ACK, args: [n] })).toEqual([null, n + 1]);
    expect(await emitWithAck(b, 'P2P_EMIT_ACKNOWLEDGE', { targetClientId: LEGIT_A, event: HEALTH_ACK, args: [n] })).toEqual([n + 1]);
    const [logA, logB] = this.legitLogs;
    expect(logA.map(([event]) => event)).toEqual([HEALTH, HEALTH_ACK]);
    expect(logB.map(([event]) => event)).toEqual([HEALTH, HEALTH_ACK]);
    logA.length = 0;
    logB.length = 0;
  }

  async expectAdmitsNewcomers(): Promise<void> {
    const probe = await this.connect(this.freshId('probe'), 1);
    expect(probe.connected).toBe(true);
    await this.dispose([probe]);
  }

  /**
   * Disconnects sockets and waits until the store no longer holds their (fresh) ids: those of sockets opened by
   * `connect`, and `clientIds`.
   */
  async dispose(sockets: Socket[], clientIds: string[] = []): Promise<void> {
    const ids = new Set([...sockets.map((socket) => this.clientIds.get(socket)), ...clientIds]);
    for (const socket of sockets) socket.disconnect();
    const deadline = Date.now() + 5_000;
    while ((await this.gw.service.listClients()).some((client) => ids.has(client.clientId))) {
      if (Date.now() > deadline) throw new Error(`the store still holds ${[...ids].join(', ')} 5 s after they disconnected`);
      await new Promise((resolve) => setTimeout(resolve, 2));
    }
  }
}
