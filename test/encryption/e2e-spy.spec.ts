import { afterEach, describe, expect, it } from '@jest/globals';
import type { Socket } from 'socket.io-client';
import type { P2pClient } from '../../packages/client/src/index.js';
import { type GatewayHarness, startGateway } from '../support/gateway-harness.js';
import { eventually } from '../support/eventually.js';
import { cutConnection } from '../support/network-cut.js';
import { reconnectingClient } from '../grace/grace-support.js';
import { readAll } from '../streams/stream-support.js';
import { type Spy, spyOn } from './e2e-gateway.js';

/** Markers the app puts in its event names, arguments, ack replies and a stream's bytes: the spy looks for them. */
const EVENT_MARK = 'evtMARKQZ';
const ARG_MARK = 'argMARKQZ';
const BINARY_MARK = 'binMARKQZ';
const REPLY_MARK = 'replyMARKQZ';
const STREAM_MARK = 'streamMARKQZ';
const MESSAGES = 10_000;
const ACKS = 50;

/**
 * A pair through a gateway that records every engine.io packet it receives and sends (a Socket.IO server hook, so
 * packets as they are on the wire, WebSocket framing and masking aside): `MESSAGES` messages with markers in their
 * event names, text and binary arguments, `ACKS` emitWithAck whose replies carry a marker, a stream of marked bytes,
 * and a cut of A's connection in the middle. Resolves with what the spy recorded.
 */
async function conversation(gw: GatewayHarness, spy: Spy, e2e: boolean): Promise<{ a: P2pClient<Socket>; b: P2pClient<Socket> }> {
  const a = await reconnectingClient(gw, 'A', { e2e });
  const b = await reconnectingClient(gw, 'B', { e2e });
  const got: number[] = [];
  b.socket.on(`${EVENT_MARK}-note`, (i: number, text: string, bin: Buffer) => {
    if (text === `${ARG_MARK} ${i}` && Buffer.from(bin).toString() === `${BINARY_MARK}${i}`) got.push(i);
  });
  b.socket.on(`${EVENT_MARK}-ask`, (i: number, reply: (answer: string) => void) => reply(`${REPLY_MARK} ${i}`));
  b.on('stream', (incoming) => {
    incoming.accept();
    void readAll(incoming.readable).then((data) => b.emit('stream-read', Buffer.from(data).toString()));
  });
  let resumes = 0;
  a.on('resumed', () => resumes++);
  await a.pair('B');
  await eventually(() => expect(b.state).toBe('paired'));
  const replies: Promise<unknown>[] = [];
  for (let i = 0; i < MESSAGES; i++) {
    if (!a.emit(`${EVENT_MARK}-note`, i, `${ARG_MARK} ${i}`, Buffer.from(`${BINARY_MARK}${i}`))) await a.drained();
    if (i % (MESSAGES / ACKS) === 0) replies.push(a.emitWithAck(`${EVENT_MARK}-ask`, i));
    if (i === MESSAGES / 2) await cutConnection(a.socket);
  }
  const streamText = STREAM_MARK.repeat(5_000);
  const streamRead = new Promise<string>((resolve) => a.socket.once('stream-read', resolve));
  await a.sendStream(new TextEncoder().encode(streamText));
  expect(await streamRead).toBe(streamText);
  const answers = await Promise.all(replies);
  expect(answers).toHaveLength(ACKS);
  expect(answers.every((answer) => typeof answer === 'string' && answer.startsWith(REPLY_MARK))).toBe(true);
  await eventually(() => expect(got).toHaveLength(MESSAGES), 60_000);
  expect(got).toEqual([...Array(MESSAGES).keys()]);
  expect(resumes).toBe(1);
  // The spy saw the traffic (both ways, both clients): at least a packet per message.
  expect(spy.packets.length).toBeGreaterThan(MESSAGES);
  return { a, b };
}

describe('end-to-end encryption: what the gateway sees', () => {
  let gw: GatewayHarness;
  afterEach(async () => gw?.close());

  it(`with e2e on, none of the markers of ${MESSAGES} messages, ${ACKS} ack replies and a stream crosses the gateway, across a cut`, async () => {
    gw = await startGateway({ reconnectGraceMs: 10_000 });
    const spy = spyOn(gw);
    const { a, b } = await conversation(gw, spy, true);
    expect(a.secure && b.secure).toBe(true);
    expect(a.verificationCode).toBe(b.verificationCode);
    for (const marker of [EVENT_MARK, ARG_MARK, BINARY_MARK, REPLY_MARK, STREAM_MARK])
      expect([marker, spy.count(marker)]).toEqual([marker, 0]);
    // The gateway still relays: frames it cannot read.
    expect(spy.count('P2P_FRAME')).toBeGreaterThan(MESSAGES);
  }, 120_000);

  it('with e2e off, the same spy finds every kind of marker (so it does look)', async () => {
    gw = await startGateway({ reconnectGraceMs: 10_000 });
    const spy = spyOn(gw);
    await conversation(gw, spy, false);
    for (const marker of [EVENT_MARK, ARG_MARK, BINARY_MARK, REPLY_MARK, STREAM_MARK]) expect(spy.count(marker)).toBeGreaterThan(0);
    expect(spy.count(EVENT_MARK)).toBeGreaterThanOrEqual(MESSAGES);
  }, 120_000);
});
