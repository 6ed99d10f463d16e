// Runs only inside a network namespace holding nothing but `lo` (test/webrtc/netns.spec.ts starts it with
// `unshare -rn`): coturn, the gateway and both peers live there, so no packet can leave loopback.
import type { ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { networkInterfaces, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import nodeDataChannel from 'node-datachannel';
import type { Socket } from 'socket.io-client';
import { iceServersForNodeDataChannel, requestWebRtcConfig } from '../../packages/client/src/index.js';
import { mintTurnCredential } from '../../packages/server/src/index.js';
import { type GatewayHarness, startGateway } from '../support/gateway-harness.js';
import { SECRET, TURN_URL, coturnLog, startCoturn } from './coturn.js';
import { type PathSide, candidateAddresses, directPath, pairSockets, pathEvent, protocol3Socket, until } from '../webrtc/webrtc-support.js';

describe('TURN through coturn, credentials minted by the gateway (network namespace, loopback only)', () => {
  let turn: ChildProcess;
  let dir: string;
  let harness: GatewayHarness;
  let a: Socket;
  let b: Socket;
  const sides: PathSide[] = [];

  beforeAll(async () => {
    // The namespace's promise: nothing but loopback to send to.
    expect(Object.keys(networkInterfaces())).toEqual(['lo']);
    dir = await mkdtemp(join(tmpdir(), 'p2p-coturn-'));
    turn = await startCoturn(dir);
  });

  afterAll(async () => {
    turn?.kill('SIGTERM');
    nodeDataChannel.cleanup();
    await rm(dir, { recursive: true, force: true });
  });

  afterEach(async () => {
    for (const side of sides.splice(0)) side.path.close();
    await harness?.close();
  });

  async function pairedSockets(ttlSeconds: number): Promise<void> {
    harness = await startGateway({ webrtc: { turn: { urls: TURN_URL, secret: SECRET, ttlSeconds } } });
    a = await protocol3Socket(harness, 'A');
    b = await protocol3Socket(harness, 'B');
    await pairSockets(a, b, 'B');
  }

  /** Both sides relay-only, through the TURN servers given (as node-datachannel needs them). */
  function relayOnly(serversA: RTCIceServer[], serversB: RTCIceServer[], connectTimeoutMs = 15_000): [PathSide, PathSide] {
    const options = { iceTransportPolicy: 'relay' as const, connectTimeoutMs };
    const offerer = directPath(a, 'offerer', { ...options, iceServers: iceServersForNodeDataChannel(serversA) });
    const answerer = directPath(b, 'answerer', { ...options, iceServers: iceServersForNodeDataChannel(serversB) });
    sides.push(offerer, answerer);
    answerer.path.start();
    offerer.path.start();
    return [offerer, answerer];
  }

  it('opens a relay-only data channel with the credentials P2P_WEBRTC_CONFIG hands out', async () => {
    await pairedSockets(300);
    const [configA, configB] = await Promise.all([requestWebRtcConfig(a), requestWebRtcConfig(b)]);
    expect(configA.allowed).toBe(true);
    expect(configA.iceServers).toHaveLength(1);
    expect(configA.iceServers[0]!.username).toMatch(/^\d+:A$/);
    const [offerer, answerer] = relayOnly(configA.iceServers, configB.iceServers);
    await Promise.all([pathEvent(offerer.path, 'open'), pathEvent(answerer.path, 'open')]);
    expect(offerer.path.send({ through: 'turn', bytes: new Uint8Array([1, 2, 3]) })).toBe(true);
    await until(() => answerer.frames.length === 1, 'the frame through TURN');
    expect([...(answerer.frames[0] as { bytes: Uint8Array }).bytes]).toEqual([1, 2, 3]);
    // Relay candidates only, and every one on loopback.
    const candidates = [...offerer.sent, ...answerer.sent].flatMap((s) => (s.type === 'candidate' ? [s.candidate] : []));
    expect(candidates.length).toBeGreaterThan(0);
    for (const candidate of candidates) expect(candidate).toMatch(/ typ relay/);
    expect(new Set(candidateAddresses([...offerer.sent, ...answerer.sent]))).toEqual(new Set(['127.0.0.1']));
  });

  it('is refused by coturn once the credential has expired: the path fails, never opens', async () => {
    await pairedSockets(300);
    const usernames: string[] = [];
    const expired = (clientId: string) => {
      const { username, credential } = mintTurnCredential(SECRET, clientId, -60);
      usernames.push(username);
      return [{ urls: TURN_URL, username, credential }];
    };
    const [offerer, answerer] = relayOnly(expired('A'), expired('B'), 8_000);
    const logFrom = coturnLog().length;
    await Promise.all([pathEvent(offerer.path, 'failed', 30_000), pathEvent(answerer.path, 'failed', 30_000)]);
    expect(candidateAddresses([...offerer.sent, ...answerer.sent])).toEqual([]);
    // coturn's own word. The HMAC is right (the first test opened with the same secret): only the expiry differs.
    for (const username of usernames) expect(coturnLog().slice(logFrom)).toContain(`Cannot find credentials of user <${username}>`);
  });

  it('is refused by coturn for a credential not made with its secret', async () => {
    await pairedSockets(300);
    const usernames: string[] = [];
    const forged = (clientId: string) => {
      const { username, credential } = mintTurnCredential('not-the-secret', clientId, 300);
      usernames.push(username);
      return [{ urls: TURN_URL, username, credential }];
    };
    const [offerer, answerer] = relayOnly(forged('A'), forged('B'), 8_000);
    const logFrom = coturnLog().length;
    await Promise.all([pathEvent(offerer.path, 'failed', 30_000), pathEvent(answerer.path, 'failed', 30_000)]);
    expect(candidateAddresses([...offerer.sent, ...answerer.sent])).toEqual([]);
    for (const username of usernames) expect(coturnLog().slice(logFrom)).toContain(`Cannot find credentials of user <${username}>`);
  });
});
