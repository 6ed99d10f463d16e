import { P2pEvent, type P2pClient } from '../packages/client/src/index.js';
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

/** What B passes to the callback of an acknowledged 'testAck'. */
export const B_ACK_RESULT = { ok: true, from: 'B' };

/** What B sends back with 'testAckFromTarget', as in the original README. */
export const B_REPLY = { abc: 'test' };

type Ack = (...results: unknown[]) => void;

/**
 * Client B of the original README: connects as "B", accepts the pairing request, and answers every 'testAck' from
 * its peer with a 'testAckFromTarget' relayed back, acknowledging the 'testAck' when it carries a callback.
 */
export async function startClientB(url: string, log: Log = (line) => console.log(`[B] ${line}`)): Promise<P2pClient> {
  const client = createSampleClient(url, 'B');
  client.on('request', (sourceId) => log(`pairing request from ${sourceId}: accepting`));
  client.on('paired', (peerId) => log(`paired with ${peerId}`));
  client.on('error', (error) => log(`error ${describeError(error)}`));
  client.socket.on(P2pEvent.DISCONNECT, (peerId: string, reason: string) =>
    log(`${P2pEvent.DISCONNECT}(${formatArgs([peerId, reason])}): the pairing ended`),
  );
  client.socket.on('testAck', (...args: unknown[]) => {
    const ack = typeof args.at(-1) === 'function' ? (args.pop() as Ack) : undefined;
    log(`testAck received: ${formatArgs(args)}`);
    client.emit2('testAckFromTarget', B_REPLY);
    log(`emit2('testAckFromTarget', ${formatArgs([B_REPLY])}) to ${client.peerId}`);
    if (ack) {
      ack(B_ACK_RESULT);
      log(`acknowledged testAck with ${formatArgs([B_ACK_RESULT])}`);
    }
  });
  await connectSampleClient(client);
  log('connected as "B", waiting for a pairing request');
  return client;
}

if (isMainModule(import.meta.url)) {
  const url = process.env.SERVER_URL ?? DEFAULT_SERVER_URL;
  try {
    const client = await startClientB(url);
    process.once('SIGINT', () => closeSampleClient(client));
    process.once('SIGTERM', () => closeSampleClient(client));
  } catch (error) {
    console.error(`[B] failed: ${describeError(error)}`);
    process.exitCode = 1;
  }
}
