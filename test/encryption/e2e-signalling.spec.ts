import { afterAll, afterEach, describe, expect, it } from '@jest/globals';
import nodeDataChannel from 'node-datachannel';
import type { P2pError, P2pTransport, RTCPeerConnectionConstructor } from '../../packages/client/src/index.js';
import { type GatewayHarness, connectClient, startGateway } from '../support/gateway-harness.js';
import { eventually } from '../support/eventually.js';
import { LOOPBACK_CONFIG, LoopbackPeerConnection, until } from '../webrtc/webrtc-support.js';
import { gatewayNamespace, onFrames, serverSocketOf, spyOn } from './e2e-gateway.js';

const MARK = 'sigMARKQZ';
/** What an SDP or an ICE candidate always holds: none may cross the gateway with e2e on. */
const SDP_MARKERS = ['v=0', 'a=fingerprint', 'candidate:', 'a=ice-ufrag'];
/** A fingerprint no real certificate has: the one a middle would put in. */
const FORGED_FINGERPRINT = `sha-256 ${Array(32).fill('AB').join(':')}`;

/** The SDP with every DTLS fingerprint replaced by the forged one. */
function forge(sdp: string): string {
  return sdp.replace(/^a=fingerprint:.*$/gm, `a=fingerprint:${FORGED_FINGERPRINT}`);
}

function fingerprintsOf(sdp: string | undefined): string[] {
  return [...(sdp ?? '').matchAll(/^a=fingerprint:\s*\S+\s+([0-9A-Fa-f:]+)/gm)].map((match) => match[1]!.toUpperCase());
}

describe('end-to-end encryption: WebRTC signalling sealed, DTLS fingerprint checked', () => {
  let gw: GatewayHarness;
  afterEach(() => gw.close());
  afterAll(() => nodeDataChannel.cleanup());

  /** An e2e client with WebRTC on loopback; `tamper` makes its peer connection apply forged remote fingerprints. */
  async function client(clientId: string, tamper = false) {
    const connections: RTCPeerConnection[] = [];
    class Recorded extends (LoopbackPeerConnection as unknown as new (config: RTCConfiguration) => RTCPeerConnection) {
      constructor(config: RTCConfiguration) {
        super(config);
        connections.push(this);
      }
      override setRemoteDescription(description: RTCSessionDescriptionInit): Promise<void> {
        // Stands for a description swapped on the way: what the connection applies is not what the peer sent.
        return super.setRemoteDescription(tamper ? { ...description, sdp: forge(description.sdp ?? '') } : description);
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
    const errors: P2pError[] = [];
    p2p.on('transport', (transport) => transports.push(transport));
    p2p.on('error', (error) => errors.push(error));
    const got: number[] = [];
    p2p.socket.on(`${MARK}-n`, (i: number) => got.push(i));
    return { p2p, connections, transports, errors, got };
  }

  it('no SDP, fingerprint or candidate crosses the gateway, and the direct path still comes up', async () => {
    gw = await startGateway({ webrtc: {} });
    const spy = spyOn(gw);
    const signals: unknown[] = [];
    gatewayNamespace(gw).on('connection', (socket) => socket.on('P2P_SIGNAL', (signal: unknown) => signals.push(signal)));
    const alice = await client('A');
    const bob = await client('B');
    await alice.p2p.pair('B');
    await until(() => alice.p2p.transport === 'direct' && bob.p2p.transport === 'direct', 'both sides direct', 30_000);
    for (let i = 0; i < 200; i++) alice.p2p.emit(`${MARK}-n`, i);
    await eventually(() => expect(bob.got).toHaveLength(200), 30_000);
    expect(alice.p2p.verificationCode).toBe(bob.p2p.verificationCode);
    // The signalling went sealed through the relay: the gateway relayed frames, and never a P2P_SIGNAL.
    expect(spy.count('P2P_FRAME')).toBeGreaterThan(0);
    expect(spy.count('P2P_SIGNAL')).toBe(0);
    expect(signals).toEqual([]);
    for (const marker of SDP_MARKERS) expect([marker, spy.count(marker)]).toEqual([marker, 0]);
    // The connections did negotiate: each applied the peer's real fingerprint.
    const aliceOwn = fingerprintsOf(alice.connections.at(-1)!.localDescription?.sdp);
    expect(aliceOwn.length).toBeGreaterThan(0);
    expect(fingerprintsOf(bob.connections.at(-1)!.remoteDescription?.sdp)).toEqual(aliceOwn);
    expect([...alice.errors, ...bob.errors]).toEqual([]);
  }, 90_000);

  it('a gateway that forges signals in the clear (a swapped fingerprint) is not heard: the path uses the real ones', async () => {
    gw = await startGateway({ webrtc: {} });
    // It also rewrites any fingerprint it finds in the frames it relays (in their JSON): there is none to find.
    let rewritten = 0;
    onFrames(gw, (_from, frame) => {
      const text = JSON.stringify(frame);
      if (!text.includes('a=fingerprint:')) return;
      rewritten++;
      Object.assign(frame, JSON.parse(text.replace(/a=fingerprint:[^\\"]*/g, `a=fingerprint:${FORGED_FINGERPRINT}`)) as object);
    });
    const alice = await client('A');
    const bob = await client('B');
    // As soon as they pair, the gateway plays each side's peer on P2P_SIGNAL, with its own fingerprint.
    const forged = (type: 'offer' | 'answer', source: string) => ({
      type,
      sdp: `v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\na=fingerprint:${FORGED_FINGERPRINT}\r\n`,
      sourceClientId: source,
    });
    const injections = setInterval(() => {
      serverSocketOf(gw, 'B')?.emit('P2P_SIGNAL', forged('offer', 'A'));
      serverSocketOf(gw, 'A')?.emit('P2P_SIGNAL', forged('answer', 'B'));
    }, 50);
    try {
      await alice.p2p.pair('B');
      await until(() => alice.p2p.transport === 'direct' && bob.p2p.transport === 'direct', 'both sides direct', 30_000);
    } finally {
      clearInterval(injections);
    }
    const forgedHex = FORGED_FINGERPRINT.split(' ')[1];
    for (const side of [alice, bob]) {
      for (const pc of side.connections) expect(fingerprintsOf(pc.remoteDescription?.sdp)).not.toContain(forgedHex);
    }
    expect(fingerprintsOf(alice.connections.at(-1)!.remoteDescription?.sdp)).toEqual(
      fingerprintsOf(bob.connections.at(-1)!.localDescription?.sdp),
    );
    expect(rewritten).toBe(0);
    expect([...alice.errors, ...bob.errors]).toEqual([]);
  }, 90_000);

  it('a connection that applies another fingerprint than the one received sealed is refused: E2E_FINGERPRINT_MISMATCH, relay', async () => {
    gw = await startGateway({ webrtc: {} });
    const alice = await client('A');
    const bob = await client('B', true);
    await alice.p2p.pair('B');
    // Both sides stop upgrading with the code: the one that found it, and the one it told (sealed).
    await eventually(() => {
      expect(bob.errors.map((error) => error.code)).toContain('E2E_FINGERPRINT_MISMATCH');
      expect(alice.errors.map((error) => error.code)).toContain('E2E_FINGERPRINT_MISMATCH');
    }, 30_000);
    const attempts = alice.connections.length;
    for (let i = 0; i < 300; i++) alice.p2p.emit(`${MARK}-n`, i);
    for (let i = 0; i < 300; i++) bob.p2p.emit(`${MARK}-n`, i);
    await eventually(() => {
      expect(bob.got).toEqual([...Array(300).keys()]);
      expect(alice.got).toEqual([...Array(300).keys()]);
    }, 30_000);
    expect(alice.p2p.transport).toBe('relay');
    expect(bob.p2p.transport).toBe('relay');
    expect([...alice.transports, ...bob.transports]).not.toContain('direct');
    expect(alice.p2p.secure && bob.p2p.secure).toBe(true);
    expect(alice.p2p.verificationCode).toBe(bob.p2p.verificationCode);
    // The offerer makes no attempt after the refusal (its backoff, at most 1 s here, has passed twice over).
    await new Promise((resolve) => setTimeout(resolve, 2_500));
    expect(alice.connections.length).toBe(attempts);
    expect(alice.p2p.transport).toBe('relay');
  }, 90_000);
});
