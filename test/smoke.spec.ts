import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { type GatewayHarness, connectClient, startGateway, waitFor } from './support/gateway-harness.js';

describe('smoke', () => {
  let gw: GatewayHarness;
  beforeEach(async () => {
    gw = await startGateway({ pairTimeoutMs: 500, ackTimeoutMs: 500 });
  });
  afterEach(() => gw.close());

  it('pairs, relays with ack, unpairs', async () => {
    const b = await connectClient(gw, 'B');
    const a = await connectClient(gw, 'A');
    b.socket.on('ping2', (x: number, cb: (y: number) => void) => cb(x + 1));
    await a.pair('B');
    expect(a.peerId).toBe('B');
    await expect(a.emitWithAck('ping2', 41)).resolves.toBe(42);
    expect(await gw.service.peerOf('B')).toBe('A');
    const gone = waitFor(b.socket, 'P2P_DISCONNECT');
    await a.unpair();
    expect(await gone).toEqual(['A', 'UNREGISTERED']);
  });
});
