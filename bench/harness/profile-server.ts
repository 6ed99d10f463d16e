/**
 * `--profile [--server bare|gateway]`: runs the server (the gateway by default) under `node --cpu-prof`, a fresh
 * process for each of the relay, relay-with-ack and handshake workloads (or those named in `--only`), and prints where
 * its time went.
 */
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type ProfileWindow, formatProfile, summariseProfile } from '../report/cpu-profile.js';
import { runLoad } from './load-process.js';
import { FULL_PLAN, SHORT_PLAN } from './plan.js';
import { Progress } from './progress.js';
import { type ServerKind, ServerProcess } from './server-process.js';

const PROFILED = ['relay64', 'ack', 'handshakes'];

export async function profileServer(kind: ServerKind, short: boolean, only?: string[]): Promise<number> {
  const names = only ?? PROFILED;
  const measurements = (short ? SHORT_PLAN : FULL_PLAN).measurements.filter((m) => names.includes(m.name));
  const progress = new Progress(measurements.length);
  for (const m of measurements) {
    const dir = mkdtempSync(join(tmpdir(), `p2p-${kind}-profile-`));
    const server = new ServerProcess(kind, { nodeFlags: ['--cpu-prof', `--cpu-prof-dir=${dir}`] });
    progress.step++;
    progress.log(`profiling the ${kind} server: ${m.title}`);
    await server.start();
    let window: ProfileWindow;
    try {
      const before = await server.stats(false);
      const result = await runLoad(server, m.spec, (text) => progress.log(`${m.title}: ${text}`));
      const after = await server.stats(false);
      window = { fromMicros: before.clockMicros, toMicros: after.clockMicros };
      console.log(`\n=== ${kind} server, ${m.title}: the workload only, start-up left out ===`);
      console.log(`load result while profiled: ${JSON.stringify(result)}\n`);
    } finally {
      await server.stop();
    }
    const file = readdirSync(dir).find((name) => name.endsWith('.cpuprofile'));
    if (!file) {
      console.error(`no profile was written to ${dir}`);
      return 1;
    }
    console.log(formatProfile(summariseProfile(join(dir, file), window)));
    console.log(`\nprofile file: ${join(dir, file)} (Chrome DevTools > Performance can open it)`);
  }
  return 0;
}
