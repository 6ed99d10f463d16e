import { describe, expect, it } from '@jest/globals';
import { DEFAULT_P2P_LIMITS, resolveP2pOptions } from '../../packages/server/src/index.js';
import { refilledTokens } from '../../packages/server/src/limits/token.bucket.js';

describe('security: limit options', () => {
  it('applies the documented defaults', () => {
    const { limits, serverOptions } = resolveP2pOptions();
    expect(limits).toEqual({
      maxClients: 100_000,
      maxPendingConnections: 1000,
      maxMessageBytes: 65_536,
      relayMessages: { perMs: 1, burst: 2000 },
      relayBytes: { perMs: (4 * 1024 * 1024) / 1000, burst: 8 * 1024 * 1024 },
      pairRequests: { perMs: 0.005, burst: 10 },
      listRequests: { perMs: 0.01, burst: 20 },
      disconnectAfterViolations: 50,
      maxBufferedBytes: 1024 * 1024,
      slowConsumerTimeoutMs: 10_000,
    });
    expect(DEFAULT_P2P_LIMITS.maxMessageBytes).toBe(65_536);
    // 64 KiB is well under Socket.IO's own 1 MB, which is kept.
    expect(serverOptions.maxHttpBufferSize).toBeUndefined();
    expect(serverOptions.connectTimeout).toBe(10_000);
  });

  it('turns one limit off with false or 0, all of them with limits: false; a burst defaults to twice the rate', () => {
    const { limits } = resolveP2pOptions({
      limits: { maxClients: 0, relayMessages: false, pairRequests: { perSecond: 0 }, listRequests: { perSecond: 3 } },
    });
    expect(limits.maxClients).toBeUndefined();
    expect(limits.relayMessages).toBeUndefined();
    expect(limits.pairRequests).toBeUndefined();
    expect(limits.listRequests).toEqual({ perMs: 0.003, burst: 6 });
    expect(limits.relayBytes).toBeDefined();
    expect(resolveP2pOptions({ limits: false }).limits).toEqual({});
  });

  it("raises Socket.IO's maxHttpBufferSize to twice a large maxMessageBytes, and refuses an explicit one at or below it", () => {
    expect(resolveP2pOptions({ limits: { maxMessageBytes: 2_000_000 } }).serverOptions.maxHttpBufferSize).toBe(4_000_000);
    expect(
      resolveP2pOptions({ serverOptions: { maxHttpBufferSize: 5e6 }, limits: { maxMessageBytes: 2e6 } }).serverOptions.maxHttpBufferSize,
    ).toBe(5e6);
    expect(() => resolveP2pOptions({ serverOptions: { maxHttpBufferSize: 1000 }, limits: { maxMessageBytes: 1000 } })).toThrow(TypeError);
  });

  it.each([
    ['a negative maxClients', { maxClients: -1 }],
    ['a fractional maxMessageBytes', { maxMessageBytes: 10.5 }],
    ['a negative rate', { relayMessages: { perSecond: -5 } }],
    ['a burst below 1', { pairRequests: { perSecond: 1, burst: 0.5 } }],
    ['a byte burst smaller than the largest message', { maxMessageBytes: 10_000, relayBytes: { perSecond: 1000, burst: 5000 } }],
    ['a non-integer violation count', { disconnectAfterViolations: 2.5 }],
  ])('throws a TypeError at start-up for %s', (_name, limits) => {
    expect(() => resolveP2pOptions({ limits })).toThrow(TypeError);
  });

  it('throws for non-positive hook timeouts', () => {
    expect(() => resolveP2pOptions({ authenticateTimeoutMs: 0 })).toThrow(TypeError);
    expect(() => resolveP2pOptions({ canPairTimeoutMs: -1 })).toThrow(TypeError);
  });
});

describe('security: the token refill rule', () => {
  it('refills with elapsed time at its rate, up to the capacity', () => {
    const perMs = 0.002; // 2 per second
    expect(refilledTokens(0, 0, 499, perMs, 3)).toBeCloseTo(0.998);
    expect(refilledTokens(0, 0, 500, perMs, 3)).toBe(1);
    expect(refilledTokens(2.5, 1000, 1250, perMs, 3)).toBe(3);
    expect(refilledTokens(0, 0, 100_000, perMs, 3)).toBe(3);
  });

  it('refills nothing when the clock stands still or goes backwards', () => {
    expect(refilledTokens(0, 1000, 1000, 1, 10)).toBe(0);
    expect(refilledTokens(4, 1000, 500, 1, 10)).toBe(4);
    expect(refilledTokens(0, 1000, 1005, 1, 10)).toBe(5);
  });
});
