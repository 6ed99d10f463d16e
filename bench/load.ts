/**
 * The load generator: drives one server with one workload and prints the result as one JSON line.
 * `node dist/bench/load.js <url> '<workload spec JSON>'` (see workloads.ts); run.ts starts it once per measurement.
 */
import { runAck } from './load/ack.workload.js';
import { runClients } from './load/clients.workload.js';
import { runHandshakes } from './load/handshake.workload.js';
import { runRelay } from './load/relay.workload.js';
import type { WorkloadResult, WorkloadSpec } from './workloads.js';

function run(url: string, spec: WorkloadSpec): Promise<WorkloadResult> {
  switch (spec.kind) {
    case 'relay':
      return runRelay(url, spec);
    case 'ack':
      return runAck(url, spec);
    case 'handshakes':
      return runHandshakes(url, spec);
    case 'clients':
      return runClients(url, spec);
  }
}

const [url, specJson] = process.argv.slice(2);
if (!url || !specJson) {
  console.error("usage: node dist/bench/load.js <url> '<workload spec JSON>'");
  process.exit(2);
}
try {
  console.log(JSON.stringify(await run(url, JSON.parse(specJson) as WorkloadSpec)));
  process.exit(0);
} catch (error) {
  console.log(JSON.stringify({ error: error instanceof Error ? error.message : String(error) }));
  process.exit(1);
}
