/**
 * The cluster benchmark's load generator: `node cluster-load.js <sourceUrl> <targetUrl> '<relay or ack spec JSON>'`
 * (bench/workloads.ts); prints the result as one JSON line. cluster-relay.ts starts it once per measurement.
 */
import type { WorkloadResult, WorkloadSpec } from '../workloads.js';
import { runAckAcross, runRelayAcross } from './cluster-workloads.js';

function run(sourceUrl: string, targetUrl: string, spec: WorkloadSpec): Promise<WorkloadResult> {
  if (spec.kind === 'relay') return runRelayAcross(sourceUrl, targetUrl, spec);
  if (spec.kind === 'ack') return runAckAcross(sourceUrl, targetUrl, spec);
  throw new Error(`cluster-load runs relay and ack workloads only, not ${spec.kind}`);
}

const [sourceUrl, targetUrl, specJson] = process.argv.slice(2);
if (!sourceUrl || !targetUrl || !specJson) {
  console.error("usage: node dist/bench/extra/cluster-load.js <sourceUrl> <targetUrl> '<workload spec JSON>'");
  process.exit(2);
}
try {
  console.log(JSON.stringify(await run(sourceUrl, targetUrl, JSON.parse(specJson) as WorkloadSpec)));
  process.exit(0);
} catch (error) {
  console.log(JSON.stringify({ error: error instanceof Error ? error.message : String(error) }));
  process.exit(1);
}
