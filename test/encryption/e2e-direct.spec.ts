import { afterAll, afterEach, describe, expect, it } from '@jest/globals';
import nodeDataChannel from 'node-datachannel';
import type { P2pTransport, RTCPeerConnectionConstructor } from '../../packages/client/src/index.js';
import { type GatewayHarness, connectClient, startGateway, waitFor } from '../support/gateway-harness.js';
import { eventually } from '../support/eventually.js';
import { LOOPBACK_CONFIG, LoopbackPeerConnection, until } from '../webrtc/webrtc-support.js';
import { spyOn } from './e2e-gateway.js';

const MARK = 'directMARKQZ';

describe('end-to-end encryption over the direct path (WebRTC on loopback) and its fallback to the relay', () => {
  let gw: GatewayHarness;
  afterEach(() => gw.close());
  afterAll(() => nodeDataChannel.cleanup());

  async function client(clientId: string) {
    const connections: RTCPeerConnection[] = [];
    class Recorded extends (LoopbackPeerConnection as unknown as new (config: RTCConfiguration) => RTCPeerConnection) {
      constructor(config: RTCConfiguration) {
        super(config);
        connections.push(this);
      }
    }
    const p2p = await connectClient(gw, clientId, {
      e2e: true,
      webrtc: {
        RTCPeerConnection: Recorded as unknown as RTCPeerConnectionConstructor,
        peerConnectionConfig: LOOPBACK_CONFIG,
        backoff: { initialDelayMs: 200, maxDelayMs: 1000 },
      },
    });
    const transports: P2pTransport[] = [];
    p2p.on('transport', (transport) => transports.push(transport));
    return { p2p, connections, transports };
  }

  it('carries sealed messages direct, then through the gateway after the peer connection dies: all delivered, no marker relayed', async () => {
    gw = await startGateway({ webrtc: {} });
    const spy = spyOn(gw);
    const alice = await client('A');
    const bob = await client('B');
    const secured = waitFor(bob.p2p, 'secured', 10_000);
    await alice.p2p.pair('B');
    await secured;
    await until(() => alice.p2p.transport === 'direct' && bob.p2p.transport === 'direct', 'both sides direct', 30_000);
    const got: number[] = [];
    bob.p2p.socket.on(`${MARK}-n`, (i: number, text: string) => text === `${MARK} ${i}` && got.push(i));
    for (let i = 0; i < 500; i++) if (!alice.p2p.emit(`${MARK}-n`, i, `${MARK} ${i}`)) await alice.p2p.drained();
    await eventually(() => expect(got).toHaveLength(500));
    // The direct path dies: the channel falls back to the relay, where the gateway sees the frames again (sealed).
    bob.connections.at(-1)!.close();
    await until(() => alice.p2p.transport === 'relay' || alice.transports.includes('relay'), 'fallback to the relay', 30_000);
    const before = spy.count('P2P_FRAME');
    for (let i = 500; i < 1000; i++) if (!alice.p2p.emit(`${MARK}-n`, i, `${MARK} ${i}`)) await alice.p2p.drained();
    await eventually(() => expect(got).toHaveLength(1000), 30_000);
    expect(got).toEqual([...Array(1000).keys()]);
    expect(alice.transports).toContain('direct');
    expect(alice.transports).toContain('relay');
    expect(spy.count('P2P_FRAME')).toBeGreaterThan(before);
    expect(spy.count(MARK)).toBe(0);
    expect(alice.p2p.verificationCode).toBe(bob.p2p.verificationCode);
  }, 90_000);
});
