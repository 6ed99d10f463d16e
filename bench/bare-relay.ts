/**
 * The least a Socket.IO 4.8 server can do to relay between two clients, speaking the gateway's wire protocol so the
 * same load generator drives both: clientId -> socket map, pairing on request with no checks, P2P_EMIT forwarded to
 * `targetClientId`, acks passed back. It keeps a peer map only to send the same P2P_DISCONNECT notices as the gateway.
 * `PORT=... node dist/bench/bare-relay.js` prints "ready" once listening.
 */
import { createServer } from 'node:http';
import { Server, type Socket } from 'socket.io';

type Ack = (...results: unknown[]) => void;
interface RelayPayload {
  targetClientId: string;
  event: string;
  args?: unknown[];
}

const sockets = new Map<string, Socket>();
const peers = new Map<string, string>();
/** Pairing acks of sources waiting for their target's consent, by source id. */
const pendingPairs = new Map<string, (ok: boolean) => void>();

function clientIdOf(socket: Socket): string {
  const auth = socket.handshake.auth as { clientId?: string };
  return auth.clientId ?? String(socket.handshake.query.clientId);
}

function unpair(clientId: string, reason: string): void {
  const peerId = peers.get(clientId);
  if (peerId === undefined) return;
  peers.delete(clientId);
  peers.delete(peerId);
  sockets.get(peerId)?.emit('P2P_DISCONNECT', clientId, reason);
}

function answerPairing(sourceId: string, targetId: string, ok: boolean): void {
  const ack = pendingPairs.get(sourceId);
  pendingPairs.delete(sourceId);
  if (ok) {
    peers.set(sourceId, targetId);
    peers.set(targetId, sourceId);
  }
  ack?.(ok);
}

const httpServer = createServer();
const io = new Server(httpServer, { cors: { origin: true }, allowEIO3: true });

io.on('connection', (socket) => {
  const clientId = clientIdOf(socket);
  sockets.set(clientId, socket);

  socket.on('P2P_REGISTER', (targetId: string, ack: (ok: boolean) => void) => {
    const target = sockets.get(targetId);
    if (!target) return ack(false);
    pendingPairs.set(clientId, ack);
    target.emit('P2P_REGISTER', clientId);
  });
  socket.on('P2P_REGISTER_SUCCESS', (sourceId: string) => answerPairing(sourceId, clientId, true));
  socket.on('P2P_REGISTER_FAILED', (sourceId: string) => answerPairing(sourceId, clientId, false));
  socket.on('P2P_UNREGISTER', (ack?: (ok: boolean) => void) => {
    unpair(clientId, 'UNREGISTERED');
    ack?.(true);
  });
  socket.on('P2P_EMIT', ({ targetClientId, event, args = [] }: RelayPayload) => {
    sockets.get(targetClientId)?.emit(event, ...args);
  });
  socket.on('P2P_EMIT_ACKNOWLEDGE', ({ targetClientId, event, args = [] }: RelayPayload, ack: Ack) => {
    sockets.get(targetClientId)?.emit(event, ...args, (...results: unknown[]) => ack(...results));
  });
  socket.on('disconnect', () => {
    if (sockets.get(clientId) !== socket) return;
    sockets.delete(clientId);
    pendingPairs.delete(clientId);
    unpair(clientId, 'DISCONNECTED');
  });
});

httpServer.listen(Number(process.env.PORT ?? 0), '127.0.0.1', () => console.log('ready'));
