/**
 * docs/adopting.md promises that `undefined` in an optional field means the same as leaving it out. The types say so
 * (test/docs/fixtures/shared/options-accept-undefined.ts, compiled by the snippet test); this checks that the option
 * resolution does too. The objects below name every field: a new option that is not added here fails to typecheck.
 */
import { describe, expect, it } from '@jest/globals';
import { RetryBackoff, type RetryBackoffOptions } from '../../packages/client/src/index.js';
import { type P2pModuleOptions, resolveP2pOptions } from '../../packages/server/src/index.js';
import type { P2pMetricsOptions } from '../../packages/server/src/options/p2p-metrics.options.js';
import type { P2pTurnOptions, P2pWebRtcOptions } from '../../packages/server/src/options/webrtc.options.js';

/** Every field of T, each present and undefined. */
type EveryFieldUndefined<T> = { [K in keyof Required<T>]: undefined };

const everyServerOption: EveryFieldUndefined<P2pModuleOptions> = {
  namespace: undefined,
  port: undefined,
  serverOptions: undefined,
  pairTimeoutMs: undefined,
  ackTimeoutMs: undefined,
  clientId: undefined,
  duplicateClientId: undefined,
  reconnectGraceMs: undefined,
  reconnectBufferSize: undefined,
  store: undefined,
  nodeId: undefined,
  authenticate: undefined,
  authenticateTimeoutMs: undefined,
  canPair: undefined,
  canPairTimeoutMs: undefined,
  discovery: undefined,
  discoveryTimeoutMs: undefined,
  listPageSize: undefined,
  limits: undefined,
  redis: undefined,
  controlCenter: undefined,
  metrics: undefined,
  webrtc: undefined,
};

const everyWebRtcOption: EveryFieldUndefined<P2pWebRtcOptions> = {
  iceServers: undefined,
  turn: undefined,
  canUpgrade: undefined,
  canUpgradeTimeoutMs: undefined,
};

const everyMetricsOption: EveryFieldUndefined<P2pMetricsOptions> = { registry: undefined, path: undefined };

const everyBackoffOption: EveryFieldUndefined<RetryBackoffOptions> = {
  initialDelayMs: undefined,
  maxDelayMs: undefined,
  factor: undefined,
  jitter: undefined,
  random: undefined,
};

/** The resolved options without the node id, which is random when not given. */
function resolvedWithoutNodeId(options: P2pModuleOptions) {
  const { nodeId, ...rest } = resolveP2pOptions(options);
  expect(typeof nodeId).toBe('string');
  return rest;
}

describe('undefined in an optional field means the field is absent', () => {
  it('for every option of P2pModule', () => {
    expect(resolvedWithoutNodeId(everyServerOption)).toEqual(resolvedWithoutNodeId({}));
  });

  it('for every field of webrtc (and of its turn) and of metrics', () => {
    const turn: P2pTurnOptions = { urls: 'turn:turn.example.com:3478', secret: 's3cret', ttlSeconds: undefined };
    expect(resolveP2pOptions({ webrtc: { ...everyWebRtcOption, turn } }).webrtc).toEqual(
      resolveP2pOptions({ webrtc: { turn: { urls: 'turn:turn.example.com:3478', secret: 's3cret' } } }).webrtc,
    );
    expect(resolveP2pOptions({ webrtc: everyWebRtcOption }).webrtc).toEqual(resolveP2pOptions({ webrtc: {} }).webrtc);
    expect(resolveP2pOptions({ metrics: everyMetricsOption }).metrics).toEqual(resolveP2pOptions({ metrics: {} }).metrics);
    expect(resolveP2pOptions({ metrics: everyMetricsOption }).metrics).toBeDefined();
  });

  it("for every field of the client's retry backoff", () => {
    const random = () => 0.5;
    const given = new RetryBackoff({ ...everyBackoffOption, random });
    const defaults = new RetryBackoff({ random });
    expect([given.nextDelayMs(), given.nextDelayMs(), given.nextDelayMs()]).toEqual([
      defaults.nextDelayMs(),
      defaults.nextDelayMs(),
      defaults.nextDelayMs(),
    ]);
  });
});
