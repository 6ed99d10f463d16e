/**
 * One side of a transfer of `npm run bench:stream` in a process of its own (two-process.transfer.ts), as in real use,
 * where the sender and the receiver are on different machines: each pays only its own side's work. Over IPC: `ready`
 * once connected; the sender pairs on `pair` (answers `paired`); on `start` each takes its CPU time (the receiver answers
 * `started`) and the sender starts moving; each reports `done` with its CPU time (the sender with its seconds and the
 * receipt's digest, the receiver with the digest of what it read); `exit` ends it.
 * Arguments: gateway URL, `send` or `receive`, `stream` (P2pClient.sendStream through the gateway) or `bare` (raw
 * binary chunks through the bare relay), own clientId, the peer's clientId, bytes, chunk bytes. The stream's window
 * follows `BENCH_STREAM_WINDOW` as in stream-bench.ts.
 */
import type { Socket } from 'socket.io-client';
import type { P2pClient } from '../../packages/client/src/index.js';
import { bareReceive, barePair, bareSend, connectClient, generated, openBare, receiveStream } from './bare-relay.transfer.js';

const [url, role, kind, ownId, peerId, bytesText, chunkText] = process.argv.slice(2) as string[] & { length: 7 };
const bytes = Number(bytesText);
const chunkBytes = Number(chunkText);
const send = (message: object) => process.send!(message);
const cpuMicros = (from: NodeJS.CpuUsage) => {
  const cpu = process.cpuUsage(from);
  return cpu.user + cpu.system;
};

const windowOption = process.env.BENCH_STREAM_WINDOW;
const streams = { streams: { chunkBytes, ...(windowOption ? { windowBytes: Number(windowOption) } : {}) } };
const client: P2pClient<Socket> | undefined = kind === 'stream' ? await connectClient(url!, ownId!, streams) : undefined;
const socket: Socket = client?.socket ?? (await openBare(url!, ownId!));
let cpu0 = process.cpuUsage();

if (role === 'receive') {
  // Listening before `ready`: the sender pairs and sends only after it.
  const received = client ? receiveStream(client) : bareReceive(socket, peerId!, bytes, chunkBytes);
  void received.then((sha256) => send({ type: 'done', sha256, cpuMicros: cpuMicros(cpu0) }));
}

async function sendAll(): Promise<void> {
  cpu0 = process.cpuUsage();
  const t0 = performance.now();
  let sha256: string | undefined;
  if (client) {
    const receipt = await client.sendStream(generated(bytes, 2 * chunkBytes), { size: bytes });
    if (receipt.bytes !== bytes) throw new Error(`the receipt counts ${receipt.bytes} bytes, not ${bytes}`);
    sha256 = receipt.sha256;
  } else {
    await bareSend(socket, peerId!, bytes, chunkBytes);
  }
  send({ type: 'done', seconds: (performance.now() - t0) / 1000, cpuMicros: cpuMicros(cpu0), sha256 });
}

process.on('message', (message: { type?: string }) => {
  if (message.type === 'pair') {
    void (client ? client.pair(peerId!) : barePair(socket, peerId!)).then(() => send({ type: 'paired' }));
  } else if (message.type === 'start' && role === 'receive') {
    cpu0 = process.cpuUsage();
    send({ type: 'started' });
  } else if (message.type === 'start') {
    sendAll().catch((error: unknown) => {
      console.error(error);
      process.exit(1);
    });
  } else if (message.type === 'exit') {
    socket.disconnect();
    client?.dispose();
    process.exit(0);
  }
});
send({ type: 'ready' });
