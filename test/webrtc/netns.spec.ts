import { spawn, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from '@jest/globals';
import { CHROMIUM_PATH } from '../support/chromium.js';

const root = fileURLToPath(new URL('../..', import.meta.url));

/**
 * The suites under test/netns need a network of their own: a namespace holding only `lo` (`unshare -rn`, as root,
 * which CI is), where coturn, the gateway and the peers run with nothing but loopback to talk to. Jest runs them there
 * as a process of its own; this spec passes when that run does: coturn with TURN REST credentials (turn.netns.ts),
 * and two Chromium pages opening a data channel through the gateway's signalling (chromium.netns.ts). Needs Debian's
 * `coturn` (`turnserver`; `.ci/run` installs it), `chromium`, and `unshare`/`ip`: without them it fails, like the Redis
 * and Chromium suites, rather than skip.
 */
describe('suites in a network namespace (loopback only)', () => {
  it('runs test/netns/*.netns.ts under unshare -rn and they pass', async () => {
    for (const tool of ['turnserver', 'unshare', 'ip', CHROMIUM_PATH]) {
      const found = spawnSync('sh', ['-c', `command -v ${tool}`]).status === 0;
      if (!found) throw new Error(`${tool} is missing: apt-get install -y coturn chromium util-linux iproute2 (see docs/webrtc.md)`);
    }
    const jest = `${root}node_modules/jest/bin/jest.js`;
    const script = `ip link set lo up && exec node ${JSON.stringify(jest)} --ci --runInBand --testMatch '<rootDir>/test/netns/**/*.netns.ts'`;
    const child = spawn('unshare', ['-rn', 'sh', '-c', script], {
      cwd: root,
      env: { ...process.env, NODE_OPTIONS: '--experimental-vm-modules' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    if (code !== 0) throw new Error(`the namespace suites failed (exit ${code}):\n${output}`);
    expect(output).toMatch(/Tests:\s+\d+ passed, \d+ total/);
    expect(output).not.toMatch(/Tests:.*(failed|skipped)/);
  }, 420_000);
});
