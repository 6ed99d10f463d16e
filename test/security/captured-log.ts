import 'reflect-metadata';
import type { LoggerService } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { P2pModule, type P2pModuleOptions, PairingService } from '../../packages/server/src/index.js';
import type { GatewayHarness } from '../support/gateway-harness.js';

/** Every line the app logs (debug included), with its level and context. */
export class CapturingLogger implements LoggerService {
  readonly lines: Array<{ level: string; context: string; message: string }> = [];
  private push(level: string, message: unknown, context: unknown) {
    this.lines.push({ level, context: String(context ?? ''), message: String(message) });
  }
  log(message: unknown, context?: string) {
    this.push('log', message, context);
  }
  error(message: unknown, ...rest: unknown[]) {
    this.push('error', message, rest.at(-1));
  }
  warn(message: unknown, context?: string) {
    this.push('warn', message, context);
  }
  debug(message: unknown, context?: string) {
    this.push('debug', message, context);
  }
  verbose(message: unknown, context?: string) {
    this.push('verbose', message, context);
  }
  /** Everything logged, one entry per call. */
  get messages(): string[] {
    return this.lines.map((line) => line.message);
  }
}

/** `startGateway`, with the app's log captured (debug level included) instead of switched off. */
export async function startLoggedGateway(options: P2pModuleOptions): Promise<GatewayHarness & { logger: CapturingLogger }> {
  const logger = new CapturingLogger();
  const moduleRef = await Test.createTestingModule({ imports: [P2pModule.forRoot(options)] })
    .setLogger(logger)
    .compile();
  const app = moduleRef.createNestApplication({ logger });
  await app.listen(0, '127.0.0.1');
  const { port } = app.getHttpServer().address() as { port: number };
  const harness: GatewayHarness & { logger: CapturingLogger } = {
    app,
    url: `http://127.0.0.1:${port}`,
    service: app.get(PairingService),
    sockets: [],
    logger,
    async close() {
      for (const socket of harness.sockets) socket.disconnect();
      await app.close();
    },
  };
  return harness;
}

/** Raw control characters (newlines, ANSI escapes, ...), line separators and bidirectional marks. */
export const UNPRINTABLE = /[\p{Cc}\p{Zl}\p{Zp}\p{Bidi_Control}]/u;
