/**
 * Many connected clients: `clients` connections opened `concurrency` at a time, then every client paired (half of
 * them ask, the other half consent: clients/2 pairings), one relay per pairing to prove each holds, and the server's
 * memory per client after GC against its own baseline.
 */
import type { Socket } from 'socket.io-client';
import type { ClientsResult, ClientsSpec } from '../workloads.js';
import { consentToPairing, forEachLimited, openClient, openPairs, requestPairing, whenConnected } from './clients.js';
import { sleep, until } from './latency.js';
import { probeServer, progress } from './parent.js';

const DELIVERY_TIMEOUT_MS = 15_000;
const PROGRESS_EVERY = 1000;
const WARM_UP_PAIRS = 50;

/** Connects, pairs and relays a little first, so code the server compiles on first use is not counted per client. */
async function warmUp(url: string, prefix: string): Promise<void> {
  const pairs = await openPairs(url, WARM_UP_PAIRS, prefix);
  for (const pair of pairs) {
    pair.source.disconnect();
    pair.target.disconnect();
  }
  const deadline = performance.now() + DELIVERY_TIMEOUT_MS;
  while (performance.now() < deadline && ((await probeServer(false))?.openSockets ?? 0) > 0) await sleep(50);
}

export async function runClients(url: string, spec: ClientsSpec): Promise<ClientsResult> {
  const prefix = `cl${process.pid}`;
  await warmUp(url, `${prefix}-warm`);
  const baseline = await probeServer(true);
  const sockets: Socket[] = [];
  let errors = 0;
  let delivered = 0;
  let unexpectedDisconnects = 0;

  const connectStart = performance.now();
  await forEachLimited(
    Array.from({ length: spec.clients }, (_, i) => i),
    spec.concurrency,
    async (i) => {
      const socket = openClient(url, `${prefix}-${i}`);
      sockets[i] = socket;
      if (i % 2 === 1) consentToPairing(socket);
      socket.on('m', () => delivered++);
      try {
        await whenConnected(socket);
        socket.on('disconnect', () => unexpectedDisconnects++);
      } catch {
        errors++;
      }
      if ((i + 1) % PROGRESS_EVERY === 0) progress(`connected ${i + 1}/${spec.clients}`);
    },
  );
  const connectSec = (performance.now() - connectStart) / 1000;

  const pairings = Math.floor(spec.clients / 2);
  const pairStart = performance.now();
  await forEachLimited(
    Array.from({ length: pairings }, (_, p) => p),
    spec.concurrency,
    async (p) => {
      try {
        await requestPairing(sockets[2 * p]!, `${prefix}-${2 * p + 1}`);
      } catch {
        errors++;
      }
      if ((p + 1) % PROGRESS_EVERY === 0) progress(`paired ${p + 1}/${pairings}`);
    },
  );
  const pairSec = (performance.now() - pairStart) / 1000;

  for (let p = 0; p < pairings; p++) {
    sockets[2 * p]!.emit('P2P_EMIT', { targetClientId: `${prefix}-${2 * p + 1}`, event: 'm', args: ['held'] });
  }
  if (!(await until(() => delivered === pairings, DELIVERY_TIMEOUT_MS))) errors += pairings - delivered;

  const loaded = await probeServer(true);
  const perClientKb = (key: 'rssBytes' | 'heapUsedBytes') =>
    baseline && loaded ? (loaded[key] - baseline[key]) / spec.clients / 1024 : null;
  return {
    kind: 'clients',
    clients: spec.clients,
    pairings,
    connectSec,
    pairSec,
    rssPerClientKb: perClientKb('rssBytes'),
    heapPerClientKb: perClientKb('heapUsedBytes'),
    errors: errors + unexpectedDisconnects,
  };
}
