import { afterAll, afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import nodeDataChannel from 'node-datachannel';
import type { Socket } from 'socket.io-client';
import { DirectUpgrade, type DirectUpgradeOptions } from '../../packages/client/src/index.js';
import { eventually } from '../support/eventually.js';
import { type GatewayHarness, startGateway } from '../support/gateway-harness.js';
import { LOOPBACK_CONFIG, LoopbackPeerConnection, pairSockets, protocol3Socket, until } from './webrtc-support.js';

describe('DirectUpgrade: keeps a pairing on a direct path, falls back and upgrades again', () => {
  let harness: GatewayHarness;
  let a: Socket;
  let b: Socket;
  const upgrades: DirectUpgrade[] = [];

  beforeEach(async () => {
    harness = await startGateway({ webrtc: {} });
    a = await protocol3Socket(harness, 'A');
    b = await protocol3Socket(harness, 'B');
    await pairSockets(a, b, 'B');
  });

  afterEach(async () => {
    for (const upgrade of upgrades.splice(0)) upgrade.stop();
    await harness.close();
  });

  afterAll(() => {
    nodeDataChannel.cleanup();
  });

  function side(socket: Socket, clientId: string, peerId: string, extra: Partial<DirectUpgradeOptions> = {}) {
    const frames: object[] = [];
    const log: string[] = [];
    const upgrade = new DirectUpgrade({
      socket,
      clientId,
      peerId,
      onFrame: (frame) => frames.push(frame),
      RTCPeerConnection: LoopbackPeerConnection,
      peerConnectionConfig: LOOPBACK_CONFIG,
      backoff: { initialDelayMs: 200, maxDelayMs: 1000 },
      ...extra,
    });
    upgrade.on('direct', () => log.push('direct'));
    upgrade.on('relay', (reason) => log.push(`relay:${reason}`));
    upgrade.on('unavailable', (reason) => log.push(`unavailable:${reason}`));
    upgrades.push(upgrade);
    return { upgrade, frames, log };
  }

  const transportOnServer = async () => (await harness.service.listPairings())[0]?.transport;

  it('upgrades, shows direct on the server, loses the path, shows relay, and upgrades again by itself', async () => {
    const alice = side(a, 'A', 'B');
    const bob = side(b, 'B', 'A');
    bob.upgrade.start();
    alice.upgrade.start();
    await until(() => alice.upgrade.transport === 'direct' && bob.upgrade.transport === 'direct', 'the first upgrade');
    expect(alice.log).toEqual(['direct']);
    expect(alice.upgrade.path!.send({ n: 1 })).toBe(true);
    await until(() => bob.frames.length === 1, 'a frame over the direct path');
    expect(bob.frames).toEqual([{ n: 1 }]);
    await eventually(async () => expect(await transportOnServer()).toBe('direct'), 10_000);
    const relayedBefore = harness.service.relayStats().relayedMessages;

    // The answerer's connection dies underneath (a crash, a network change): both fall back, then the offerer retries.
    const firstPath = bob.upgrade.path!;
    (firstPath as unknown as { pc: RTCPeerConnection }).pc.close();
    await until(() => alice.log.some((entry) => entry.startsWith('relay:')), 'the fallback on the other side');
    await until(() => bob.log.some((entry) => entry.startsWith('relay:')), 'the fallback on the side that lost its path');
    await until(
      () => alice.upgrade.transport === 'direct' && bob.upgrade.transport === 'direct' && bob.upgrade.path !== firstPath,
      'the second upgrade',
      30_000,
    );
    expect(alice.log[0]).toBe('direct');
    expect(alice.log.filter((entry) => entry === 'direct')).toHaveLength(2);
    expect(alice.upgrade.path!.send({ n: 2 })).toBe(true);
    await until(() => bob.frames.length === 2, 'a frame over the second path');
    expect(bob.frames[1]).toEqual({ n: 2 });
    await eventually(async () => expect(await transportOnServer()).toBe('direct'), 10_000);
    expect(harness.service.relayStats().relayedMessages).toBe(relayedBefore);
  });

  it('stays on the relay, trying nothing, when the gateway does not allow it', async () => {
    await harness.close();
    harness = await startGateway({ webrtc: { canUpgrade: () => false } });
    a = await protocol3Socket(harness, 'A');
    b = await protocol3Socket(harness, 'B');
    await pairSockets(a, b, 'B');
    const alice = side(a, 'A', 'B');
    alice.upgrade.start();
    await until(() => alice.log.length > 0, 'the verdict');
    expect(alice.log).toEqual(['unavailable:the gateway does not allow a direct path for this pairing']);
    expect(alice.upgrade.transport).toBe('relay');
    expect(harness.service.relayStats().signals).toBe(0);
  });
});
