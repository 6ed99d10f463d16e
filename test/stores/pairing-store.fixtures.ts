import { randomUUID } from 'node:crypto';
import type { ClientRecord, PairingRequest } from '../../packages/server/src/stores/pairing-store.interface.js';

/** Ids unique across tests and runs, so a shared store (Redis) never sees a previous test's clients. */
export function uniqueIds(...names: string[]): string[] {
  const run = randomUUID().slice(0, 8);
  return names.map((name) => `${name}-${run}`);
}

let connectionSeq = 0;

export function clientRecord(clientId: string, extra: Partial<ClientRecord> = {}): ClientRecord {
  connectionSeq += 1;
  return {
    clientId,
    connectionId: `conn-${connectionSeq}-${randomUUID()}`,
    nodeId: 'node-1',
    protocolVersion: 2,
    connectedAt: 1_700_000_000_000 + connectionSeq,
    state: { kind: 'free' },
    ...extra,
  };
}

export function pairingRequest(sourceId: string, targetId: string): PairingRequest {
  return { requestId: randomUUID(), sourceId, targetId };
}
