/**
 * What the metrics add to each relay, in isolation: the relay handler's one call into the meter
 * (`conn.gateway.metrics?.relayed(conn, bytes)`), with the meter on and off, over 100 paired senders. Prints CPU
 * nanoseconds per relay; compare with the gateway's server CPU per relay in bench/results (tens of microseconds).
 *   npm run build && node dist/bench/meter-cost.js
 * The cost figure itself, relay throughput with metrics on against off, comes from `npm run bench`.
 */
import { GatewayMeter } from '../packages/server/src/metrics/gateway.meter.js';

const CALLS = 10_000_000;
const senders = Array.from({ length: 100 }, (_, i) => ({ clientId: `c${i}`, peer: { clientId: `p${i}`, connectionId: `s${i}` } }));
const on = { metrics: new GatewayMeter(100_000) as GatewayMeter | undefined };
const off = { metrics: undefined as GatewayMeter | undefined };

function relay(gateway: { metrics?: GatewayMeter }, calls: number): void {
  for (let i = 0; i < calls; i++) gateway.metrics?.relayed(senders[i % senders.length]!, 80);
}

for (const gateway of [on, off, on, off]) relay(gateway, CALLS / 10);
const results: Record<string, number[]> = { on: [], off: [] };
for (let round = 0; round < 5; round++) {
  for (const [name, gateway] of [
    ['on', on],
    ['off', off],
  ] as const) {
    const started = process.cpuUsage();
    relay(gateway, CALLS);
    const used = process.cpuUsage(started);
    results[name]!.push(((used.user + used.system) * 1000) / CALLS);
  }
}
const median = (values: number[]) => values.sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
console.log(`meter on:  ${median(results.on!).toFixed(1)} ns of CPU per relay (median of 5 x ${CALLS.toLocaleString('en-US')})`);
console.log(`meter off: ${median(results.off!).toFixed(1)} ns of CPU per relay`);
