/**
 * The receiving client of `npm run bench:e2e-two` (e2e-two-process.ts) in a process of its own, as in real use: it
 * connects as `clientId` (with or without `e2e`), answers each `probe` with `answer` (reporting `first` with the time it
 * took the first one, on the machine's clock: `performance.timeOrigin + performance.now()`), and counts the `m` messages from
 * the moment the orchestrator says `start` (IPC), reporting `done` with its CPU time once `count` have arrived.
 * Arguments: gateway URL, clientId, `1` for e2e, count.
 */
import { io } from 'socket.io-client';
import { P2pClient } from '../../packages/client/src/index.js';

const [url, clientId, e2e, countText] = process.argv.slice(2);
const count = Number(countText);
const send = (message: object) => process.send!(message);

const socket = io(url!, { transports: ['websocket'], forceNew: true, reconnection: false, autoConnect: false });
const client = new P2pClient(socket, { clientId: clientId!, e2e: e2e === '1' });
let delivered = 0;
let cpu0 = process.cpuUsage();
socket.on('probe', (n: number) => {
  if (n === -1) send({ type: 'first', at: performance.timeOrigin + performance.now() });
  client.emit('answer', n);
});
socket.on('m', () => {
  if (++delivered !== count) return;
  const cpu = process.cpuUsage(cpu0);
  send({ type: 'done', cpuMicros: cpu.user + cpu.system });
});
process.on('message', (message: { type?: string }) => {
  if (message.type === 'start') {
    delivered = 0;
    cpu0 = process.cpuUsage();
    send({ type: 'started' });
  } else if (message.type === 'exit') {
    socket.disconnect();
    process.exit(0);
  }
});
socket.once('connect', () => send({ type: 'ready' }));
socket.once('connect_error', (error) => {
  console.error(error);
  process.exit(1);
});
socket.connect();
