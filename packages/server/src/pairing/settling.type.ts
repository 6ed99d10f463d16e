/**
 * A value, or a promise of it: the pairing steps return their outcome synchronously when the store answers at once
 * (`PairingStore.immediate`, the in-memory store), so the hot path makes no promise; a promise otherwise.
 */
export type Settling<T> = T | Promise<T>;
