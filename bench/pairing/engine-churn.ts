/**
 * The pairing engine on the in-memory store, without sockets: 64 pairs request, consent and unpair through
 * `PairingEngine` (the calls the handlers make) with a transport that only counts what it would send, beside the same
 * three store calls alone (reserve, confirm, unpair) in the same run. CPU per cycle of each, and their difference: what
 * the engine adds to its store per pair + unpair.
 *
 *   npm run build && node dist/bench/pairing/engine-churn.js [--cycles 200000] [--rounds 3]
 */
import { PairingEngine } from '../../packages/server/src/pairing/pairing.engine.js';
import { InMemoryPairingStore } from '../../packages/server/src/stores/in-memory-pairing.store.js';
import { resolveP2pOptions } from '../../packages/server/src/options/p2p-options.resolve.js';
import type { ClientTransport } from '../../packages/server/src/pairing/client-transport.interface.js';
import { numberOption } from '../harness/number.option.js';

const CYCLES = numberOption('cycles', 200_000);
const ROUNDS = numberOption('rounds', 3);
const LANES = 64;

async function connectAll(connect: (id: string) => Promise<unknown>): Promise<void> {
  for (let i = 0; i < LANES; i++) for (const id of [`s${i}`, `t${i}`]) await connect(id);
}

const record = (clientId: string) => ({
  clientId,
  connectionId: `c-${clientId}`,
  nodeId: 'bench',
  protocolVersion: 1,
  connectedAt: Date.now(),
  state: { kind: 'free' as const },
});

/** CPU µs per cycle of `cycle` run by LANES lanes, `total` cycles in all. */
async function cpuPerCycle(total: number, cycle: (lane: number, n: number) => Promise<void>): Promise<number> {
  const perLane = Math.ceil(total / LANES);
  const before = process.cpuUsage();
  await Promise.all(
    Array.from({ length: LANES }, async (_, lane) => {
      for (let n = 0; n < perLane; n++) await cycle(lane, n);
    }),
  );
  const used = process.cpuUsage(before);
  return (used.user + used.system) / (perLane * LANES);
}

async function engineRound(): Promise<number> {
  const store = new InMemoryPairingStore();
  const engine = new PairingEngine(store, resolveP2pOptions({}));
  let sent = 0;
  const transport: ClientTransport = { send: () => void sent++, setPeer: () => undefined, disconnect: () => undefined };
  engine.attachTransport(transport);
  await connectAll((id) => engine.connect(record(id)));
  const cycle = async (lane: number): Promise<void> => {
    const answered = new Promise<unknown>((resolve, reject) => {
      Promise.resolve(engine.requestPairing(`s${lane}`, `t${lane}`, (error) => resolve(error))).catch(reject);
    });
    // The target answers once asked (the request is open): a turn later, as a consent from the wire would.
    await new Promise((resolve) => setImmediate(resolve));
    const refused = await engine.answerRequest(`t${lane}`, true, `s${lane}`);
    if (refused || (await answered)) throw new Error('bench: the pairing was refused');
    if (!(await engine.unregister(`s${lane}`))) throw new Error('bench: unregister found no pairing');
  };
  await cpuPerCycle(CYCLES / 2, cycle);
  const cpu = await cpuPerCycle(CYCLES, cycle);
  engine.close();
  if (sent === 0) throw new Error('bench: nothing was sent');
  return cpu;
}

async function storeRound(): Promise<number> {
  const store = new InMemoryPairingStore();
  await connectAll((id) => store.registerClient(record(id), 'refuse'));
  const cycle = async (lane: number, n: number): Promise<void> => {
    const request = { requestId: `r${lane}-${n}`, sourceId: `s${lane}`, targetId: `t${lane}` };
    if (!(await store.reservePairing(request)).ok) throw new Error('bench: reserve refused');
    await new Promise((resolve) => setImmediate(resolve));
    if (!(await store.confirmPairing(request)).ok) throw new Error('bench: confirm refused');
    if (!(await store.unpair(`s${lane}`))) throw new Error('bench: unpair found no pairing');
  };
  await cpuPerCycle(CYCLES / 2, cycle);
  return cpuPerCycle(CYCLES, cycle);
}

const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
const engine: number[] = [];
const store: number[] = [];
for (let round = 0; round < ROUNDS; round++) {
  // Alternately first, like the main benchmark's servers.
  if (round % 2 === 0) {
    engine.push(await engineRound());
    store.push(await storeRound());
  } else {
    store.push(await storeRound());
    engine.push(await engineRound());
  }
}
const [e, s] = [median(engine), median(store)];
console.log(`pair + unpair, ${LANES} lanes, ${CYCLES} cycles x ${ROUNDS} rounds (median CPU per cycle, this process):`);
console.log(`  store calls alone (with a turn of the event loop between)  ${s.toFixed(2)} us`);
console.log(`  PairingEngine on that store                                  ${e.toFixed(2)} us  (engine adds ${(e - s).toFixed(2)} us)`);
