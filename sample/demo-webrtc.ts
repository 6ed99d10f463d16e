// `npm run demo:webrtc`: two P2pClients pair through an in-memory gateway, upgrade to a WebRTC data channel, message
// each other directly, drop to the relay when the channel dies, and upgrade again. Loopback only: the gateway listens on
// 127.0.0.1, node-datachannel binds ICE to 127.0.0.1, and no STUN/TURN server is configured.
import 'reflect-metadata';
import { deepStrictEqual, strictEqual } from 'node:assert/strict';
import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import nodeDataChannel from 'node-datachannel';
import { RTCPeerConnection } from 'node-datachannel/polyfill';
import { Registry } from 'prom-client';
import { io } from 'socket.io-client';
import { P2pClient, type P2pTransport, iceServersForNodeDataChannel } from '../packages/client/src/index.js';
import { P2pModule } from '../packages/server/src/index.js';
import { P2pMetricsService } from '../packages/server/src/metrics/p2p-metrics.service.js';
import { describeError } from './sample-client.js';

/** The whole demo must finish within this bound, or it fails. */
const DEMO_BOUND_MS = 90_000;
/** Longest wait for one step (an upgrade, a fallback, messages). */
const STEP_BOUND_MS = 30_000;

@Module({ imports: [P2pModule.forRoot({ webrtc: {}, metrics: { registry: new Registry(), path: false } })] })
class DemoGatewayModule {}

function print(who: string, line: string): void {
  console.log(`[${who}] ${line}`);
}

function fail(error: unknown): never {
  console.error(`\ndemo:webrtc FAILED: ${describeError(error)}`);
  process.exit(1);
}

async function until(check: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + STEP_BOUND_MS;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** A client whose peer connections are kept, so that the demo can kill one. */
function demoClient(url: string, clientId: string) {
  const connections: RTCPeerConnection[] = [];
  class Kept extends RTCPeerConnection {
    constructor(config: RTCConfiguration) {
      super(config);
      connections.push(this);
    }
  }
  const client = new P2pClient(io(url, { transports: ['websocket'], reconnection: false, autoConnect: false }), {
    clientId,
    webrtc: {
      RTCPeerConnection: Kept,
      adaptIceServers: iceServersForNodeDataChannel,
      peerConnectionConfig: { bindAddress: '127.0.0.1' },
      backoff: { initialDelayMs: 500, maxDelayMs: 2_000 },
    },
  });
  const transports: P2pTransport[] = [];
  client.on('transport', (transport) => {
    transports.push(transport);
    print(clientId, `transport: ${transport}`);
  });
  client.on('error', (error) => print(clientId, `error: ${error.code} ${error.message}`));
  return { client, connections, transports };
}

async function runDemo(): Promise<void> {
  const app = await NestFactory.create(DemoGatewayModule, { logger: ['error'] });
  await app.listen(0, '127.0.0.1');
  const { port } = app.getHttpServer().address() as { port: number };
  const url = `http://127.0.0.1:${port}`;
  const meter = app.get(P2pMetricsService).meter!;
  const relayed = () => meter.relayedMessages.emit + meter.relayedMessages.ack + meter.relayedMessages.frame;
  print('server', `in-memory gateway on ${url}, webrtc on (host candidates on 127.0.0.1 only)`);

  const a = demoClient(url, 'A');
  const b = demoClient(url, 'B');
  const atB: number[] = [];
  b.client.socket.on('count', (n: number) => atB.push(n));
  b.client.socket.on('ask', (question: string, reply: (answer: string) => void) => reply(`B read "${question}"`));
  try {
    for (const side of [a, b]) {
      side.client.socket.connect();
      await new Promise<void>((resolve) => side.client.socket.once('connect', () => resolve()));
    }
    await a.client.pair('B');
    print('A', 'paired with B (transport: relay)');
    await until(() => a.client.transport === 'direct' && b.client.transport === 'direct', 'the upgrade');

    let before = relayed();
    for (let n = 1; n <= 50; n++) a.client.emit('count', n);
    print('A', `answer: ${String(await a.client.emitWithAck('ask', 'hello over the data channel'))}`);
    await until(() => atB.length === 50 && a.client.unconfirmed === 0, '50 messages over the data channel');
    strictEqual(relayed() - before, 0, 'the gateway relayed no application message while direct');
    print('server', `messages relayed by the gateway while direct: ${relayed() - before}`);

    print('demo', "killing B's peer connection mid-stream");
    for (let n = 51; n <= 150; n++) {
      a.client.emit('count', n);
      if (n === 100) b.connections.at(-1)!.close();
    }
    await until(() => a.transports.includes('relay') && b.transports.includes('relay'), 'the fallback');
    await until(() => atB.length === 150 && a.client.unconfirmed === 0, 'the messages sent across the fallback');
    print('server', `messages relayed by the gateway during the fallback: ${relayed() - before}`);

    await until(
      () => a.client.transport === 'direct' && b.client.transport === 'direct' && b.connections.length >= 2,
      'the second upgrade',
    );
    before = relayed();
    for (let n = 151; n <= 200; n++) a.client.emit('count', n);
    print('A', `answer: ${String(await a.client.emitWithAck('ask', 'hello again'))}`);
    await until(() => atB.length === 200 && a.client.unconfirmed === 0, '50 more messages over the new data channel');
    strictEqual(relayed() - before, 0, 'the gateway relayed no application message after the second upgrade');
    deepStrictEqual(
      atB,
      Array.from({ length: 200 }, (_, i) => i + 1),
      'B got 1..200 once each, in order',
    );
    deepStrictEqual(a.transports, ['direct', 'relay', 'direct']);
    deepStrictEqual(b.transports, ['direct', 'relay', 'direct']);
    await a.client.unpair();
  } finally {
    for (const side of [a, b]) {
      side.client.dispose();
      side.client.socket.disconnect();
    }
    await app.close();
    nodeDataChannel.cleanup();
  }
  print('demo', 'OK: upgraded, 200 messages in order with none lost or doubled, fell back to the relay, upgraded again');
}

setTimeout(() => fail(new Error(`not finished after ${DEMO_BOUND_MS / 1000} s`)), DEMO_BOUND_MS).unref();
runDemo().then(() => process.exit(0), fail);
