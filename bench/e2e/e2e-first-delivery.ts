/**
 * `npm run bench:e2e-first`: what end-to-end encryption adds to a fresh pair's first message, with more rounds than
 * `npm run bench:e2e` (whose seven give a noisy median of this one figure). Against the gateway in its own process, in
 * one run, alternating rounds without and with `e2e` (`--rounds N` each, default 31), each with a fresh pair in this
 * process: `pair()`, then a probe the target answers at once (the time from `pair()` resolving to its delivery, and to
 * the answer: a round trip of a fresh pair), then `--bulk N` messages (default 5,000), so that both paths' code is as
 * warm for the next round as in `bench:e2e`. Medians; the added time also in round trips of a fresh pair without e2e,
 * measured in the same run. Results go to bench/results/e2e-first-delivery.{md,json}.
 *
 * `--against DIR`: a third kind of round, with e2e, whose two clients are those of another build of this repository
 * (DIR holds its `dist/`, built by `npm run build` in a checkout of another commit): the code before a change and the
 * code after it, measured in the same run, alternating, against the same gateway.
 */
import { writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { P2pClient } from '../../packages/client/src/index.js';
import { numberOption } from '../harness/number.option.js';
import { ServerProcess as Gateway } from '../harness/server-process.js';
import { median } from './alternating.rounds.js';
import { type P2pClientClass, connectE2eClient } from './e2e-client.connect.js';

const ROUNDS = numberOption('rounds', 31);
const BULK = numberOption('bulk', 5_000);
const PAYLOAD = 'x'.repeat(100);
const againstAt = process.argv.indexOf('--against');
const AGAINST = againstAt >= 0 ? process.argv[againstAt + 1] : undefined;

const Against: P2pClientClass | undefined = AGAINST
  ? ((await import(pathToFileURL(resolve(AGAINST, 'dist/packages/client/src/index.js')).href)) as { P2pClient: P2pClientClass }).P2pClient
  : undefined;

interface Round {
  /** How long `pair()` itself takes. */
  pairMs: number;
  /** From `pair()` resolving to the first message delivered to the peer. */
  firstMs: number;
  /** From `pair()` resolving to the peer's answer to that message: a round trip on a fresh pair. */
  answeredMs: number;
}

async function round(server: Gateway, id: string, e2e: boolean, Kind: P2pClientClass = P2pClient): Promise<Round> {
  const target = await connectE2eClient(server.url, `t-${id}`, e2e, Kind);
  const source = await connectE2eClient(server.url, `s-${id}`, e2e, Kind);
  let firstAt = 0;
  let delivered = 0;
  let done: () => void = () => undefined;
  const all = new Promise<void>((resolve) => (done = resolve));
  target.socket.on('m', () => {
    if (++delivered === BULK) done();
  });
  target.socket.on('probe', (n: number) => {
    firstAt = performance.now();
    target.emit('answer', n);
  });
  const answered = new Promise<number>((resolve) => source.socket.once('answer', () => resolve(performance.now())));
  const asked = performance.now();
  await source.pair(`t-${id}`);
  const paired = performance.now();
  source.emit('probe', -1);
  const answeredAt = await answered;
  for (let i = 0; i < BULK; i++) if (!source.emit('m', PAYLOAD, i)) await source.drained();
  await all;
  source.socket.disconnect();
  target.socket.disconnect();
  return { pairMs: paired - asked, firstMs: firstAt - paired, answeredMs: answeredAt - paired };
}

/** Each figure's median over `rounds`. */
function medians(rounds: Round[]): Round {
  return {
    pairMs: median(rounds.map((r) => r.pairMs)),
    firstMs: median(rounds.map((r) => r.firstMs)),
    answeredMs: median(rounds.map((r) => r.answeredMs)),
  };
}

const server = new Gateway('gateway');
await server.start();
const kinds: { plain: Round[]; e2e: Round[]; against: Round[] } = { plain: [], e2e: [], against: [] };
try {
  for (let i = 0; i < ROUNDS; i++) {
    kinds.plain.push(await round(server, `p${i}`, false));
    kinds.e2e.push(await round(server, `e${i}`, true));
    if (Against) kinds.against.push(await round(server, `a${i}`, true, Against));
  }
} finally {
  await server.stop();
}
const results = { plain: medians(kinds.plain), e2e: medians(kinds.e2e), ...(Against ? { against: medians(kinds.against) } : {}) };
const addedMs = results.e2e.firstMs - results.plain.firstMs;
const addedRoundTrips = addedMs / results.plain.answeredMs;
const row = (name: string, r: Round) =>
  `| ${name} | ${r.pairMs.toFixed(2)} | ${r.firstMs.toFixed(2)} | ${r.answeredMs.toFixed(2)} | +${(r.firstMs - results.plain.firstMs).toFixed(2)} ms | ${((r.firstMs - results.plain.firstMs) / results.plain.answeredMs).toFixed(2)} |`;
const header = [
  `npm run bench:e2e-first · ${ROUNDS} rounds each, ${BULK} messages after the probe per round, medians · ${cpus().length} cores ${cpus()[0]?.model ?? ''} · node ${process.version}`,
  '',
  '| | pair() itself (ms) | pair() to first delivery (ms) | pair() to its answer (ms) | added | in fresh round trips |',
  '|---|--:|--:|--:|--:|--:|',
  row('without e2e', results.plain),
  row('with e2e', results.e2e),
  ...(results.against ? [row('with e2e, the --against build', results.against)] : []),
  '',
  `e2e adds ${addedMs.toFixed(2)} ms before the first delivery: ${addedRoundTrips.toFixed(2)} round trips of a fresh pair without e2e (pair() to the answer of its first message, ${results.plain.answeredMs.toFixed(2)} ms).`,
].join('\n');
console.log(`\n${header}`);
const out = (name: string) => fileURLToPath(new URL(`../../../bench/results/${name}`, import.meta.url));
writeFileSync(out('e2e-first-delivery.md'), `${header}\n`);
writeFileSync(out('e2e-first-delivery.json'), `${JSON.stringify({ ...results, addedMs, addedRoundTrips }, null, 2)}\n`);
process.exit(0);
