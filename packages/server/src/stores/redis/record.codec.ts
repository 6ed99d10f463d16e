import type { ClientRecord, PairingState, RemovedClient } from '../pairing-store.interface.js';

/**
 * Records as stored in Redis: JSON in which every number is a decimal string (Lua's cjson writes numbers with 14
 * significant digits, which would round some), and no field is null.
 */
export function encodeRecord(record: ClientRecord): string {
  const { protocolVersion, connectedAt, detachedUntil, state, ...rest } = record;
  const stored = {
    ...rest,
    protocolVersion: String(protocolVersion),
    connectedAt: String(connectedAt),
    ...(detachedUntil === undefined ? {} : { detachedUntil: String(detachedUntil) }),
    state: state.kind === 'paired' ? { ...state, since: String(state.since) } : { ...state },
  };
  return JSON.stringify(stored, (_key, value: unknown) => (value === null ? undefined : value));
}

type Stored = Record<string, any>;

export function decodeState(stored: Stored): PairingState {
  const state = stored.kind === 'paired' ? { ...stored, since: Number(stored.since) } : { ...stored };
  return state as PairingState;
}

export function decodeRecord(stored: Stored): ClientRecord {
  const { protocolVersion, connectedAt, detachedUntil, state, ...rest } = stored;
  return {
    ...rest,
    protocolVersion: Number(protocolVersion),
    connectedAt: Number(connectedAt),
    ...(detachedUntil === undefined ? {} : { detachedUntil: Number(detachedUntil) }),
    state: decodeState(state as Stored),
  } as ClientRecord;
}

/** A record from its raw stored JSON. */
export function parseRecord(raw: string): ClientRecord {
  return decodeRecord(JSON.parse(raw) as Stored);
}

export function optionalRecord(stored: Stored | undefined): ClientRecord | undefined {
  return stored === undefined ? undefined : decodeRecord(stored);
}

export function decodeRemoved(stored: Stored): RemovedClient {
  const other = optionalRecord(stored.other as Stored | undefined);
  const record = decodeRecord(stored.record as Stored);
  const removed: RemovedClient = { record, leftState: decodeState(stored.leftState as Stored) };
  return other ? { ...removed, other } : removed;
}
