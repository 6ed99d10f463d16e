/**
 * One soak session: two P2pClients connect, (sometimes) meet a refusal first, pair, relay both ways with and without
 * ack for a while (sometimes one side's transport drops and resumes), then end one of three ways: unpair, leave, or
 * vanish (the transport drops for good and the server's reconnect grace runs out). Every relay is numbered and must
 * arrive, in order; every notice the protocol promises must come.
 */
import { type Socket, io } from 'socket.io-client';
import { P2pClient, type P2pClientEvents } from '../../packages/client/src/index.js';
import type { P2pError } from '../../packages/protocol/src/index.js';
import { sleep, until } from '../load/latency.js';
import type { Ending, SoakCounters, SoakSpec } from './soak-types.js';

const TICK_MS = 100;
const CLIENT_TIMEOUT_MS = 10_000;
const DELIVERY_TIMEOUT_MS = 5_000;
/** Acks rejected with these codes across a drop are the protocol working (settled, never left hanging). */
const ENDINGS: Ending[] = ['unpair', 'leave', 'vanish'];

interface SoakClient {
  id: string;
  socket: Socket;
  client: P2pClient;
  consent: { accept: boolean };
  /** Next relay number expected from the peer, and how many this side sent. */
  expected: number;
  sent: number;
}

export type Note = (what: string) => void;

const chance = (p: number) => Math.random() < p;
const between = ([low, high]: [number, number]) => low + Math.random() * (high - low);

function open(url: string, id: string, counters: SoakCounters, note: Note): SoakClient {
  const socket = io(url, {
    transports: ['websocket'],
    forceNew: true,
    autoConnect: false,
    reconnection: true,
    reconnectionDelay: 100,
    reconnectionDelayMax: 300,
    timeout: CLIENT_TIMEOUT_MS,
  });
  const consent = { accept: true };
  const client = new P2pClient(socket, {
    clientId: id,
    consent: () => consent.accept,
    pairTimeoutMs: CLIENT_TIMEOUT_MS,
    ackTimeoutMs: CLIENT_TIMEOUT_MS,
    requestTimeoutMs: CLIENT_TIMEOUT_MS,
  });
  client.on('error', (error) => note(`${id}: error event ${error.code}: ${error.message}`));
  // A pairing that ends (leave, vanish) may take the confirmation of messages the peer did receive with it: counted,
  // and the relay check below tells whether anything was really lost.
  client.on('undelivered', (messages) => (counters.undeliveredReported += messages.length));
  socket.on('connect', () => counters.connections++);
  socket.connect();
  return { id, socket, client, consent, expected: 0, sent: 0 };
}

function connected(socket: Socket): Promise<void> {
  return new Promise((resolve, reject) => {
    if (socket.connected) return resolve();
    socket.once('connect', () => resolve());
    socket.once('connect_error', (error) => reject(new Error(`connect_error: ${error.message}`)));
  });
}

/** The next `event` of a P2pClient, or a rejection after `timeoutMs`. */
function next<K extends keyof P2pClientEvents>(c: SoakClient, event: K, timeoutMs: number): Promise<Parameters<P2pClientEvents[K]>> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      c.client.off(event, listener);
      reject(new Error(`${c.id}: no '${String(event)}' within ${timeoutMs} ms (state ${c.client.state})`));
    }, timeoutMs);
    const listener = ((...args: Parameters<P2pClientEvents[K]>) => {
      clearTimeout(timer);
      c.client.off(event, listener);
      resolve(args);
    }) as P2pClientEvents[K];
    c.client.on(event, listener);
  });
}

async function expectRefusal(attempt: Promise<unknown>, code: string, counters: SoakCounters, note: Note, what: string) {
  try {
    await attempt;
    note(`${what}: succeeded, expected ${code}`);
  } catch (error) {
    if ((error as P2pError).code === code) counters.expectedRefusals++;
    else note(`${what}: ${(error as P2pError).code ?? (error as Error).message}, expected ${code}`);
  }
}

/**
 * Numbered relays `from` -> `to`; the receiver checks that none is missing, repeated or out of order, drops included
 * (the reliable channel delivers exactly once, in order).
 */
function listen(to: SoakClient, from: SoakClient, counters: SoakCounters, note: Note, away: () => string): void {
  to.socket.on('m', (n: number) => {
    counters.relaysReceived++;
    if (n !== to.expected) note(`${from.id} -> ${to.id}: relay ${n} arrived, expected ${to.expected} (away: ${away()})`);
    to.expected = n + 1;
  });
  to.socket.on('a', (n: number, reply: (answer: number) => void) => reply(n));
}

function send(from: SoakClient, counters: SoakCounters): void {
  from.client.emit('m', from.sent++);
  counters.relaysSent++;
}

async function relayPhase(a: SoakClient, b: SoakClient, spec: SoakSpec, counters: SoakCounters, note: Note): Promise<void> {
  let awayId = 'none';
  listen(b, a, counters, note, () => awayId);
  listen(a, b, counters, note, () => awayId);
  const duration = between(spec.relayMs);
  const dropAt = chance(spec.dropChance) ? between([0.2, 0.6]) * duration : Infinity;
  let dropped: Promise<unknown> | undefined;
  const acks: Promise<void>[] = [];
  let ackNumber = 0;
  const start = performance.now();
  for (let elapsed = 0; elapsed < duration; elapsed = performance.now() - start) {
    for (let k = 0; k < spec.relayPerSec / (1000 / TICK_MS); k++) {
      send(a, counters);
      send(b, counters);
    }
    if (chance((spec.ackPerSec * TICK_MS) / 1000)) {
      const n = ackNumber++;
      acks.push(
        a.client.emitWithAck('a', n).then(
          (answer) => {
            if (answer === n) counters.acksOk++;
            else note(`${a.id}: ack ${n} answered ${JSON.stringify(answer)}`);
          },
          (error: P2pError) => {
            counters.acksRejected[error.code] = (counters.acksRejected[error.code] ?? 0) + 1;
            note(`${a.id}: ack ${n} rejected ${error.code}: ${error.message}`);
          },
        ),
      );
    }
    if (!dropped && elapsed >= dropAt) {
      const away = chance(0.5) ? a : b;
      awayId = away.id;
      counters.drops++;
      dropped = next(away, 'resumed', spec.graceMs + CLIENT_TIMEOUT_MS).then(
        () => counters.resumes++,
        (error: Error) => note(`drop and resume: ${error.message}`),
      );
      // Halfway between two sends, and sometimes right after one: relays crossing the drop must arrive all the same.
      if (chance(0.5)) await sleep(TICK_MS / 2);
      away.socket.io.engine.close();
      await sleep(TICK_MS / 2);
      continue;
    }
    await sleep(TICK_MS);
  }
  await dropped;
  await Promise.all(acks);
  const all = () => b.expected === a.sent && a.expected === b.sent;
  if (!(await until(all, DELIVERY_TIMEOUT_MS))) {
    note(`${a.id} <-> ${b.id}: ${a.sent - b.expected} and ${b.sent - a.expected} relay(s) not delivered`);
  }
}

async function end(a: SoakClient, b: SoakClient, ending: Ending, spec: SoakSpec, counters: SoakCounters): Promise<void> {
  const expectedReason = ending === 'unpair' ? 'UNREGISTERED' : 'DISCONNECTED';
  const noticed = next(b, 'unpaired', (ending === 'vanish' ? spec.graceMs : 0) + CLIENT_TIMEOUT_MS);
  const act = async () => {
    if (ending === 'unpair') await a.client.unpair();
    else if (ending === 'leave') a.socket.disconnect();
    else {
      a.socket.io.reconnection(false);
      a.socket.io.engine.close();
    }
  };
  const [[peerId, reason]] = await Promise.all([noticed, act()]);
  if (peerId !== a.id || reason !== expectedReason)
    throw new Error(`${b.id}: unpaired(${peerId}, ${reason}), expected (${a.id}, ${expectedReason})`);
  counters.endings[ending]++;
}

export async function runSession(url: string, name: string, spec: SoakSpec, counters: SoakCounters, note: Note): Promise<void> {
  const a = open(url, `${name}-a`, counters, note);
  const b = open(url, `${name}-b`, counters, note);
  try {
    await Promise.all([connected(a.socket), connected(b.socket)]);
    if (chance(0.15)) await expectRefusal(a.client.pair(`${name}-nobody`), 'TARGET_OFFLINE', counters, note, `${a.id} pairs with nobody`);
    if (chance(0.15)) {
      b.consent.accept = false;
      await expectRefusal(a.client.pair(b.id), 'PAIR_REFUSED', counters, note, `${a.id} pairs with refusing ${b.id}`);
      // A refusal frees the refusing client at once: the request below is asked, never refused unasked or lost.
      if (b.client.state !== 'idle') note(`${b.id}: still ${b.client.state} after refusing ${a.id}`);
      b.consent.accept = true;
    }
    if (chance(0.2)) {
      counters.listCalls++;
      const listed = await a.client.listClients();
      if (!listed.includes(b.id)) note(`${a.id}: LIST_CLIENTS did not list ${b.id}`);
    }
    await Promise.all([a.client.pair(b.id), next(b, 'paired', CLIENT_TIMEOUT_MS)]);
    counters.pairings++;
    await relayPhase(a, b, spec, counters, note);
    await end(a, b, ENDINGS[Math.floor(Math.random() * ENDINGS.length)]!, spec, counters);
    counters.sessions++;
  } catch (error) {
    note(`${name}: ${(error as Error).message ?? String(error)}`);
  } finally {
    for (const c of [a, b]) {
      c.client.dispose();
      c.socket.io.reconnection(false);
      c.socket.disconnect();
    }
  }
}
