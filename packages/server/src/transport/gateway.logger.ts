import { Logger } from '@nestjs/common';

/** The gateway's log: its parts (router, departures, cluster membership) write under one context. */
export const gatewayLogger = new Logger('P2pGateway');

/** Logs a failure nobody is waiting for (a disconnect the store did not record, a cluster liveness outage, ...). */
export function reportFailure(event: string, error: unknown): void {
  gatewayLogger.error(`${event} failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
}
