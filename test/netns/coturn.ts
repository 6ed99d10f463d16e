// coturn for the suites that run in a loopback-only network namespace (see test/webrtc/netns.spec.ts).
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { join } from 'node:path';

export const SECRET = 'netns-turn-secret';
export const TURN_URL = 'turn:127.0.0.1:3478?transport=udp';

/** Everything coturn printed so far. */
const log = { text: '' };
export function coturnLog(): string {
  return log.text;
}

/** Resolves once something answers a STUN Binding Request on 127.0.0.1:`port` (coturn is listening). */
async function stunAnswers(port: number, timeoutMs: number): Promise<boolean> {
  const socket = createSocket('udp4');
  const request = Buffer.alloc(20);
  request.writeUInt16BE(0x0001, 0); // Binding Request, no attributes
  request.writeUInt32BE(0x2112a442, 4); // magic cookie
  randomBytes(12).copy(request, 8);
  const answered = new Promise<boolean>((resolve) => socket.once('message', () => resolve(true)));
  const deadline = Date.now() + timeoutMs;
  try {
    while (Date.now() < deadline) {
      socket.send(request, port, '127.0.0.1');
      const got = await Promise.race([answered, new Promise<boolean>((resolve) => setTimeout(() => resolve(false), 200))]);
      if (got) return true;
    }
    return false;
  } finally {
    socket.close();
  }
}

/** Starts coturn on 127.0.0.1:3478 with the TURN REST secret (files in `dir`); resolves once it answers STUN. */
export async function startCoturn(dir: string): Promise<ChildProcess> {
  const turn = spawn(
    'turnserver',
    [
      '-n',
      '--listening-ip=127.0.0.1',
      '--relay-ip=127.0.0.1',
      '--listening-port=3478',
      '--use-auth-secret',
      `--static-auth-secret=${SECRET}`,
      '--realm=test',
      `--userdb=${join(dir, 'turndb')}`,
      `--pidfile=${join(dir, 'turnserver.pid')}`,
      '--allow-loopback-peers',
      '--no-cli',
      '--no-tls',
      '--no-dtls',
      '--log-file=stdout',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  turn.stdout!.on('data', (chunk: Buffer) => (log.text += chunk.toString()));
  turn.stderr!.on('data', (chunk: Buffer) => (log.text += chunk.toString()));
  const exited = new Promise<boolean>((resolve) => turn.once('exit', () => resolve(false)));
  if (!(await Promise.race([stunAnswers(3478, 15_000), exited]))) {
    turn.kill('SIGKILL');
    throw new Error(`coturn did not answer on 127.0.0.1:3478:\n${log.text}`);
  }
  return turn;
}
