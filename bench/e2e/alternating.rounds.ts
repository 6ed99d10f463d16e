import { ServerProcess } from '../harness/server-process.js';

/** The middle value (the benchmarks run an odd number of rounds; of an even number, the upper middle one). */
export function median(values: number[]): number {
  return [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
}

/** Each figure's median over `rounds`. */
function medians<R extends { [K in keyof R]: number }>(rounds: R[]): R {
  const out = {} as R;
  for (const key of Object.keys(rounds[0]!) as (keyof R)[]) out[key] = median(rounds.map((r) => r[key])) as R[keyof R];
  return out;
}

/**
 * Runs `count` rounds without e2e and `count` with it, alternating (so the machine's changing load weighs on both
 * alike), against one gateway in a process of its own; gives each side's medians.
 */
export async function alternatingRounds<R extends { [K in keyof R]: number }>(
  count: number,
  round: (server: ServerProcess, id: string, e2e: boolean) => Promise<R>,
): Promise<{ plain: R; e2e: R }> {
  const server = new ServerProcess('gateway');
  await server.start();
  const plain: R[] = [];
  const sealed: R[] = [];
  try {
    for (let i = 0; i < count; i++) {
      plain.push(await round(server, `p${i}`, false));
      sealed.push(await round(server, `e${i}`, true));
    }
  } finally {
    await server.stop();
  }
  return { plain: medians(plain), e2e: medians(sealed) };
}
