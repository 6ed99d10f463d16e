/**
 * The gateway for `npm run bench:webrtc`: in memory, `webrtc: {}` (host candidates only, no STUN/TURN server), its
 * meter on (a Prometheus registry of its own, not served), rate limits above what the benchmark offers. Besides the
 * probe's `stats` it answers `{type: 'relayed', id}` with the messages it relayed so far (P2P_EMIT,
 * P2P_EMIT_ACKNOWLEDGE, P2P_FRAME), from its own counters.
 */
import 'reflect-metadata';
import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Registry } from 'prom-client';
import { P2pModule } from '../../packages/server/src/index.js';
import { P2pMetricsService } from '../../packages/server/src/metrics/p2p-metrics.service.js';

@Module({
  imports: [
    P2pModule.forRoot({
      webrtc: {},
      metrics: { registry: new Registry(), path: false },
      limits: { relayMessages: { perSecond: 10_000_000 }, relayBytes: { perSecond: 10_000_000_000 } },
    }),
  ],
})
class WebRtcBenchGatewayModule {}

const app = await NestFactory.create(WebRtcBenchGatewayModule, { logger: ['error', 'warn'] });
await app.listen(Number(process.env.PORT ?? 0), '127.0.0.1');
const meter = app.get(P2pMetricsService).meter!;
process.on('message', (message: { type?: string; id?: number }) => {
  if (message.type !== 'relayed') return;
  const { emit, ack, frame } = meter.relayedMessages;
  process.send?.({ id: message.id, relayed: emit + ack + frame });
});
console.log('ready');
