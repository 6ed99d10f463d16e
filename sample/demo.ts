import { deepStrictEqual } from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { P2pDisconnectReason, P2pEvent } from '../packages/client/src/index.js';
import { runClientA } from './client-a.js';
import { B_ACK_RESULT, B_REPLY, startClientB } from './client-b.js';
import { startSampleServer } from './main.js';
import { closeSampleClient, describeError, formatArgs } from './sample-client.js';

/** The whole demo must finish within this bound, or it fails. */
const DEMO_BOUND_MS = 15_000;

function print(who: string, line: string): void {
  console.log(`[${who}] ${line}`);
}

function fail(error: unknown): never {
  console.error(`\ndemo FAILED: ${describeError(error)}`);
  process.exit(1);
}

/** The original README's scenario: the gateway in-process, then B, then A pairing with B, relaying, unregistering. */
async function runDemo(): Promise<void> {
  const app = await startSampleServer(0, ['error']);
  const { port } = app.getHttpServer().address() as AddressInfo;
  const url = `http://127.0.0.1:${port}`;
  print('server', `sample gateway listening on ${url}`);

  const b = await startClientB(url, (line) => print('B', line));
  const bNotified = new Promise<unknown[]>((resolve) => b.socket.once(P2pEvent.DISCONNECT, (...args: unknown[]) => resolve(args)));
  try {
    const outcome = await runClientA(url, { log: (line) => print('A', line), unregisterAfterMs: 300 });
    deepStrictEqual(outcome.ackResult, [B_ACK_RESULT], 'A got the ack result B passed');
    deepStrictEqual(outcome.reply, [B_REPLY], "A got B's testAckFromTarget");
    deepStrictEqual(await bNotified, ['A', P2pDisconnectReason.UNREGISTERED], `B got ${P2pEvent.DISCONNECT}('A', 'UNREGISTERED')`);
  } finally {
    closeSampleClient(b);
    await app.close();
  }
  print('demo', `OK: paired, ack result ${formatArgs([B_ACK_RESULT])}, reply ${formatArgs([B_REPLY])}, B notified`);
}

setTimeout(() => fail(new Error(`not finished after ${DEMO_BOUND_MS / 1000} s`)), DEMO_BOUND_MS).unref();
runDemo().then(() => process.exit(0), fail);
