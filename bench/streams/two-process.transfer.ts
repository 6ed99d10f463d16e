/**
 * The lifted relay against the bare one with the sender and the receiver each in a process of its own
 * (stream-peer.process.ts) and the server in a third, as in real use, where they are on different machines. In the
 * one-process comparison of stream-bench.ts both clients share one thread, which bounds the stream (docs/streams.md);
 * here each side pays only its own work. The same arrangement for both, so the ratio stays fair: alternating rounds, a
 * fresh server per transfer, the median round of each. Each receiver's digest is checked against the generated
 * source's (and the stream's receipt against it), and the CPU time per MiB of each process is reported.
 */
import { fork } from 'node:child_process';
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { nextMessage } from '../harness/child-message.js';
import { ServerProcess } from '../harness/server-process.js';
import { generated } from './bare-relay.transfer.js';

const MiB = 1024 * 1024;
const PEER = fileURLToPath(new URL('./stream-peer.process.js', import.meta.url));

/** Starts `server`, runs `run` against it, stops it. */
export async function withServer<T>(server: ServerProcess, run: (server: ServerProcess) => Promise<T>): Promise<T> {
  await server.start();
  try {
    return await run(server);
  } finally {
    await server.stop();
  }
}

export interface TwoProcessFigures {
  mibPerSec: number;
  senderCpuMsPerMiB: number;
  receiverCpuMsPerMiB: number;
  gatewayCpuMsPerMiB: number;
}

interface PeerMessage {
  type: string;
  cpuMicros: number;
  seconds: number;
  sha256?: string;
}

/** The digest of what the generated source yields: what each receiver must have read. */
async function expectedDigest(bytes: number, chunkBytes: number): Promise<string> {
  const hash = createHash('sha256');
  for await (const piece of generated(bytes, 2 * chunkBytes)) hash.update(piece);
  return hash.digest('hex');
}

async function transfer(server: ServerProcess, kind: 'stream' | 'bare', bytes: number, chunkBytes: number, expected: string) {
  const id = Math.random().toString(36).slice(2, 8);
  const args = (role: string, own: string, peer: string) => [server.url, role, kind, own, peer, String(bytes), String(chunkBytes)];
  const receiver = fork(PEER, args('receive', `b-${id}`, `a-${id}`));
  await nextMessage(receiver, 'ready');
  const sender = fork(PEER, args('send', `a-${id}`, `b-${id}`));
  try {
    await nextMessage(sender, 'ready');
    sender.send({ type: 'pair' });
    await nextMessage(sender, 'paired');
    receiver.send({ type: 'start' });
    await nextMessage(receiver, 'started');
    const received = nextMessage<PeerMessage>(receiver, 'done');
    const sent = nextMessage<PeerMessage>(sender, 'done');
    const gateway0 = (await server.stats(false)).cpuMicros;
    sender.send({ type: 'start' });
    const [from, to] = await Promise.all([sent, received]);
    const gateway1 = (await server.stats(false)).cpuMicros;
    if (to.sha256 !== expected || (kind === 'stream' && from.sha256 !== expected)) {
      throw new Error(`${kind}: digests differ (source ${expected}, receiver ${to.sha256}, receipt ${from.sha256})`);
    }
    const perMiB = (micros: number) => micros / 1000 / (bytes / MiB);
    return {
      mibPerSec: bytes / MiB / from.seconds,
      senderCpuMsPerMiB: perMiB(from.cpuMicros),
      receiverCpuMsPerMiB: perMiB(to.cpuMicros),
      gatewayCpuMsPerMiB: perMiB(gateway1 - gateway0),
    };
  } finally {
    for (const child of [sender, receiver]) {
      if (child.exitCode !== null) continue;
      child.send({ type: 'exit' });
      await once(child, 'exit');
    }
  }
}

const unpinned = { pinned: false } as const;
const cpuText = (f: TwoProcessFigures) =>
  `CPU ms/MiB sender ${f.senderCpuMsPerMiB.toFixed(1)}, receiver ${f.receiverCpuMsPerMiB.toFixed(1)}, gateway ${f.gatewayCpuMsPerMiB.toFixed(1)}`;

/**
 * `rounds` alternating rounds of the lifted relay (the stream) and the bare relay, each transfer in two processes:
 * the median round of each (by speed) and every round's speeds.
 */
export async function twoProcessAgainstBare(
  rounds: number,
  bytes: number,
  chunkBytes: number,
): Promise<{ stream: TwoProcessFigures; bare: TwoProcessFigures; rounds: number[][] }> {
  const expected = await expectedDigest(bytes, chunkBytes);
  const streams: TwoProcessFigures[] = [];
  const bares: TwoProcessFigures[] = [];
  for (let i = 0; i < rounds; i++) {
    streams.push(await withServer(new ServerProcess('gateway', unpinned), (s) => transfer(s, 'stream', bytes, chunkBytes, expected)));
    bares.push(await withServer(new ServerProcess('bare', unpinned), (s) => transfer(s, 'bare', bytes, chunkBytes, expected)));
    console.log(
      `two processes, round ${i + 1}: lifted relay ${streams[i]!.mibPerSec.toFixed(1)} MiB/s (${cpuText(streams[i]!)}), ` +
        `bare relay ${bares[i]!.mibPerSec.toFixed(1)} MiB/s (${cpuText(bares[i]!)})`,
    );
  }
  const median = (all: TwoProcessFigures[]) => [...all].sort((x, y) => x.mibPerSec - y.mibPerSec)[Math.floor(rounds / 2)]!;
  return { stream: median(streams), bare: median(bares), rounds: streams.map((s, i) => [s.mibPerSec, bares[i]!.mibPerSec]) };
}

/** The two rows of the results table (columns as stream-bench.ts's). */
export function twoProcessRows(stream: TwoProcessFigures, bare: TwoProcessFigures, bytes: number, rounds: number): string[][] {
  const cpu = (f: TwoProcessFigures) =>
    `CPU per MiB: sender ${f.senderCpuMsPerMiB.toFixed(1)} ms, receiver ${f.receiverCpuMsPerMiB.toFixed(1)} ms, gateway ${f.gatewayCpuMsPerMiB.toFixed(1)} ms`;
  const moved = `${bytes / MiB} MiB`;
  return [
    [
      `relay, limits lifted, sender and receiver in two processes (median of ${rounds} rounds)`,
      moved,
      stream.mibPerSec.toFixed(1),
      `${(stream.mibPerSec / bare.mibPerSec).toFixed(2)}× the bare relay in two processes; ${cpu(stream)}`,
      '-',
      '-',
    ],
    [
      `bare Socket.IO binary relay, sender and receiver in two processes (median of ${rounds} rounds)`,
      moved,
      bare.mibPerSec.toFixed(1),
      cpu(bare),
      '-',
      '-',
    ],
  ];
}
