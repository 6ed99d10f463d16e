import { Logger } from '@nestjs/common';

/** The gateway's log: its parts (router, departures, cluster membership) write under one context. */
export const gatewayLogger = new Logger('P2pGateway');

/** The longest piece of outside text a log line quotes; the rest is counted, not printed. */
const MAX_QUOTED_LENGTH = 512;

/**
 * Outside text (a hook's error, anything a client could have put in it) made safe to put in a log line: control
 * characters (newlines, ANSI escapes, ...), line and paragraph separators and bidirectional overrides are written as
 * `\u{..}` escapes, so no line can be forged or recoloured, and the text is cut at 512 characters.
 */
export function printable(text: string): string {
  const cut = text.length > MAX_QUOTED_LENGTH ? text.slice(0, MAX_QUOTED_LENGTH) : text;
  const safe = cut.replace(
    /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g,
    (char) => `\\u{${char.charCodeAt(0).toString(16)}}`,
  );
  return cut === text ? safe : `${safe}... (${text.length - MAX_QUOTED_LENGTH} more characters)`;
}

/** Logs a failure nobody is waiting for (a disconnect the store did not record, a cluster liveness outage, ...). */
export function reportFailure(event: string, error: unknown): void {
  gatewayLogger.error(`${event} failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
}
