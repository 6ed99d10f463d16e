import { P2pError } from 'nest-p2p-gateway-protocol';
import type { GatewayContext, P2pSocket } from '../connection/p2p-connection.state.js';
import { readClientIdentity } from './client-identity.reader.js';
import { failureOf } from './handlers/handler.replies.js';
import { authenticateHandshake } from '../auth/handshake.authenticator.js';
import { ClientCapacity } from '../limits/client.capacity.js';
import { ConnectionLimits } from '../limits/connection.limits.js';
import type { GraceOutboxes } from './grace.outboxes.js';
import type { ClientRecord } from '../stores/pairing-store.interface.js';

type Next = (err?: Error) => void;

/** An Error Socket.IO turns into `connect_error` with `data: {code, message}` (a plain `error` for 2.x clients). */
function refusal(error: P2pError): Error {
  return Object.assign(new Error(error.message), { data: error.toPayload() });
}

/**
 * Admits a connection: validates its identity and registers it in the store, atomically refusing a taken clientId.
 * A connection that resumes its session takes over what the previous one held for its peer (`outboxes`). Runs as a
 * Socket.IO middleware, because Nest guards do not cover connections.
 */
export function createConnectionMiddleware(gateway: GatewayContext, outboxes: GraceOutboxes) {
  const capacity = new ClientCapacity(gateway, gateway.options.limits.maxClients);
  const admit = (socket: P2pSocket, next: Next, authenticatedId?: string): void => {
    let identity;
    try {
      identity = readClientIdentity(socket.handshake, gateway.options, authenticatedId);
    } catch (error) {
      return next(refusal(error instanceof P2pError ? error : new P2pError('INVALID_CLIENT_ID')));
    }
    const { clientId, sessionTokenHash, protocolVersion, webrtc, e2eCommit } = identity;
    const connectionId = socket.id;
    let registration: Omit<ClientRecord, 'state'> | undefined;
    capacity
      .reserve(clientId, sessionTokenHash, next)
      .then(async (counted) => {
        if (!counted) return { ok: false, code: 'CAPACITY' } as const;
        next = counted;
        const registered: Omit<ClientRecord, 'state'> = {
          clientId,
          connectionId,
          ...(sessionTokenHash === undefined ? {} : { sessionTokenHash }),
          protocolVersion,
          ...(webrtc ? { webrtc } : {}),
          ...(e2eCommit ? { e2eCommit } : {}),
          nodeId: gateway.options.nodeId,
          connectedAt: Date.now(),
        };
        registration = registered;
        return gateway.engine.connect({ ...registered, state: { kind: 'free' } });
      })
      .then((outcome) => {
        if (!outcome.ok) return next(refusal(new P2pError(outcome.code)));
        // Taken at once, so that it is never left behind: it goes with this connection should it not complete.
        const outbox = outcome.resumed && outboxes.take(outcome.resumed.previousConnectionId);
        const release = () =>
          void gateway.engine
            .leave(clientId, connectionId, 'DISCONNECTED')
            .catch((cause: unknown) => gateway.reportFailure('connection', cause));
        if (socket.conn.readyState !== 'open') {
          release();
          return next(refusal(new P2pError('PEER_DISCONNECTED')));
        }
        socket.conn.once('close', release);
        socket.data.p2p = {
          clientId,
          protocolVersion,
          gateway,
          registration: registration!,
          canResume: sessionTokenHash !== undefined,
          releaseIfNeverConnected: release,
          ...(outcome.resumed ? { resumed: outcome.resumed } : {}),
          ...(outbox ? { outbox } : {}),
          limits: ConnectionLimits.for(socket, gateway.options.limits),
        };
        next();
      })
      .catch((cause: unknown) => {
        gateway.reportFailure('connection', cause);
        next(refusal(failureOf(cause)));
      });
  };
  // `authenticate`, when set, runs before anything else and decides the clientId.
  return (socket: P2pSocket, next: Next): void => {
    if (gateway.metrics) next = gateway.metrics.countAdmission(next);
    const { authenticate, authenticateTimeoutMs } = gateway.options;
    if (!authenticate) return admit(socket, next);
    void authenticateHandshake(authenticate, socket.handshake, authenticateTimeoutMs).then((outcome) =>
      typeof outcome === 'string' ? admit(socket, next, outcome) : next(refusal(outcome)),
    );
  };
}
