/**
 * The gateway of `npm start` (sample/app.module.ts, its options as they are) in a process of its own, for the RSS of
 * a gateway alone (stream-sample-gateway.spec.ts). Over IPC: `ready` with its port; answers `rss` (after a full GC
 * when asked); exits on `close` or when the test process is gone.
 */
import type { AddressInfo } from 'node:net';
import { startSampleServer } from '../../sample/main.js';

const app = await startSampleServer(0, ['error', 'warn']);
const { port } = app.getHttpServer().address() as AddressInfo;
process.on('message', (message: { type?: string; id?: number; gc?: boolean }) => {
  if (message.type === 'close') void app.close().finally(() => process.exit(0));
  if (message.type !== 'rss') return;
  if (message.gc) (globalThis as { gc?: () => void }).gc?.();
  process.send?.({ type: 'rss', id: message.id, rss: process.memoryUsage().rss });
});
process.on('disconnect', () => void app.close().finally(() => process.exit(0)));
process.send?.({ type: 'ready', port });
