/**
 * `npm run bench:e2e`: what end-to-end encryption costs. Against the gateway in its own process (limits that do not
 * bind, so the relay is measured and not the limiter), in one run, alternating rounds without and with `e2e`: a pair of
 * fresh `P2pClient`s sends `MESSAGES` messages of about 100 bytes over the reliable channel as fast as its window lets
 * it (throughput: messages per second until the last is delivered), and the time from `pair()` resolving to the first
 * message delivered (which, with e2e, includes the key exchange). Results go to bench/results/e2e.{md,json}.
 */
import { writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { fileURLToPath } from 'node:url';
import { type Socket, io } from 'socket.io-client';
import { P2pClient } from '../../packages/client/src/index.js';
import { ServerProcess } from '../harness/server-process.js';

const ROUNDS = 5;
const MESSAGES = 20_000;
const PAYLOAD = 'x'.repeat(100);

async function connect(url: string, clientId: string, e2e: boolean): Promise<P2pClient<Socket>> {
  const socket = io(url, { transports: ['websocket'], forceNew: true, reconnection: false, autoConnect: false });
  const client = new P2pClient(socket, { clientId, e2e });
  socket.connect();
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', () => resolve());
    socket.once('connect_error', reject);
  });
  return client;
}

async function round(url: string, id: string, e2e: boolean): Promise<{ perSecond: number; firstMs: number }> {
  const target = await connect(url, `t-${id}`, e2e);
  const source = await connect(url, `s-${id}`, e2e);
  let delivered = 0;
  let firstAt = 0;
  let done: () => void = () => undefined;
  const all = new Promise<void>((resolve) => (done = resolve));
  target.socket.on('m', () => {
    if (delivered++ === 0) firstAt = performance.now();
    if (delivered === MESSAGES + 1) done();
  });
  await source.pair(`t-${id}`);
  const paired = performance.now();
  source.emit('m', PAYLOAD, -1);
  while (delivered === 0) await new Promise((resolve) => setTimeout(resolve, 1));
  const start = performance.now();
  for (let i = 0; i < MESSAGES; i++) if (!source.emit('m', PAYLOAD, i)) await source.drained();
  await all;
  const seconds = (performance.now() - start) / 1000;
  source.socket.disconnect();
  target.socket.disconnect();
  return { perSecond: MESSAGES / seconds, firstMs: firstAt - paired };
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

const server = new ServerProcess('gateway');
await server.start();
const plain: { perSecond: number; firstMs: number }[] = [];
const sealed: { perSecond: number; firstMs: number }[] = [];
for (let i = 0; i < ROUNDS; i++) {
  plain.push(await round(server.url, `p${i}`, false));
  sealed.push(await round(server.url, `e${i}`, true));
}
await server.stop();

const results = {
  plain: { perSecond: median(plain.map((r) => r.perSecond)), firstMs: median(plain.map((r) => r.firstMs)) },
  e2e: { perSecond: median(sealed.map((r) => r.perSecond)), firstMs: median(sealed.map((r) => r.firstMs)) },
};
const ratio = results.e2e.perSecond / results.plain.perSecond;
const header = [
  `npm run bench:e2e · ${ROUNDS} rounds each, ${MESSAGES} messages of ~${PAYLOAD.length} bytes per round, medians · limits not binding · ${cpus().length} cores ${cpus()[0]?.model ?? ''} · node ${process.version}`,
  '',
  '| | messages/s | pair() to first delivery (ms) |',
  '|---|--:|--:|',
  `| without e2e | ${results.plain.perSecond.toFixed(0)} | ${results.plain.firstMs.toFixed(1)} |`,
  `| with e2e | ${results.e2e.perSecond.toFixed(0)} | ${results.e2e.firstMs.toFixed(1)} |`,
  `| ratio | ${ratio.toFixed(2)} | +${(results.e2e.firstMs - results.plain.firstMs).toFixed(1)} ms |`,
].join('\n');
console.log(`\n${header}`);
const out = (name: string) => fileURLToPath(new URL(`../../../bench/results/${name}`, import.meta.url));
writeFileSync(out('e2e.md'), `${header}\n`);
writeFileSync(out('e2e.json'), `${JSON.stringify({ ...results, ratio }, null, 2)}\n`);
process.exit(0);
