/**
 * `npm run bench:stream`: streams between a pair (issue 22), all in one run, the gateway in a child process of its own:
 * - over the relay with the default limits (4 MiB/s): MiB/s and the rate refusals earned (RATE_LIMITED), and the
 *   delay of an `emit` sent every 20 ms during the transfer (p50, p99);
 * - over the relay with the limits lifted, against a bare Socket.IO server relaying binary chunks of the same size
 *   between two raw clients, in alternating rounds (medians: the machine's load varies). The comparison is kept fair
 *   both ways: the same chunks as binary attachments, confirmations as often (every 32 chunks, as the reliable channel
 *   acks), the same work of the app (bytes generated as they are sent, hashed as they are received), and no less in
 *   flight for the bare relay (4 MiB, against the stream's 1 MiB of credit through a gateway, RELAY_CREDIT_BYTES: the
 *   stronger setting for the baseline; the stream moved as fast with 4 MiB). What the stream adds (numbered frames,
 *   credit, its SHA-256 receipt on both sides) is what is measured;
 *   and the same again with the sender and the receiver each in a process of its own, for both (two-process.transfer.ts):
 *   in real use they are on different machines, while here both clients share this process's one thread;
 * - over the direct path (WebRTC on loopback, node-datachannel), against the library's own ceiling: a raw data channel
 *   between two node-datachannel peer connections in this process, messages of the chunk size, gated on
 *   `bufferedamountlow` with the direct path's buffer bound, no code of this project (raw-datachannel.transfer.ts), in
 *   alternating rounds (medians); and, when @roamhq/wrtc is installed (`npm install --no-save @roamhq/wrtc`: not a
 *   dependency of the project), the same raw channel between two of its peer connections, as a ceiling only;
 * - a long transfer with the limits lifted: the growth of the gateway's RSS and of this process's (both clients).
 * The source is generated as it is read and the receiver hashes and drops what it reads, so memory holds no file.
 * Results go to bench/results/streams.{md,json}. `-- --short` moves less.
 */
import { writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { RTCPeerConnection } from 'node-datachannel/polyfill';
import nodeDataChannel from 'node-datachannel';
import { type RTCPeerConnectionConstructor, Sha256 } from '../../packages/client/src/index.js';
import { ServerProcess } from '../harness/server-process.js';
import { type CpuFigures, bareTransfer, connectClient, cpuNow, cpuPerMiB, generated, receiveStream } from './bare-relay.transfer.js';
import { type RawChannelFigures, rawDataChannelTransfer, wrtcPeers } from './raw-datachannel.transfer.js';
import { twoProcessAgainstBare, twoProcessRows, withServer } from './two-process.transfer.js';

const short = process.argv.includes('--short');
const MiB = 1024 * 1024;
/** `BENCH_STREAM_CHUNK` and `BENCH_STREAM_WINDOW` try other `streams.chunkBytes` and `streams.windowBytes`. */
const CHUNK = Number(process.env.BENCH_STREAM_CHUNK ?? 32 * 1024);
const RELAY_DEFAULT_BYTES = (short ? 24 : 64) * MiB;
const LIFTED_BYTES = (short ? 64 : 256) * MiB;
const DIRECT_BYTES = (short ? 64 : 256) * MiB;
const LONG_BYTES = 256 * MiB;
/** Alternating rounds of the lifted and the bare relay, and of the direct path and the raw data channel: medians. */
const LIFTED_ROUNDS = 3;
const DIRECT_ROUNDS = 3;
const here = (file: string) => fileURLToPath(new URL(file, import.meta.url));
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface TransferFigures extends Partial<CpuFigures> {
  mibPerSec: number;
  rateLimited: number;
  emitP50Ms?: number;
  emitP99Ms?: number;
  gatewayRssGrowthMb?: number;
  clientsRssGrowthMb?: number;
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

async function transfer(
  server: ServerProcess,
  bytes: number,
  options: { direct?: boolean; emits?: boolean; memory?: boolean },
): Promise<TransferFigures> {
  const webrtc = options.direct
    ? {
        webrtc: {
          RTCPeerConnection: RTCPeerConnection as unknown as RTCPeerConnectionConstructor,
          peerConnectionConfig: { bindAddress: '127.0.0.1' },
        },
      }
    : {};
  const id = Math.random().toString(36).slice(2, 8);
  // The default window (4 MiB): the bytes in flight of the bare relay's raw clients.
  const windowOption = process.env.BENCH_STREAM_WINDOW;
  const streams = { streams: { chunkBytes: CHUNK, ...(windowOption ? { windowBytes: Number(windowOption) } : {}) } };
  const a = await connectClient(server.url, `a-${id}`, { ...webrtc, ...streams });
  const b = await connectClient(server.url, `b-${id}`, { ...webrtc, ...streams });
  await a.pair(`b-${id}`);
  if (options.direct) {
    const deadline = Date.now() + 30_000;
    while (a.transport !== 'direct' || b.transport !== 'direct') {
      if (Date.now() > deadline) throw new Error('the pair did not go direct');
      await sleep(50);
    }
  }
  let rateLimited = 0;
  for (const side of [a, b]) side.socket.on('P2P_ERROR', (e: { code?: string }) => e.code === 'RATE_LIMITED' && rateLimited++);
  const delays: number[] = [];
  b.socket.on('chat', (sentAt: number) => delays.push(performance.now() - sentAt));
  const received = receiveStream(b);
  const gatewayRss0 = options.memory ? (await server.stats(true)).rssBytes : 0;
  global.gc?.();
  const clientRss0 = process.memoryUsage().rss;
  let gatewayPeak = gatewayRss0;
  let clientPeak = clientRss0;
  let running = true;
  const sampling = (async () => {
    while (running && options.memory) {
      gatewayPeak = Math.max(gatewayPeak, (await server.stats(false)).rssBytes);
      clientPeak = Math.max(clientPeak, process.memoryUsage().rss);
      await sleep(250);
    }
  })();
  const pinging = (async () => {
    while (running && options.emits) {
      a.emit('chat', performance.now());
      await sleep(20);
    }
  })();
  const cpu0 = await cpuNow(server);
  const t0 = performance.now();
  const receipt = await a.sendStream(generated(bytes, 2 * CHUNK), { size: bytes });
  const seconds = (performance.now() - t0) / 1000;
  const cpu = cpuPerMiB(cpu0, await cpuNow(server), bytes);
  running = false;
  await Promise.all([sampling, pinging]);
  if ((await received) !== receipt.sha256 || receipt.bytes !== bytes) throw new Error('digests differ');
  a.socket.disconnect();
  b.socket.disconnect();
  a.dispose();
  b.dispose();
  return {
    mibPerSec: bytes / MiB / seconds,
    ...cpu,
    rateLimited,
    ...(options.emits ? { emitP50Ms: percentile(delays, 50), emitP99Ms: percentile(delays, 99) } : {}),
    ...(options.memory
      ? { gatewayRssGrowthMb: (gatewayPeak - gatewayRss0) / 1e6, clientsRssGrowthMb: (clientPeak - clientRss0) / 1e6 }
      : {}),
  };
}

const unpinned = { pinned: false } as const;
/**
 * 'direct', 'lifted' (with the bare relay), 'two' (the same with the sender and the receiver in two processes),
 * 'relay', 'bare' or 'long': that run alone, for trying options or profiling.
 */
const only = process.env.BENCH_STREAM_ONLY;
/**
 * The lifted relay against the bare one, in alternating rounds (this machine's load varies from second to second):
 * the median round of each, and every round's figures.
 */
async function liftedAgainstBare(): Promise<{
  relayLifted: TransferFigures;
  bare: number;
  bareFigures: CpuFigures;
  rounds: number[][];
}> {
  const lifted: TransferFigures[] = [];
  const bares: ({ mibPerSec: number } & CpuFigures)[] = [];
  for (let i = 0; i < LIFTED_ROUNDS; i++) {
    lifted.push(await withServer(new ServerProcess('gateway', unpinned), (s) => transfer(s, LIFTED_BYTES, {})));
    bares.push(await withServer(new ServerProcess('bare', unpinned), (s) => bareTransfer(s, LIFTED_BYTES, CHUNK)));
    const cpu = (f: Partial<CpuFigures>) =>
      `CPU ms/MiB clients ${f.clientsCpuMsPerMiB?.toFixed(1)}, gateway ${f.gatewayCpuMsPerMiB?.toFixed(1)}`;
    console.log(
      `round ${i + 1}: lifted relay ${lifted[i]!.mibPerSec.toFixed(1)} MiB/s (${cpu(lifted[i]!)}), bare relay ${bares[i]!.mibPerSec.toFixed(1)} MiB/s (${cpu(bares[i]!)})`,
    );
  }
  const middle = Math.floor(LIFTED_ROUNDS / 2);
  const relayLifted = [...lifted].sort((x, y) => x.mibPerSec - y.mibPerSec)[middle]!;
  const bareFigures = [...bares].sort((x, y) => x.mibPerSec - y.mibPerSec)[middle]!;
  return {
    relayLifted,
    bare: bareFigures.mibPerSec,
    bareFigures,
    rounds: lifted.map((figures, i) => [figures.mibPerSec, bares[i]!.mibPerSec]),
  };
}

if (only === 'lifted') {
  const { relayLifted, bare } = await liftedAgainstBare();
  console.log({ lifted: relayLifted.mibPerSec, bare, ratio: relayLifted.mibPerSec / bare });
  process.exit(0);
}
if (only === 'two') {
  const { stream, bare } = await twoProcessAgainstBare(LIFTED_ROUNDS, LIFTED_BYTES, CHUNK);
  console.log({ stream, bare, ratio: stream.mibPerSec / bare.mibPerSec });
  process.exit(0);
}
if (only === 'long') {
  // The long lifted transfer alone, with its emits every 20 ms: their delay behind the chunks in flight.
  console.log(await withServer(new ServerProcess('gateway', unpinned), (s) => transfer(s, LONG_BYTES, { memory: true, emits: true })));
  process.exit(0);
}
if (only === 'relay' || only === 'bare') {
  // One transfer alone, for a profile of this process (`node --cpu-prof`): the lifted relay, or the bare one.
  const kind = only === 'relay' ? 'gateway' : 'bare';
  const run = (s: ServerProcess): Promise<object> =>
    only === 'relay' ? transfer(s, LIFTED_BYTES, {}) : bareTransfer(s, LIFTED_BYTES, CHUNK);
  console.log(await withServer(new ServerProcess(kind, unpinned), run));
  process.exit(0);
}
/** CPU time per MiB of the streams' SHA-256 in this process (a stream pays it twice here: its sender and receiver). */
function sha256CpuMsPerMiB(): number {
  const block = new Uint8Array(CHUNK).map((_, i) => i & 0xff);
  const total = 64 * MiB;
  const hash = new Sha256();
  const cpu0 = process.cpuUsage();
  for (let at = 0; at < total; at += block.byteLength) hash.update(block);
  const cpu = process.cpuUsage(cpu0);
  if (hash.hex().length !== 64) throw new Error('no digest');
  return (cpu.user + cpu.system) / 1000 / (total / MiB);
}

const webrtcGateway = { name: 'webrtc gateway', script: here('../webrtc/webrtc-gateway.js') };
/**
 * The direct path against the WebRTC library's own ceiling (a raw data channel of node-datachannel, no code of this
 * project, messages of the chunk size), in alternating rounds: the median round of each, and every round's figures.
 */
async function directAgainstRaw(): Promise<{
  direct: TransferFigures;
  raw: RawChannelFigures;
  wrtc?: RawChannelFigures;
  rounds: number[][];
}> {
  const directs: TransferFigures[] = [];
  const raws: RawChannelFigures[] = [];
  // Another WebRTC implementation's raw channel, as a ceiling only, when it is installed (not a dependency).
  const wrtc = await wrtcPeers();
  const wrtcs: RawChannelFigures[] = [];
  for (let i = 0; i < DIRECT_ROUNDS; i++) {
    directs.push(await withServer(new ServerProcess(webrtcGateway, unpinned), (s) => transfer(s, DIRECT_BYTES, { direct: true })));
    raws.push(await rawDataChannelTransfer(DIRECT_BYTES, CHUNK));
    if (wrtc) wrtcs.push(await rawDataChannelTransfer(DIRECT_BYTES, CHUNK, MiB, wrtc));
    console.log(
      `round ${i + 1}: direct ${directs[i]!.mibPerSec.toFixed(1)} MiB/s (CPU ms/MiB ${directs[i]!.clientsCpuMsPerMiB?.toFixed(1)}), ` +
        `raw data channel ${raws[i]!.mibPerSec.toFixed(1)} MiB/s (CPU ms/MiB ${raws[i]!.cpuMsPerMiB.toFixed(1)})` +
        (wrtc ? `, raw @roamhq/wrtc channel ${wrtcs[i]!.mibPerSec.toFixed(1)} MiB/s (CPU ms/MiB ${wrtcs[i]!.cpuMsPerMiB.toFixed(1)})` : ''),
    );
  }
  const middle = Math.floor(DIRECT_ROUNDS / 2);
  const median = <T extends { mibPerSec: number }>(all: T[]): T => [...all].sort((x, y) => x.mibPerSec - y.mibPerSec)[middle]!;
  return {
    direct: median(directs),
    raw: median(raws),
    ...(wrtc ? { wrtc: median(wrtcs) } : {}),
    rounds: directs.map((figures, i) => [figures.mibPerSec, raws[i]!.mibPerSec, ...(wrtc ? [wrtcs[i]!.mibPerSec] : [])]),
  };
}

if (only === 'direct') {
  const { direct, raw, wrtc } = await directAgainstRaw();
  console.log({ direct: direct.mibPerSec, raw: raw.mibPerSec, ratio: direct.mibPerSec / raw.mibPerSec, wrtc: wrtc?.mibPerSec });
  nodeDataChannel.cleanup();
  process.exit(0);
}
const relayDefault = await withServer(new ServerProcess('gateway', { ...unpinned, env: { BENCH_LIMITS: 'default' } }), (s) =>
  transfer(s, RELAY_DEFAULT_BYTES, { emits: true }),
);
console.log('relay, default limits', relayDefault);
const { relayLifted, bare, bareFigures, rounds } = await liftedAgainstBare();
console.log('relay, limits lifted', relayLifted);
console.log('bare Socket.IO binary relay', bare);
const twoProcess = await twoProcessAgainstBare(LIFTED_ROUNDS, LIFTED_BYTES, CHUNK);
const { direct, raw, wrtc, rounds: directRounds } = await directAgainstRaw();
const hashMsPerMiB = sha256CpuMsPerMiB();
console.log('direct', direct);
console.log('raw data channel', raw);
const long = await withServer(new ServerProcess('gateway', unpinned), (s) => transfer(s, LONG_BYTES, { memory: true, emits: true }));
console.log(`${LONG_BYTES / MiB} MiB, limits lifted`, long);
nodeDataChannel.cleanup();

const f = (n: number | undefined, digits = 1) => (n === undefined ? '-' : n.toFixed(digits));
const cpuText = (figures: Partial<CpuFigures>) =>
  `CPU per MiB: clients ${f(figures.clientsCpuMsPerMiB)} ms, gateway ${f(figures.gatewayCpuMsPerMiB)} ms`;
const rows = [
  [
    'relay, default limits (4 MiB/s)',
    `${RELAY_DEFAULT_BYTES / MiB} MiB`,
    f(relayDefault.mibPerSec),
    `${f((relayDefault.mibPerSec / 4) * 100, 0)}% of 4 MiB/s`,
    String(relayDefault.rateLimited),
    `${f(relayDefault.emitP50Ms)} / ${f(relayDefault.emitP99Ms)}`,
  ],
  [
    'relay, limits lifted (median of 3 rounds)',
    `${LIFTED_BYTES / MiB} MiB`,
    f(relayLifted.mibPerSec),
    `${f(relayLifted.mibPerSec / bare, 2)}× the bare relay; ${cpuText(relayLifted)}`,
    String(relayLifted.rateLimited),
    '-',
  ],
  ['bare Socket.IO binary relay (median of 3 rounds)', `${LIFTED_BYTES / MiB} MiB`, f(bare), cpuText(bareFigures), '-', '-'],
  ...twoProcessRows(twoProcess.stream, twoProcess.bare, LIFTED_BYTES, LIFTED_ROUNDS),
  [
    'direct (WebRTC, loopback; median of 3 rounds)',
    `${DIRECT_BYTES / MiB} MiB`,
    f(direct.mibPerSec),
    `${f(direct.mibPerSec / relayLifted.mibPerSec, 2)}× the lifted relay; ${f(direct.mibPerSec / raw.mibPerSec, 2)}× the raw data channel; ` +
      `CPU per MiB: clients ${f(direct.clientsCpuMsPerMiB)} ms`,
    String(direct.rateLimited),
    '-',
  ],
  [
    `raw node-datachannel channel, ${CHUNK / 1024} KiB messages (median of 3 rounds)`,
    `${DIRECT_BYTES / MiB} MiB`,
    f(raw.mibPerSec),
    `${f(raw.mibPerSec / relayLifted.mibPerSec, 2)}× the lifted relay (the library's ceiling); CPU per MiB: ${f(raw.cpuMsPerMiB)} ms`,
    '-',
    '-',
  ],
  ...(wrtc
    ? [
        [
          `raw @roamhq/wrtc channel, ${CHUNK / 1024} KiB messages (median of 3 rounds; a ceiling only, not a dependency)`,
          `${DIRECT_BYTES / MiB} MiB`,
          f(wrtc.mibPerSec),
          `${f(wrtc.mibPerSec / relayLifted.mibPerSec, 2)}× the lifted relay; ${f(wrtc.mibPerSec / raw.mibPerSec, 2)}× node-datachannel's; CPU per MiB: ${f(wrtc.cpuMsPerMiB)} ms`,
          '-',
          '-',
        ],
      ]
    : []),
  [
    `relay, limits lifted, RSS`,
    `${LONG_BYTES / MiB} MiB`,
    f(long.mibPerSec),
    `gateway +${f(long.gatewayRssGrowthMb, 0)} MB, clients +${f(long.clientsRssGrowthMb, 0)} MB`,
    String(long.rateLimited),
    `${f(long.emitP50Ms)} / ${f(long.emitP99Ms)}`,
  ],
];
const table = [
  '| Run | Moved | MiB/s | Against | RATE_LIMITED | emit delay p50 / p99 (ms) |',
  '| --- | --- | --- | --- | --- | --- |',
  ...rows.map((row) => `| ${row.join(' | ')} |`),
].join('\n');
const results = {
  short,
  chunkBytes: CHUNK,
  relayDefault,
  relayLifted,
  bareMibPerSec: bare,
  liftedAndBareRounds: rounds,
  twoProcess,
  direct,
  rawDataChannel: raw,
  ...(wrtc ? { rawWrtcChannel: wrtc } : {}),
  sha256CpuMsPerMiB: hashMsPerMiB,
  loadAverage: loadavg(),
  directAndRawRounds: directRounds,
  long,
  date: new Date().toISOString(),
};
const name = short ? 'streams-short' : 'streams';
writeFileSync(here(`../../../bench/results/${name}.json`), `${JSON.stringify(results, null, 2)}\n`);
const notes = [
  `SHA-256 of the stream receipt in this process: ${f(hashMsPerMiB, 2)} ms of CPU per MiB (paid twice per stream here, sender and receiver).`,
  `Load average at the end: ${loadavg()
    .map((n) => n.toFixed(1))
    .join(', ')} (a shared 2-core machine).`,
].join('\n');
writeFileSync(
  here(`../../../bench/results/${name}.md`),
  `# Streams (npm run bench:stream${short ? ' -- --short' : ''})\n\n${table}\n\n${notes}\n`,
);
console.log(`${table}\n${notes}`);
