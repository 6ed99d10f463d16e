import { pathToFileURL } from 'node:url';
import { io } from 'socket.io-client';
import { P2pClient, P2pError } from '../packages/client/src/index.js';

/** Where the sample clients connect when run on their own (override with SERVER_URL). */
export const DEFAULT_SERVER_URL = 'http://localhost:9000';

export type Log = (line: string) => void;

/** A P2pClient over a socket to `url` that is not connected yet, so listeners can be added first. */
export function createSampleClient(url: string, clientId: string): P2pClient {
  return new P2pClient(io(url, { autoConnect: false, reconnection: false }), { clientId });
}

/** Connects the client's socket; rejects with the gateway's refusal (a P2pError) or the network failure. */
export function connectSampleClient(client: P2pClient): Promise<void> {
  const { socket } = client;
  return new Promise((resolve, reject) => {
    socket.once('connect', () => resolve());
    socket.once('connect_error', (err: Error & { data?: unknown }) =>
      reject(err.data ? P2pError.fromPayload(err.data) : new Error(`cannot reach the gateway: ${err.message}`)),
    );
    socket.connect();
  });
}

/** Stops the client and closes its socket. */
export function closeSampleClient(client: P2pClient): void {
  client.dispose();
  client.socket.disconnect();
}

/** `{"a":1}, "b", 2` for `[{a: 1}, 'b', 2]`. */
export function formatArgs(args: unknown[]): string {
  return args.map((arg) => JSON.stringify(arg)).join(', ');
}

/** `CODE: message` for a P2pError, the message for other errors. */
export function describeError(error: unknown): string {
  if (error instanceof P2pError) return `${error.code}: ${error.message}`;
  return error instanceof Error ? error.message : String(error);
}

/** True when `moduleUrl` (pass `import.meta.url`) is the script node was started with. */
export function isMainModule(moduleUrl: string): boolean {
  const script = process.argv[1];
  return script !== undefined && moduleUrl === pathToFileURL(script).href;
}
