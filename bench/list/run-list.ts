/**
 * `npm run bench:list`: the server CPU one `LIST_CLIENTS` costs with 100,000 clients against the same request with
 * 100 clients, measured in the same run, in memory and on Redis (target: within 2x). Each gateway is its own process
 * (pinned to core 0 when taskset is there); the two sizes alternate round by round, and the orchestrator itself sends
 * the requests from real Socket.IO clients (protocol 2, websocket). The bulk of the clients is registered directly in
 * the gateway's store (see list-server.ts).
 *   npm run bench:list                    5 rounds, writes bench/results/list.{json,md}
 *   npm run bench:list -- --short         1 round, fewer requests, writes bench/results/list-short.*
 *   npm run bench:list -- --rounds N --requests N --no-redis --no-pin
 */
import { randomUUID } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { type Socket, io } from 'socket.io-client';
import { describeMachine } from '../harness/machine.js';
import { watchOtherWork } from '../harness/machine-load.js';
import { pinningEnabled } from '../harness/pinning.js';
import { Progress } from '../harness/progress.js';
import { ServerProcess } from '../harness/server-process.js';

const SIZES = { baseline: 100, large: 100_000 } as const;
type Size = keyof typeof SIZES;
type StoreKind = 'memory' | 'redis';
const VIEWERS = 4;
const IN_FLIGHT_PER_VIEWER = 4;
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

function option(name: string): string | undefined {
  const at = process.argv.indexOf(name);
  return at >= 0 ? process.argv[at + 1] : undefined;
}

const short = process.argv.includes('--short');
const rounds = Number(option('--rounds') ?? (short ? 1 : 5));
const requests = Number(option('--requests') ?? (short ? 300 : 2000));
const stores: StoreKind[] = process.argv.includes('--no-redis') ? ['memory'] : ['memory', 'redis'];

/** The requests measured: the arguments before the ack; `mid-walk` starts from a cursor halfway through the list. */
interface Workload {
  name: string;
  title: string;
  args(cursors: Record<Size, string>, size: Size): unknown[];
}
const WORKLOADS: Workload[] = [
  { name: 'first-page', title: 'LIST_CLIENTS(ack), the original request: first page (100 vs 1,000 ids)', args: () => [] },
  { name: 'page-100', title: 'first page of 100: {cursor: null, limit: 100}', args: () => [{ cursor: null, limit: 100 }] },
  {
    name: 'mid-walk-100',
    title: 'page of 100 from mid-walk: {cursor, limit: 100}',
    args: (cursors, size) => [{ cursor: cursors[size], limit: 100 }],
  },
  {
    name: 'available-100',
    title: 'first free page of 100: {available: true, cursor: null, limit: 100}',
    args: () => [{ available: true, cursor: null, limit: 100 }],
  },
];

interface Gateway {
  server: ServerProcess;
  viewers: Socket[];
  /** A cursor halfway through the list. */
  midCursor: string;
}

function ask(socket: Socket, args: unknown[]): Promise<unknown> {
  return new Promise((resolve, reject) => {
    socket
      .timeout(30_000)
      .emit('LIST_CLIENTS', ...args, (error: Error | null, answer: unknown) => (error ? reject(error) : resolve(answer)));
  });
}

async function connectViewer(url: string, index: number): Promise<Socket> {
  const socket = io(url, {
    transports: ['websocket'],
    reconnection: false,
    forceNew: true,
    auth: { clientId: `viewer-${index}`, p2pProtocol: 2 },
  });
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('connect_error', reject);
  });
  return socket;
}

async function startGateway(store: StoreKind, size: Size, keyPrefix: string): Promise<Gateway> {
  const total = SIZES[size];
  const server = new ServerProcess(
    { name: `list gateway (${store}, ${total} clients)`, script: fileURLToPath(new URL('./list-server.js', import.meta.url)) },
    {
      env: { LIST_STORE: store, LIST_BULK: String(total - VIEWERS), LIST_KEY_PREFIX: keyPrefix, REDIS_URL },
      // It fills its store with up to 100,000 clients before it listens.
      startTimeoutMs: 300_000,
    },
  );
  await server.start();
  const viewers: Socket[] = [];
  for (let i = 0; i < VIEWERS; i++) viewers.push(await connectViewer(server.url, i));
  // Walk to the middle with the largest pages, to measure a page read from a cursor deep in the list.
  let cursor: string | null = null;
  let seen = 0;
  while (seen < total / 2) {
    const page = (await ask(viewers[0]!, [{ cursor, limit: Math.min(1000, total / 2 - seen) }])) as {
      clients: string[];
      next: string | null;
    };
    seen += page.clients.length;
    cursor = page.next;
    if (cursor === null) throw new Error(`the walk ended after ${seen} of ${total} clients`);
  }
  return { server, viewers, midCursor: cursor! };
}

/** Server CPU per request, in µs, over `count` requests kept `IN_FLIGHT_PER_VIEWER` deep on every viewer. */
async function measure(gateway: Gateway, args: unknown[], count: number): Promise<{ cpuMicros: number; bytes: number }> {
  let bytes = 0;
  const run = async (total: number) => {
    let sent = 0;
    const lane = async (socket: Socket) => {
      while (sent < total) {
        sent++;
        const answer = await ask(socket, args);
        bytes = JSON.stringify(answer).length;
        if (typeof answer === 'object' && answer !== null && 'error' in answer) throw new Error(`refused: ${JSON.stringify(answer)}`);
      }
    };
    await Promise.all(gateway.viewers.flatMap((socket) => Array.from({ length: IN_FLIGHT_PER_VIEWER }, () => lane(socket))));
  };
  await run(Math.max(50, count / 10)); // warm-up
  const before = await gateway.server.stats(false);
  await run(count);
  const after = await gateway.server.stats(false);
  return { cpuMicros: (after.cpuMicros - before.cpuMicros) / count, bytes };
}

async function deleteKeys(prefix: string): Promise<void> {
  const redis = new Redis(REDIS_URL);
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `{${prefix}}*`, 'COUNT', 1000);
      if (keys.length > 0) await redis.unlink(...keys);
      cursor = next;
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
};

interface Row {
  store: StoreKind;
  workload: string;
  title: string;
  baselineMicros: number[];
  largeMicros: number[];
  ratios: number[];
  baselineBytes: number;
  largeBytes: number;
}

const otherWork = watchOtherWork();
const progress = new Progress(stores.length * rounds * WORKLOADS.length * 2);
const rows: Row[] = [];
for (const store of stores) {
  const prefixes = { baseline: `bench-list-${randomUUID().slice(0, 8)}`, large: `bench-list-${randomUUID().slice(0, 8)}` };
  progress.log(`${store}: starting the gateways (filling ${SIZES.large.toLocaleString('en')} clients)`);
  const gateways = {} as Record<Size, Gateway>;
  try {
    gateways.baseline = await startGateway(store, 'baseline', prefixes.baseline);
    gateways.large = await startGateway(store, 'large', prefixes.large);
    const cursors = { baseline: gateways.baseline.midCursor, large: gateways.large.midCursor };
    const storeRows = WORKLOADS.map((w): Row => ({
      store,
      workload: w.name,
      title: w.title,
      baselineMicros: [],
      largeMicros: [],
      ratios: [],
      baselineBytes: 0,
      largeBytes: 0,
    }));
    for (let r = 0; r < rounds; r++) {
      const order: Size[] = r % 2 === 0 ? ['baseline', 'large'] : ['large', 'baseline'];
      for (const [w, workload] of WORKLOADS.entries()) {
        const figures = {} as Record<Size, { cpuMicros: number; bytes: number }>;
        for (const size of order) {
          progress.step++;
          progress.log(`${store} · round ${r + 1}/${rounds} · ${workload.name} · ${SIZES[size].toLocaleString('en')} clients`);
          figures[size] = await measure(gateways[size], workload.args(cursors, size), requests);
        }
        const row = storeRows[w]!;
        row.baselineMicros.push(figures.baseline.cpuMicros);
        row.largeMicros.push(figures.large.cpuMicros);
        row.ratios.push(figures.large.cpuMicros / figures.baseline.cpuMicros);
        row.baselineBytes = figures.baseline.bytes;
        row.largeBytes = figures.large.bytes;
      }
    }
    rows.push(...storeRows);
  } finally {
    for (const gateway of Object.values(gateways)) {
      for (const socket of gateway.viewers) socket.disconnect();
      await gateway.server.stop();
    }
    if (store === 'redis') await Promise.all(Object.values(prefixes).map(deleteKeys));
  }
}

const machine = describeMachine();
const share = otherWork();
const header =
  `npm run bench:list${short ? ' -- --short' : ''} · ${rounds} round(s) of ${requests} requests, medians · ` +
  `${machine.nproc} cores ${machine.cpuModel} · node ${machine.node} · ${pinningEnabled() ? 'server pinned to core 0' : 'not pinned'}` +
  (share === null ? '' : ` · other work took ${Math.round(share * 100)}% of the CPU`);
const fmt = (value: number) => (value >= 100 ? value.toFixed(0) : value.toFixed(1));
const lines = [
  header,
  '',
  '| store | request | 100 clients: CPU/request (µs) | 100,000 clients: CPU/request (µs) | ratio | range | answer bytes (100 / 100k) | target |',
  '|---|---|--:|--:|--:|--:|--:|---|',
  ...rows.map((row) => {
    const ratio = median(row.ratios);
    return (
      `| ${row.store === 'memory' ? 'in memory' : 'Redis'} | ${row.title} | ${fmt(median(row.baselineMicros))} | ${fmt(median(row.largeMicros))} | ` +
      `${ratio.toFixed(2)}x | ${Math.min(...row.ratios).toFixed(2)}-${Math.max(...row.ratios).toFixed(2)} | ${row.baselineBytes} / ${row.largeBytes} | <= 2x ${ratio <= 2 ? 'met' : 'MISSED'} |`
    );
  }),
];
const report = lines.join('\n');
process.stdout.write(`${report}\n`);
const results = fileURLToPath(new URL('../../../bench/results/', import.meta.url));
mkdirSync(results, { recursive: true });
const name = short ? 'list-short' : 'list';
writeFileSync(`${results}${name}.md`, `${report}\n`);
writeFileSync(`${results}${name}.json`, `${JSON.stringify({ header, machine, otherWorkShare: share, rounds, requests, rows }, null, 2)}\n`);
