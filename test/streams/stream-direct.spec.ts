import { afterAll, afterEach, describe, expect, it } from '@jest/globals';
import nodeDataChannel from 'node-datachannel';
import type { P2pTransport } from '../../packages/client/src/index.js';
import { type GatewayHarness, connectClient, startGateway, waitFor } from '../support/gateway-harness.js';
import { LOOPBACK_CONFIG, recordingPeerConnections, until } from '../webrtc/webrtc-support.js';
import { Sha256 } from '../../packages/client/src/index.js';
import { bytes, sha256, spyChunks } from './stream-support.js';

const MiB = 1024 * 1024;

describe('streams over the direct path (WebRTC on loopback)', () => {
  let harness: GatewayHarness;
  afterEach(() => harness.close());
  afterAll(() => nodeDataChannel.cleanup());

  async function client(clientId: string) {
    const { RTCPeerConnection: Recorded, connections } = recordingPeerConnections();
    const p2p = await connectClient(harness, clientId, {
      webrtc: {
        RTCPeerConnection: Recorded,
        peerConnectionConfig: LOOPBACK_CONFIG,
        backoff: { initialDelayMs: 200, maxDelayMs: 1000 },
      },
    });
    const transports: P2pTransport[] = [];
    p2p.on('transport', (transport) => transports.push(transport));
    return { p2p, connections, transports };
  }

  it('carries 16 MiB direct through two peer-connection kills: equal digests, nothing twice, the fallbacks on the relay', async () => {
    harness = await startGateway({ webrtc: {} });
    const alice = await client('A');
    const bob = await client('B');
    const paired = waitFor(bob.p2p, 'paired');
    await alice.p2p.pair('B');
    await paired;
    await until(() => alice.p2p.transport === 'direct' && bob.p2p.transport === 'direct', 'both sides direct', 30_000);
    const relayed = spyChunks(alice.p2p.socket);

    const data = bytes(16 * MiB);
    const stops = [4 * MiB, 10 * MiB];
    let kills = 0;
    const received = new Promise<{ bytes: number; digest: string }>((resolve, reject) => {
      bob.p2p.once('stream', (incoming) => {
        incoming.accept();
        void (async () => {
          const hash = new Sha256();
          let total = 0;
          const reader = incoming.readable.getReader();
          for (;;) {
            const { value, done } = await reader.read();
            if (done) break;
            hash.update(value);
            total += value.byteLength;
            if (stops.length > 0 && total >= stops[0]!) {
              stops.shift();
              // Midway, with chunks in flight (the sender runs up to the credit meanwhile), the data channel dies.
              await until(() => alice.p2p.transport === 'direct' && bob.p2p.transport === 'direct', 'direct again', 30_000);
              bob.connections.at(-1)!.close();
              kills++;
            }
          }
          resolve({ bytes: total, digest: hash.hex() });
        })().catch(reject);
      });
    });
    const receipt = await alice.p2p.sendStream(data);
    const got = await received;
    expect(kills).toBe(2);
    expect(got).toEqual({ bytes: 16 * MiB, digest: sha256(data) });
    expect(receipt).toMatchObject({ bytes: 16 * MiB, sha256: sha256(data) });
    // Each kill fell back to the relay, which carried some chunks, and the pair went direct again.
    expect(alice.transports.filter((t) => t === 'relay').length).toBeGreaterThanOrEqual(2);
    expect(relayed.bytes).toBeLessThan(16 * MiB);
  }, 120_000);
});
