import {
  DEFAULT_SERVER_URL,
  type Log,
  closeSampleClient,
  connectSampleClient,
  createSampleClient,
  describeError,
  formatArgs,
  isMainModule,
} from './sample-client.js';

export interface ClientAOptions {
  log?: Log;
  /** How long A stays paired after B's reply before it unregisters (the original README waited 5 s). */
  unregisterAfterMs?: number;
}

export interface ClientAOutcome {
  /** What B passed to the callback of 'testAck'. */
  ackResult: unknown[];
  /** The arguments of B's 'testAckFromTarget'. */
  reply: unknown[];
}

/**
 * Client A of the original README: connects as "A", pairs with B, sends 'testAck' with an ack, waits for B's
 * 'testAckFromTarget', then unregisters and closes. Rejects with the first failure (a P2pError when it has a code).
 */
export async function runClientA(url: string, options: ClientAOptions = {}): Promise<ClientAOutcome> {
  const { log = (line) => console.log(`[A] ${line}`), unregisterAfterMs = 1000 } = options;
  const client = createSampleClient(url, 'A');
  // emit2 reports failures on the client's 'error' event: any of them ends the run.
  const failure = new Promise<never>((_, reject) => client.on('error', reject));
  failure.catch(() => undefined);
  const reply = new Promise<unknown[]>((resolve) =>
    client.socket.on('testAckFromTarget', (...args: unknown[]) => {
      log(`testAckFromTarget received: ${formatArgs(args)}`);
      resolve(args);
    }),
  );
  try {
    await connectSampleClient(client);
    log('connected as "A"');
    log('pairing with B');
    await client.pair('B');
    log(`paired with ${client.peerId}`);

    log(`emit2('testAck', {"a":1}, "b", 2, {"c":3}, ack)`);
    const acknowledged = new Promise<unknown[]>((resolve) =>
      client.emit2('testAck', { a: 1 }, 'b', 2, { c: 3 }, (...results: unknown[]) => resolve(results)),
    );
    const ackResult = await Promise.race([acknowledged, failure]);
    log(`ack result: ${formatArgs(ackResult)}`);
    const replyArgs = await Promise.race([reply, failure]);

    await new Promise((resolve) => setTimeout(resolve, unregisterAfterMs));
    log('unregistering');
    await client.unpair();
    log('unregistered');
    return { ackResult, reply: replyArgs };
  } finally {
    closeSampleClient(client);
  }
}

if (isMainModule(import.meta.url)) {
  const url = process.env.SERVER_URL ?? DEFAULT_SERVER_URL;
  try {
    await runClientA(url);
  } catch (error) {
    console.error(`[A] failed: ${describeError(error)}`);
    process.exitCode = 1;
  }
}
