/**
 * The soak's load generator: `node soak-load.js <url> '<SoakSpec JSON>'`. `slots` sessions run at once, each slot
 * starting a new one (new clientIds) as the last ends, until `durationMs` is over; then every client has left. Sends
 * its counters to the orchestrator every 2 s; prints the final ones as one JSON line.
 */
import { sleep } from '../load/latency.js';
import { runSession } from './soak-session.js';
import { type SoakCounters, type SoakLoadMessage, type SoakSpec, emptyCounters } from './soak-types.js';

const REPORT_EVERY_MS = 2_000;
const MAX_ERROR_SAMPLES = 20;

async function soak(url: string, spec: SoakSpec): Promise<SoakCounters> {
  const counters = emptyCounters();
  const note = (what: string) => {
    counters.errors++;
    if (counters.errorSamples.length < MAX_ERROR_SAMPLES) counters.errorSamples.push(what);
  };
  const report = () => process.send?.({ type: 'counters', counters } satisfies SoakLoadMessage);
  const reporter = setInterval(report, REPORT_EVERY_MS);
  const deadline = performance.now() + spec.durationMs;
  // Slots start spread over the first seconds, so connections do not all come at once.
  const stagger = Math.min(100, spec.durationMs / 10 / spec.slots);
  await Promise.all(
    Array.from({ length: spec.slots }, async (_, slot) => {
      await sleep(slot * stagger);
      for (let n = 0; performance.now() < deadline; n++) await runSession(url, `soak${process.pid}-${slot}-${n}`, spec, counters, note);
    }),
  );
  clearInterval(reporter);
  // Let the last disconnect packets go out before the process exits.
  await sleep(500);
  report();
  return counters;
}

const [url, specJson] = process.argv.slice(2);
if (!url || !specJson) {
  console.error("usage: node dist/bench/soak/soak-load.js <url> '<SoakSpec JSON>'");
  process.exit(2);
}
try {
  console.log(JSON.stringify(await soak(url, JSON.parse(specJson) as SoakSpec)));
  process.exit(0);
} catch (error) {
  console.log(JSON.stringify({ error: error instanceof Error ? error.message : String(error) }));
  process.exit(1);
}
