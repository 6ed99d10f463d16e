/** `nest-p2p-gateway/health`: the Terminus indicator (needs the optional peer dependency `@nestjs/terminus`). */
export { P2pHealthIndicator, type P2pHealthCheckOptions } from './p2p-health.indicator.js';
export { P2pHealthProbe, type P2pHealthReport, DEFAULT_HEALTH_TIMEOUT_MS } from './p2p-health.probe.js';
export { P2pDrainState } from './p2p-drain.state.js';
