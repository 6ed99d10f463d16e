import 'reflect-metadata';
import { Logger, type LogLevel } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { AppModule } from './app.module.js';

export async function startSampleServer(port: number, logger: LogLevel[] | false = ['error', 'warn', 'log']) {
  const app = await NestFactory.create(AppModule, { logger });
  app.enableShutdownHooks();
  await app.listen(port);
  return app;
}

const isEntryPoint = import.meta.url === `file://${process.argv[1]}`;
if (isEntryPoint) {
  const port = Number(process.env.PORT ?? 9000);
  await startSampleServer(port);
  new Logger('Sample').log(`P2P gateway listening on http://localhost:${port} (namespace "/")`);
  new Logger('Sample').log(`Browser sample: http://localhost:${port}/browser/?clientId=alice (and ?clientId=bob in another tab)`);
  if (process.env.P2P_ADMIN_TOKEN) {
    new Logger('Sample').log(`Control center: http://localhost:${port}/p2p-admin?token=<P2P_ADMIN_TOKEN>`);
    new Logger('Sample').log(`Prometheus metrics: http://localhost:${port}/metrics (Authorization: Bearer <P2P_ADMIN_TOKEN>)`);
  }
  new Logger('Sample').log(`Probes: http://localhost:${port}/health (liveness), http://localhost:${port}/ready (readiness)`);
}
