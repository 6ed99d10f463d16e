/**
 * `npm run bench:webrtc`: a pairing of two P2pClients over the relay against the same kind of pairing upgraded to a
 * WebRTC data channel (option `webrtc`, node-datachannel bound to 127.0.0.1), through one gateway process, in one run,
 * rounds alternating. Each round sends `emitWithAck` round trips one after the other (one in flight) and measures
 * each; reported per mode: round-trip p50 / p99, the gateway's CPU per round trip, and the messages the gateway
 * relayed (its own counters: P2P_EMIT, P2P_EMIT_ACKNOWLEDGE, P2P_FRAME). Loopback only: no STUN/TURN server.
 * Results go to bench/results/webrtc.{md,json}. `-- --short` runs 2 rounds of 500 round trips.
 */
import { writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { fileURLToPath } from 'node:url';
import nodeDataChannel from 'node-datachannel';
import { RTCPeerConnection } from 'node-datachannel/polyfill';
import { type Socket, io } from 'socket.io-client';
import { P2pClient, iceServersForNodeDataChannel } from '../../packages/client/src/index.js';
import { ServerProcess } from '../harness/server-process.js';
import { pinningEnabled } from '../harness/pinning.js';

type Mode = 'relay' | 'direct';

const short = process.argv.includes('--short');
const ROUNDS = short ? 2 : 5;
const TRIPS = short ? 500 : 2_000;
const WARMUP_TRIPS = 100;
const PAYLOAD = 'x'.repeat(64);

interface RoundFigures {
  p50Ms: number;
  p99Ms: number;
  gatewayCpuMicrosPerTrip: number;
  relayedPerTrip: number;
}

async function until(check: () => boolean, what: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

async function connect(url: string, clientId: string, mode: Mode): Promise<P2pClient<Socket>> {
  const socket = io(url, { transports: ['websocket'], forceNew: true, reconnection: false, autoConnect: false });
  const client = new P2pClient(socket, {
    clientId,
    webrtc: mode === 'direct' && {
      RTCPeerConnection,
      adaptIceServers: iceServersForNodeDataChannel,
      peerConnectionConfig: { bindAddress: '127.0.0.1' },
    },
  });
  socket.connect();
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', () => resolve());
    socket.once('connect_error', reject);
  });
  return client;
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

async function round(server: ServerProcess, mode: Mode, roundNo: number): Promise<RoundFigures> {
  const bId = `b-${mode}-${roundNo}`;
  const b = await connect(server.url, bId, mode);
  const a = await connect(server.url, `a-${mode}-${roundNo}`, mode);
  b.socket.on('echo', (payload: string, reply: (payload: string) => void) => reply(payload));
  await a.pair(bId);
  await until(() => a.reliable && b.reliable, 'the reliable channel');
  if (mode === 'direct') await until(() => a.transport === 'direct' && b.transport === 'direct', 'the upgrade');
  for (let i = 0; i < WARMUP_TRIPS; i++) await a.emitWithAck('echo', PAYLOAD);
  await until(() => a.unconfirmed === 0 && b.unconfirmed === 0, 'the warm-up confirmed');
  const relayed = async () => (await server.ask<{ id: number; relayed: number }>((id) => ({ type: 'relayed', id }))).relayed;
  const relayed0 = await relayed();
  const cpu0 = (await server.stats(false)).cpuMicros;
  const trips: number[] = [];
  for (let i = 0; i < TRIPS; i++) {
    const t0 = performance.now();
    await a.emitWithAck('echo', PAYLOAD);
    trips.push(performance.now() - t0);
  }
  // The last acknowledgements (confirmations of the replies) belong to these trips too.
  await until(() => a.unconfirmed === 0 && b.unconfirmed === 0, 'the last trips confirmed');
  const cpu1 = (await server.stats(false)).cpuMicros;
  const relayed1 = await relayed();
  if (mode === 'direct' && (a.transport !== 'direct' || b.transport !== 'direct')) throw new Error('the direct path dropped mid-round');
  await a.unpair();
  for (const client of [a, b]) {
    client.dispose();
    client.socket.disconnect();
  }
  trips.sort((x, y) => x - y);
  return {
    p50Ms: percentile(trips, 50),
    p99Ms: percentile(trips, 99),
    gatewayCpuMicrosPerTrip: (cpu1 - cpu0) / TRIPS,
    relayedPerTrip: (relayed1 - relayed0) / TRIPS,
  };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

const server = new ServerProcess({ name: 'webrtc gateway', script: fileURLToPath(new URL('./webrtc-gateway.js', import.meta.url)) });
await server.start();
const results: Record<Mode, RoundFigures[]> = { relay: [], direct: [] };
try {
  for (let r = 0; r < ROUNDS; r++) {
    // Alternate which mode goes first, so drift on a shared machine falls on both.
    for (const mode of (r % 2 === 0 ? ['relay', 'direct'] : ['direct', 'relay']) as Mode[]) {
      const figures = await round(server, mode, r);
      results[mode].push(figures);
      console.log(
        `round ${r + 1}/${ROUNDS} ${mode}: p50 ${figures.p50Ms.toFixed(3)} ms, p99 ${figures.p99Ms.toFixed(3)} ms, ` +
          `gateway ${figures.gatewayCpuMicrosPerTrip.toFixed(1)} µs CPU and ${figures.relayedPerTrip.toFixed(2)} relayed messages per trip`,
      );
    }
  }
} finally {
  await server.stop();
  nodeDataChannel.cleanup();
}

const keys: Array<[keyof RoundFigures, string, number]> = [
  ['p50Ms', 'emitWithAck round trip, p50 (ms)', 3],
  ['p99Ms', 'emitWithAck round trip, p99 (ms)', 3],
  ['gatewayCpuMicrosPerTrip', 'gateway CPU per round trip (µs)', 1],
  ['relayedPerTrip', 'messages relayed by the gateway per round trip', 2],
];
const rows = keys.map(([key, label, digits]) => {
  const relay = median(results.relay.map((f) => f[key]));
  const direct = median(results.direct.map((f) => f[key]));
  const ratios = results.direct.map((f, i) => f[key] / results.relay[i]![key]);
  return `| ${label} | ${relay.toFixed(digits)} | ${direct.toFixed(digits)} | ${(direct / relay).toFixed(2)}x (${Math.min(...ratios).toFixed(2)}-${Math.max(...ratios).toFixed(2)}) |`;
});
const header = [
  `npm run bench:webrtc${short ? ' -- --short' : ''} · ${ROUNDS} round(s) of ${TRIPS} sequential emitWithAck round trips per mode (after ${WARMUP_TRIPS} warm-up), medians of the rounds · 64 B payload · loopback · ${cpus().length} cores ${cpus()[0]?.model ?? ''} · node ${process.version} · ${pinningEnabled() ? 'gateway pinned to its own core' : 'not pinned'}`,
  '',
  '| figure | relay (protocol 3) | direct data channel | direct/relay (range) |',
  '|---|--:|--:|--:|',
  ...rows,
].join('\n');
console.log(`\n${header}`);
const out = (name: string) => fileURLToPath(new URL(`../../../bench/results/${name}`, import.meta.url));
writeFileSync(out(short ? 'webrtc-short.md' : 'webrtc.md'), `${header}\n`);
writeFileSync(out(short ? 'webrtc-short.json' : 'webrtc.json'), `${JSON.stringify(results, null, 2)}\n`);
process.exit(0);
