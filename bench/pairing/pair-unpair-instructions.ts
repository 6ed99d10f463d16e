/**
 * Pair + unpair on open sockets, counted in instructions rather than time: each server (the bare relay, then the
 * gateway) runs under `valgrind --tool=callgrind`, 64 open pairs do `--warm` cycles, the counters are zeroed, the pairs
 * do `--cycles` more, and the counters are dumped. Instructions per cycle count every thread of the server (its JS, GC
 * and compiler threads) and leave out the kernel's share (the socket system calls). They are steadier than CPU time
 * but not fixed: how many packets each read brings depends on how fast the load side answers, so a busy machine
 * raises both servers' counts (196k to 254k per cycle for the bare relay in runs here); compare the two servers of one
 * run, on a machine as quiet as can be had. The main thread (the event loop: the JS of the server, Socket.IO included)
 * is counted apart from the others (V8's compiler and GC helper threads, whose share under valgrind moves with when the
 * JIT compiles): the main thread's count is the steadier of the two.
 *
 *   npm run build && node dist/bench/pairing/pair-unpair-instructions.js [--cycles 2000] [--warm 2000]
 *
 * Needs valgrind (callgrind_control) on the PATH; a few minutes on 2 cores.
 */
import { execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { closePairs, openPairs, requestPairing, unregister } from '../load/clients.js';
import { numberOption } from '../harness/number.option.js';

const CYCLES = numberOption('cycles', 2000);
const WARM = numberOption('warm', 2000);
const LANES = 64;
const SCRIPTS = { bare: '../bare-relay.js', gateway: '../gateway-server.js' } as const;

async function cycles(pairs: Awaited<ReturnType<typeof openPairs>>, total: number): Promise<void> {
  let left = total;
  await Promise.all(
    pairs.map(async (pair) => {
      while (left-- > 0) {
        await requestPairing(pair.source, pair.targetId);
        await unregister(pair.source);
      }
    }),
  );
}

async function count(kind: keyof typeof SCRIPTS, port: number): Promise<{ main: number; others: number }> {
  const dir = mkdtempSync(join(tmpdir(), `p2p-callgrind-${kind}-`));
  const script = fileURLToPath(new URL(SCRIPTS[kind], import.meta.url));
  const server = spawn(
    'valgrind',
    ['--tool=callgrind', '--separate-threads=yes', `--callgrind-out-file=${join(dir, 'cg.out')}`, process.execPath, script],
    {
      env: { ...process.env, PORT: String(port) },
      stdio: ['ignore', 'pipe', 'ignore'],
    },
  );
  try {
    let output = '';
    server.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    while (!output.includes('ready')) await once(server.stdout, 'data');
    const pairs = await openPairs(`http://127.0.0.1:${port}`, LANES, `cg-${kind}`);
    await Promise.all(pairs.map((pair) => unregister(pair.source)));
    await cycles(pairs, WARM);
    execFileSync('callgrind_control', ['-z', String(server.pid)]);
    await cycles(pairs, CYCLES);
    execFileSync('callgrind_control', ['-d', String(server.pid)]);
    closePairs(pairs);
  } finally {
    server.kill('SIGINT');
    await once(server, 'exit');
  }
  // callgrind_control -d writes the counts since the zeroing to `cg.out.1-NN`, one file per thread (01: the main one).
  const counts = { main: 0, others: 0 };
  for (const file of readdirSync(dir).filter((name) => name.startsWith('cg.out.1-'))) {
    const summary = /^summary: (\d+)/m.exec(readFileSync(join(dir, file), 'utf8'));
    if (!summary) throw new Error(`no callgrind summary in ${join(dir, file)}`);
    counts[file === 'cg.out.1-01' ? 'main' : 'others'] += Number(summary[1]) / CYCLES;
  }
  if (counts.main === 0) throw new Error(`no main-thread dump in ${dir}`);
  return counts;
}

const bare = await count('bare', 39_401);
const gateway = await count('gateway', 39_402);
console.log(`pair + unpair, ${LANES} open pairs, ${CYCLES} cycles after ${WARM} to warm up (callgrind, instructions per cycle):`);
const row = (name: string, n: { main: number; others: number }) =>
  `  ${name.padEnd(11)} ${Math.round(n.main + n.others).toLocaleString('en')}  (main thread ${Math.round(n.main).toLocaleString('en')}, other threads ${Math.round(n.others).toLocaleString('en')})`;
console.log(row('bare relay', bare));
console.log(row('gateway', gateway));
console.log(
  `  bare/gateway ${((bare.main + bare.others) / (gateway.main + gateway.others)).toFixed(2)}x, main thread ${(bare.main / gateway.main).toFixed(2)}x`,
);
