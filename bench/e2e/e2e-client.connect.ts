import { type Socket, io } from 'socket.io-client';
import { P2pClient } from '../../packages/client/src/index.js';

/** `P2pClient` itself, or the same class from another build (bench:e2e-first's `--against`). */
export type P2pClientClass = typeof P2pClient;

/** A fresh `P2pClient` (`e2e` on or off) on its own socket to `url`, once connected. */
export async function connectE2eClient(
  url: string,
  clientId: string,
  e2e: boolean,
  Kind: P2pClientClass = P2pClient,
): Promise<P2pClient<Socket>> {
  const socket = io(url, { transports: ['websocket'], forceNew: true, reconnection: false, autoConnect: false });
  const client = new Kind(socket, { clientId, e2e });
  socket.connect();
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', () => resolve());
    socket.once('connect_error', reject);
  });
  return client;
}
