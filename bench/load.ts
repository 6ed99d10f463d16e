/**
 * The load generator: drives one server with one workload and prints the result as one JSON line.
 * `node dist/bench/load.js <url> '<workload spec JSON>' [<targetUrl>]` (see workloads.ts); run.ts starts it once per
 * measurement. With a target URL (relay and ack only), each pair's source connects to <url> and its target to
 * <targetUrl>: cluster-relay.ts measures relays between two gateway nodes so.
 */
import { runAck } from './load/ack.workload.js';
import { runClients } from './load/clients.workload.js';
import { runHandshakes } from './load/handshake.workload.js';
import { runRelay } from './load/relay.workload.js';
import type { WorkloadResult, WorkloadSpec } from './workloads.js';

function run(url: string, spec: WorkloadSpec, targetUrl?: string): Promise<WorkloadResult> {
  const urls = targetUrl ? { source: url, target: targetUrl } : url;
  switch (spec.kind) {
    case 'relay':
      return runRelay(urls, spec);
    case 'ack':
      return runAck(urls, spec);
    case 'handshakes':
    case 'clients':
      if (targetUrl) throw new Error(`a target URL is for the relay and ack workloads, not ${spec.kind}`);
      return spec.kind === 'handshakes' ? runHandshakes(url, spec) : runClients(url, spec);
  }
}

const [url, specJson, targetUrl] = process.argv.slice(2);
if (!url || !specJson) {
  console.error("usage: node dist/bench/load.js <url> '<workload spec JSON>' [<targetUrl>]");
  process.exit(2);
}
try {
  console.log(JSON.stringify(await run(url, JSON.parse(specJson) as WorkloadSpec, targetUrl)));
  process.exit(0);
} catch (error) {
  console.log(JSON.stringify({ error: error instanceof Error ? error.message : String(error) }));
  process.exit(1);
}
