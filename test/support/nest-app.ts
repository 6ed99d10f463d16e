import 'reflect-metadata';
import type { DynamicModule, INestApplication, Type } from '@nestjs/common';
import { Test } from '@nestjs/testing';

/** A real Nest app built from `imports`, listening on an ephemeral port; for module wiring the harness does not cover. */
export interface RunningApp {
  app: INestApplication;
  url: string;
  close(): Promise<void>;
}

export async function startApp(imports: Array<Type | DynamicModule>): Promise<RunningApp> {
  const moduleRef = await Test.createTestingModule({ imports }).compile();
  const app = moduleRef.createNestApplication({ logger: false });
  await app.listen(0, '127.0.0.1');
  const { port } = app.getHttpServer().address() as { port: number };
  return { app, url: `http://127.0.0.1:${port}`, close: () => app.close() };
}
