import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from '@jest/globals';
import { type Socket, io } from 'socket.io-client';
import { P2pClient } from '../../packages/client/src/index.js';
import { eventually } from '../support/eventually.js';
import { cutConnection } from '../support/network-cut.js';
import { whenConnected } from '../support/wire.js';
import { FAST_RECONNECT } from '../grace/grace-support.js';
import { bytes, receiveHashed, sha256, spyChunks } from './stream-support.js';

const here = (file: string) => fileURLToPath(new URL(file, import.meta.url));
const MiB = 1024 * 1024;

/** The gateway of `npm start` in its own process (sample-gateway.main.ts), run from the TypeScript sources. */
class SampleGateway {
  url = '';
  private nextId = 0;
  constructor(private readonly child: ChildProcess) {}

  static async start(): Promise<SampleGateway> {
    const { NODE_OPTIONS: _jestFlags, ...env } = process.env;
    const child = spawn(
      process.execPath,
      ['--expose-gc', '--import', here('../cluster/support/ts-register.mjs'), here('./sample-gateway.main.ts')],
      { env: { ...env, NO_COLOR: '1' }, stdio: ['ignore', 'ignore', 'inherit', 'ipc'] },
    );
    const gateway = new SampleGateway(child);
    const [ready] = (await once(child, 'message')) as [{ type: string; port: number }];
    gateway.url = `http://127.0.0.1:${ready.port}`;
    return gateway;
  }

  async rss(gc = false): Promise<number> {
    const id = this.nextId++;
    const reply = new Promise<number>((resolve) => {
      const listener = (message: { type?: string; id?: number; rss?: number }) => {
        if (message.type !== 'rss' || message.id !== id) return;
        this.child.off('message', listener);
        resolve(message.rss!);
      };
      this.child.on('message', listener);
    });
    this.child.send({ type: 'rss', id, gc });
    return reply;
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null) return;
    const exited = once(this.child, 'exit');
    this.child.send({ type: 'close' });
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
  }
}

async function clientOf(url: string, clientId: string): Promise<P2pClient<Socket>> {
  const socket = io(url, { transports: ['websocket'], forceNew: true, autoConnect: false, ...FAST_RECONNECT });
  const client = new P2pClient(socket, { clientId });
  socket.connect();
  await whenConnected(socket);
  return client;
}

describe('streams through the gateway of npm start, in a process of its own', () => {
  let gateway: SampleGateway | undefined;
  const clients: P2pClient<Socket>[] = [];
  afterEach(async () => {
    for (const client of clients.splice(0)) client.socket.disconnect();
    await gateway?.stop();
  });

  it("moves 32 MiB through four abrupt cuts: equal digests, 33,554,432 bytes, the gateway's RSS grows by at most 64 MB", async () => {
    gateway = await SampleGateway.start();
    const a = await clientOf(gateway.url, 'A');
    const b = await clientOf(gateway.url, 'B');
    clients.push(a, b);
    await a.pair('B');
    await eventually(() => expect(b.state).toBe('paired'));
    const baseline = await gateway.rss(true);
    let peak = baseline;
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        peak = Math.max(peak, await gateway!.rss());
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    })();
    const data = bytes(32 * MiB);
    const spy = spyChunks(a.socket);
    const received = receiveHashed(b);
    const sending = a.sendStream(data);
    for (let i = 0; i < 4; i++) {
      const before = spy.bytes;
      await eventually(() => expect(spy.bytes).toBeGreaterThan(before + 5 * MiB), 30_000);
      const side = i % 2 === 0 ? b : a;
      await eventually(() => expect(side.state).toBe('paired'), 10_000);
      await cutConnection(side.socket);
    }
    const receipt = await sending;
    const got = await received;
    sampling = false;
    await sampler;
    expect(receipt.bytes).toBe(33_554_432);
    expect(got.bytes).toBe(33_554_432);
    expect(got.sha256).toBe(sha256(data));
    expect(receipt.sha256).toBe(got.sha256);
    expect(peak - baseline).toBeLessThanOrEqual(64 * 1000 * 1000);
  }, 180_000);
});
