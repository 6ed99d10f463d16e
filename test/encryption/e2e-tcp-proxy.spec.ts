import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from '@jest/globals';
import type { INestApplication } from '@nestjs/common';
import { type Socket, io } from 'socket.io-client';
import { P2pClient } from '../../packages/client/src/index.js';
import { eventually } from '../support/eventually.js';
import { whenConnected } from '../support/wire.js';
import { RecordingProxy } from './recording-proxy.js';

const EVENT_MARK = 'tcpEvtMARKQZ';
const ARG_MARK = 'tcpArgMARKQZ';
const REPLY_MARK = 'tcpReplyMARKQZ';
const MESSAGES = 2_000;
const ACKS = 50;

/** The gateway of `npm start` (sample/main.ts, sample/app.module.ts: its options as they are, the store in memory). */
async function startSampleGateway(): Promise<INestApplication> {
  const redisUrl = process.env.REDIS_URL;
  delete process.env.REDIS_URL;
  try {
    const { startSampleServer } = await import('../../sample/main.js');
    return await startSampleServer(0, ['error', 'warn']);
  } finally {
    if (redisUrl !== undefined) process.env.REDIS_URL = redisUrl;
  }
}

async function clientOf(url: string, clientId: string, e2e: boolean, sockets: Socket[]): Promise<P2pClient<Socket>> {
  const socket = io(url, { transports: ['websocket'], forceNew: true, autoConnect: false, reconnection: false });
  sockets.push(socket);
  const client = new P2pClient(socket, { clientId, e2e });
  socket.connect();
  await whenConnected(socket);
  return client;
}

describe('end-to-end encryption against the sample gateway, one client through a TCP proxy that records every byte', () => {
  let gateway: INestApplication | undefined;
  let proxy: RecordingProxy | undefined;
  const sockets: Socket[] = [];
  afterEach(async () => {
    for (const socket of sockets.splice(0)) socket.disconnect();
    await proxy?.close();
    await gateway?.close();
  });

  async function conversation(e2e: boolean) {
    gateway = await startSampleGateway();
    const port = (gateway.getHttpServer().address() as AddressInfo).port;
    proxy = await RecordingProxy.start(port);
    const a = await clientOf(proxy.url, 'A', e2e, sockets);
    const b = await clientOf(`http://127.0.0.1:${port}`, 'B', e2e, sockets);
    const got: number[] = [];
    b.socket.on(`${EVENT_MARK}-note`, (i: number, text: string) => text === `${ARG_MARK} ${i}` && got.push(i));
    b.socket.on(`${EVENT_MARK}-ask`, (i: number, reply: (answer: string) => void) => reply(`${REPLY_MARK} ${i}`));
    await a.pair('B');
    await eventually(() => expect(b.state).toBe('paired'), 10_000);
    const replies: Promise<unknown>[] = [];
    for (let i = 0; i < MESSAGES; i++) {
      if (!a.emit(`${EVENT_MARK}-note`, i, `${ARG_MARK} ${i}`)) await a.drained();
      if (i % (MESSAGES / ACKS) === 0) replies.push(a.emitWithAck(`${EVENT_MARK}-ask`, i));
    }
    const answers = await Promise.all(replies);
    expect(answers).toEqual([...Array(ACKS).keys()].map((k) => `${REPLY_MARK} ${k * (MESSAGES / ACKS)}`));
    await eventually(() => expect(got).toHaveLength(MESSAGES), 60_000);
    expect(got).toEqual([...Array(MESSAGES).keys()]);
    // The proxy carried A's side of it all.
    expect(proxy.bytes()).toBeGreaterThan(MESSAGES * 20);
    return { a, b, proxy };
  }

  it(`with e2e: ${MESSAGES} messages and ${ACKS} acks delivered, no marker in the recorded traffic, equal codes`, async () => {
    const { a, b, proxy } = await conversation(true);
    expect(a.secure && b.secure).toBe(true);
    expect(a.verificationCode).toMatch(/^\d{6}$/);
    expect(a.verificationCode).toBe(b.verificationCode);
    for (const marker of [EVENT_MARK, ARG_MARK, REPLY_MARK]) expect([marker, proxy.count(marker)]).toEqual([marker, 0]);
  }, 120_000);

  it('without e2e, the same recording holds every marker (so the proxy does see the traffic)', async () => {
    const { proxy } = await conversation(false);
    expect(proxy.count(EVENT_MARK)).toBeGreaterThanOrEqual(MESSAGES);
    expect(proxy.count(ARG_MARK)).toBeGreaterThanOrEqual(MESSAGES);
    expect(proxy.count(REPLY_MARK)).toBeGreaterThanOrEqual(ACKS);
  }, 120_000);
});
