import { afterEach, describe, expect, it } from '@jest/globals';
import type { Socket } from 'socket.io-client';
import type { P2pClient } from '../../packages/client/src/index.js';
import { P2pEvent } from '../../packages/protocol/src/index.js';
import { type GatewayHarness, connectClient, startGateway } from '../support/gateway-harness.js';
import { eventually } from '../support/eventually.js';
import { resetStalled, resumeReading, stopReading } from '../support/network-cut.js';

/**
 * The first messages of a fresh pairing. Every client here has a retransmit timer far longer than the test may run:
 * a message is delivered only if its first frame is, and counting the numbered frames a sender writes shows none went
 * twice.
 */
const NO_RETRANSMIT = { reliable: { retransmitMs: 600_000, maxRetransmitMs: 600_000 } };

/** Counts the numbered frames (those carrying a message) a client writes to the gateway. */
function numberedFramesOf(client: P2pClient<Socket>): { count: number } {
  const written = { count: 0 };
  client.socket.io.engine.on('packetCreate', (packet: { data?: unknown }) => {
    if (typeof packet.data === 'string' && packet.data.includes(`"${P2pEvent.FRAME}",{"s":`)) written.count++;
  });
  return written;
}

function received(client: P2pClient<Socket>, event: string): number[] {
  const values: number[] = [];
  client.socket.on(event, (n: number) => values.push(n));
  return values;
}

describe('reliable channel: the first messages of a fresh pairing', () => {
  let gw: GatewayHarness;
  afterEach(async () => {
    resetStalled();
    await gw.close();
  });

  it('frames that reach the target in the same read as its pairing ack are delivered, each sent once (a whole window)', async () => {
    gw = await startGateway();
    const source = await connectClient(gw, 'source', NO_RETRANSMIT);
    // The target stops reading as it consents: its ack and the source's first frames then arrive in one read.
    const target: P2pClient<Socket> = await connectClient(gw, 'target', {
      ...NO_RETRANSMIT,
      consent: () => {
        stopReading(target.socket);
        return true;
      },
    });
    const frames = numberedFramesOf(source);
    const got = received(target, 'm');
    const relayedBefore = gw.service.relayStats().relayedMessages;
    await source.pair('target');
    // The default window, as many as a sender has in flight before any confirmation.
    const count = 1024;
    for (let n = 0; n < count; n++) source.emit('m', n);
    await eventually(() => expect(gw.service.relayStats().relayedMessages - relayedBefore).toBe(count), 10_000);
    expect(target.state).toBe('asked'); // it has not read its ack yet
    resumeReading(target.socket);

    await eventually(() => expect(got).toHaveLength(count), 10_000);
    expect(got).toEqual(Array.from({ length: count }, (_, n) => n));
    await eventually(() => expect(source.unconfirmed).toBe(0));
    expect(frames.count).toBe(count);
  });

  it('frames that reach the source before its own pairing ack (the target wrote first) are delivered, each sent once', async () => {
    gw = await startGateway();
    const source = await connectClient(gw, 'source', NO_RETRANSMIT);
    const target = await connectClient(gw, 'target', NO_RETRANSMIT);
    const frames = numberedFramesOf(target);
    const got = received(source, 'm');
    target.on('paired', () => {
      for (let n = 0; n < 10; n++) target.emit('m', n);
    });
    const relayedBefore = gw.service.relayStats().relayedMessages;
    const pairing = source.pair('target');
    stopReading(source.socket); // its request is written; the ack and the target's frames pile up unread
    await eventually(() => expect(gw.service.relayStats().relayedMessages - relayedBefore).toBe(10));
    expect(source.state).toBe('pairing');
    resumeReading(source.socket);
    await pairing;

    await eventually(() => expect(got).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]), 10_000);
    await eventually(() => expect(target.unconfirmed).toBe(0));
    expect(frames.count).toBe(10);
  });

  it('60 fresh pairings, 5 at a time, ten messages each the moment pair() resolves: all delivered, no frame sent twice', async () => {
    gw = await startGateway();
    const messages = 10;
    const frames = { count: 0 };
    const pairing = async (id: string): Promise<void> => {
      const target = await connectClient(gw, `t-${id}`, NO_RETRANSMIT);
      const source = await connectClient(gw, `s-${id}`, NO_RETRANSMIT);
      const written = numberedFramesOf(source);
      const got = received(target, 'm');
      await source.pair(`t-${id}`);
      for (let n = 0; n < messages; n++) source.emit('m', n);
      await eventually(() => expect(got).toHaveLength(messages), 10_000);
      await eventually(() => expect(source.unconfirmed).toBe(0));
      expect(got).toEqual(Array.from({ length: messages }, (_, n) => n));
      frames.count += written.count;
      source.socket.disconnect();
      target.socket.disconnect();
    };
    for (let batch = 0; batch < 12; batch++) {
      await Promise.all([0, 1, 2, 3, 4].map((i) => pairing(`${batch}-${i}`)));
    }
    expect(frames.count).toBe(60 * messages);
  }, 60_000);
});
