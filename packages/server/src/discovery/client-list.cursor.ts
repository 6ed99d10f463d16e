import type { ClientListPosition } from '../stores/pairing-store.interface.js';

/**
 * The `LIST_CLIENTS` cursor on the wire: the store's position in base 36, `<after>.<until>`. It names no client, so a
 * page that ended on a client the viewer may not see gives nothing of it away. A forged cursor only moves the walk:
 * the policy still decides what each page shows.
 */
const CURSOR = /^([0-9a-z]{1,11})\.([0-9a-z]{1,11})$/;

export function encodeCursor(position: ClientListPosition): string {
  return `${position.after.toString(36)}.${position.until.toString(36)}`;
}

/** The position a cursor names, or undefined when it is not one this gateway could have written. */
export function decodeCursor(cursor: string): ClientListPosition | undefined {
  const match = CURSOR.exec(cursor);
  if (!match) return undefined;
  const after = parseInt(match[1]!, 36);
  const until = parseInt(match[2]!, 36);
  if (!Number.isSafeInteger(after) || !Number.isSafeInteger(until) || after > until) return undefined;
  return { after, until };
}
