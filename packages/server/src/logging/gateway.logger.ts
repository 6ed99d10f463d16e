import { Logger } from '@nestjs/common';

/** The gateway's log: its parts (router, departures, cluster membership) write under one context. */
export const gatewayLogger = new Logger('P2pGateway');

/** Control characters (C0, DEL, C1), line and paragraph separators, bidirectional marks and overrides. */
const UNPRINTABLE = /[\p{Cc}\p{Zl}\p{Zp}\p{Bidi_Control}]/gu;

/** The longest piece of outside text a log line quotes; the rest is counted, not printed. */
const MAX_QUOTED_LENGTH = 512;

/**
 * Outside text (a hook's error, anything a client could have put in it) made safe to put in a log line: control
 * characters (newlines, ANSI escapes, ...), line and paragraph separators and bidirectional marks are written as
 * `\u{..}` escapes, so no line can be forged or recoloured, and the text is cut at 512 characters.
 */
export function printable(text: string): string {
  const cut = text.length > MAX_QUOTED_LENGTH ? text.slice(0, MAX_QUOTED_LENGTH) : text;
  const safe = cut.replace(UNPRINTABLE, (char) => `\\u{${char.codePointAt(0)!.toString(16)}}`);
  return cut === text ? safe : `${safe}... (${text.length - MAX_QUOTED_LENGTH} more characters)`;
}

/** Logs a failure nobody is waiting for (a disconnect the store did not record, a cluster liveness outage, ...). */
export function reportFailure(event: string, error: unknown): void {
  gatewayLogger.error(`${event} failed: ${describeError(error)}`);
}

/** An error for the log: its name and message printable (they may quote outside text), then its stack frames as they are. */
function describeError(error: unknown): string {
  if (!(error instanceof Error)) return printable(String(error));
  const stack = error.stack ?? '';
  const frames = stack.indexOf('\n    at ');
  return printable(`${error.name}: ${error.message}`) + (frames >= 0 ? stack.slice(frames) : '');
}
