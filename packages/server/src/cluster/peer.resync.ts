import type { Namespace } from 'socket.io';
import type { PeerRef } from '../pairing/client-transport.interface.js';
import type { P2pSocket } from '../connection/p2p-connection.state.js';
import type { PairingStore } from '../stores/pairing-store.interface.js';

/**
 * After Redis answered again, re-derives the cached peer of every connection of this node from the store. A store
 * command that timed out while Redis hung (STORE_UNAVAILABLE, outcome unknown) may still have run once Redis went on:
 * an unpairing the client was told had failed, say. A cache that changed while its record was read is left alone (the
 * change came from a fresher store answer).
 */
export async function resyncPeers(
  namespace: Namespace,
  store: PairingStore,
  setLocalPeer: (connectionId: string, peer: PeerRef | undefined) => void,
): Promise<number> {
  const sockets = [...namespace.sockets.values()] as P2pSocket[];
  const fixes = await Promise.all(
    sockets.map(async (socket) => {
      const conn = socket.data.p2p;
      if (!conn) return 0;
      const cached = conn.peer;
      const record = await store.getClient(conn.clientId);
      if (record?.connectionId !== socket.id) return 0;
      let peer: PeerRef | undefined;
      if (record.state.kind === 'paired') {
        const other = await store.getClient(record.state.peerId);
        if (other?.state.kind === 'paired' && other.state.peerId === conn.clientId) {
          peer = { clientId: other.clientId, connectionId: other.detachedUntil === undefined ? other.connectionId : undefined };
        }
      }
      if (conn.peer !== cached || socket.disconnected) return 0;
      if (cached?.clientId === peer?.clientId && cached?.connectionId === peer?.connectionId) return 0;
      setLocalPeer(socket.id, peer);
      return 1;
    }),
  );
  return fixes.reduce<number>((sum, fixed) => sum + fixed, 0);
}
