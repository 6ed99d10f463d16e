/**
 * One load process of bench:scale: holds its share of the clients (see CeilingLoadArgs), each connected from one of
 * several 127.0.0.x source addresses, and runs the phases the orchestrator asks for over IPC, one at a time:
 * warm (50 pairs that come and go), connect, pair, relay (a trickle at a fixed rate), close.
 * `node dist/bench/scale/ceiling-load.js '<CeilingLoadArgs JSON>'`, started by one-node-ceiling.ts.
 */
import type { Socket } from 'socket.io-client';
import { closePairs, consentToPairing, forEachLimited, openClient, openPairs, requestPairing, whenConnected } from '../load/clients.js';
import { sleep, until } from '../load/latency.js';
import { progress } from '../load/parent.js';
import type {
  CeilingLoadArgs,
  CeilingOutcome,
  CeilingPhaseDone,
  CeilingRequest,
  ConnectOutcome,
  PairOutcome,
  RelayOutcome,
} from './ceiling-types.js';

const DELIVERY_TIMEOUT_MS = 30_000;
const PROGRESS_EVERY = 5000;
const TICK_MS = 10;

const args = JSON.parse(process.argv[2] ?? '{}') as CeilingLoadArgs;
const sockets: Socket[] = [];
const idOf = (i: number) => `${args.prefix}-${args.first + i}`;

let disconnects = 0;
let delivered = 0;
/** Latency samples of the relay phase; null outside it. */
let latencies: number[] | null = null;
// One listener function shared by every client, so the load holds no closure per client for it.
const onRelay = (sentAt: number) => {
  delivered++;
  latencies?.push(performance.now() - sentAt);
};
const onDisconnect = () => disconnects++;

/** The source address the kernel bound for a connected client (engine.io-client's `ws` socket, in Node). */
function sourceOf(socket: Socket): string {
  const transport = socket.io.engine?.transport as unknown as { ws?: { _socket?: { localAddress?: string } } } | undefined;
  return transport?.ws?._socket?.localAddress ?? 'unknown';
}

async function warm(): Promise<CeilingOutcome> {
  // Connects, pairs and relays a little first, so code the server compiles on first use is not counted per client.
  const pairs = await openPairs(args.url, 50, `${args.prefix}-warm`);
  let received = 0;
  for (const pair of pairs) pair.target.on('w', () => received++);
  for (const pair of pairs) pair.source.emit('P2P_EMIT', { targetClientId: pair.targetId, event: 'w', args: ['warm'] });
  await until(() => received === pairs.length, DELIVERY_TIMEOUT_MS);
  closePairs(pairs);
  return {};
}

async function connect(): Promise<ConnectOutcome> {
  let errors = 0;
  let done = 0;
  await forEachLimited(
    Array.from({ length: args.count }, (_, i) => i),
    args.concurrency,
    async (i) => {
      const socket = openClient(args.url, idOf(i), args.addresses[(args.first + i) % args.addresses.length]);
      sockets[i] = socket;
      if (i % 2 === 1) consentToPairing(socket);
      socket.on('m', onRelay);
      try {
        await whenConnected(socket);
        socket.on('disconnect', onDisconnect);
      } catch {
        errors++;
      }
      if (++done % PROGRESS_EVERY === 0) progress(`connected ${done}/${args.count}`);
    },
  );
  const bySource: Record<string, number> = {};
  for (const socket of sockets) if (socket.connected) bySource[sourceOf(socket)] = (bySource[sourceOf(socket)] ?? 0) + 1;
  return { connected: args.count - errors, errors, bySource };
}

async function pair(): Promise<PairOutcome> {
  const pairings = Math.floor(args.count / 2);
  let errors = 0;
  let done = 0;
  await forEachLimited(
    Array.from({ length: pairings }, (_, p) => p),
    args.concurrency,
    async (p) => {
      try {
        await requestPairing(sockets[2 * p]!, idOf(2 * p + 1));
      } catch {
        errors++;
      }
      if (++done % PROGRESS_EVERY === 0) progress(`paired ${done}/${pairings}`);
    },
  );
  return { pairings: pairings - errors, errors };
}

/** `perSec` relays for `seconds`, each over a pair picked at random, sent in small batches every TICK_MS. */
async function relay(perSec: number, seconds: number): Promise<RelayOutcome> {
  const pairings = Math.floor(args.count / 2);
  latencies = [];
  delivered = 0;
  let sent = 0;
  const start = performance.now();
  const end = start + seconds * 1000;
  while (performance.now() < end) {
    const due = Math.floor(((performance.now() - start) / 1000) * perSec);
    for (; sent < due; sent++) {
      const p = Math.floor(Math.random() * pairings);
      sockets[2 * p]!.emit('P2P_EMIT', { targetClientId: idOf(2 * p + 1), event: 'm', args: [performance.now()] });
    }
    await sleep(TICK_MS);
  }
  await until(() => delivered >= sent, DELIVERY_TIMEOUT_MS);
  const outcome = { sent, delivered, latenciesMs: latencies, disconnects, rssBytes: process.memoryUsage.rss() };
  latencies = null;
  return outcome;
}

function run(request: CeilingRequest): Promise<CeilingOutcome> {
  switch (request.type) {
    case 'warm':
      return warm();
    case 'connect':
      return connect();
    case 'pair':
      return pair();
    case 'relay':
      return relay(request.perSec, request.seconds);
    case 'close':
      throw new Error('close is answered by exiting');
  }
}

process.on('message', (request: CeilingRequest) => {
  if (request.type === 'close') {
    // The clients are not disconnected one by one: the process exits and the kernel closes their sockets at once.
    // The orchestrator waits for the exit and this last line, not for a reply.
    console.log(JSON.stringify({ ok: true }));
    process.exit(0);
  }
  void run(request).then(
    (outcome) => process.send?.({ type: 'phase-done', phase: request.type, outcome } satisfies CeilingPhaseDone),
    (error: unknown) => {
      const message = error instanceof Error ? error.message : String(error);
      process.send?.({ type: 'phase-done', phase: request.type, outcome: {}, error: message } satisfies CeilingPhaseDone);
    },
  );
});
if (!process.send) {
  console.error("usage: started by one-node-ceiling.ts over IPC: node dist/bench/scale/ceiling-load.js '<CeilingLoadArgs JSON>'");
  process.exit(2);
}
