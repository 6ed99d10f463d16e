import { Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { P2pModule } from '../packages/server/src/index.js';
import { P2pHealthIndicator } from '../packages/server/src/health/index.js';
import { BrowserPageModule } from './browser-page.module.js';
import { HealthController } from './health.controller.js';

/**
 * The sample app: the pairing gateway on the root namespace, accepting socket.io-client 4 and 2 clients. In memory by
 * default; with REDIS_URL set it runs as one node of a cluster (start several with different PORTs), and with
 * REDIS_CLUSTER_NODES (comma-separated host:port of some Redis Cluster nodes) as one node on a Redis Cluster. With
 * P2P_ADMIN_TOKEN set (16 characters or more) the control center is at /p2p-admin?token=<token>, with its charts, and
 * the Prometheus metrics at /metrics (same token, as `Authorization: Bearer`). /health and /ready are the liveness and
 * readiness probes. The browser sample is at /browser/?clientId=<id> (after `npm run build`); see `sampleWebRtc` for
 * WebRTC.
 */
/**
 * WebRTC upgrades (off by default): P2P_WEBRTC=1 allows them with host candidates only; TURN_URL and TURN_SECRET add a
 * TURN server (coturn with `--use-auth-secret`) whose credentials the gateway mints per client. No STUN/TURN server is
 * configured unless given.
 */
function sampleWebRtc() {
  const { P2P_WEBRTC, TURN_URL, TURN_SECRET } = process.env;
  if (TURN_URL && TURN_SECRET) return { webrtc: { turn: { urls: TURN_URL, secret: TURN_SECRET } } };
  return P2P_WEBRTC === '1' ? { webrtc: {} } : {};
}

/**
 * The cluster mode: REDIS_CLUSTER_NODES (`10.0.0.1:7000,10.0.0.2:7000`) for a Redis Cluster, REDIS_URL for one Redis.
 * Both set is a mistake the module refuses at start (`redis` takes one of them).
 */
function sampleRedis() {
  const { REDIS_URL, REDIS_CLUSTER_NODES } = process.env;
  const cluster = REDIS_CLUSTER_NODES?.split(',')
    .map((node) => node.trim())
    .filter((node) => node !== '');
  if (!REDIS_URL && !cluster?.length) return {};
  return { redis: { ...(REDIS_URL ? { url: REDIS_URL } : {}), ...(cluster?.length ? { cluster } : {}) } };
}

@Module({
  imports: [
    P2pModule.forRoot({
      serverOptions: { cors: { origin: true }, allowEIO3: true },
      ...sampleRedis(),
      ...(process.env.P2P_ADMIN_TOKEN ? { controlCenter: { token: process.env.P2P_ADMIN_TOKEN }, metrics: true } : {}),
      ...sampleWebRtc(),
    }),
    TerminusModule.forRoot({ logger: false }),
    BrowserPageModule.register(),
  ],
  controllers: [HealthController],
  providers: [P2pHealthIndicator],
})
export class AppModule {}
