import { Readable } from 'node:stream';
import { afterEach, describe, expect, it } from '@jest/globals';
import { P2pStreamError } from '../../packages/client/src/index.js';
import { RELAY_CREDIT_BYTES } from '../../packages/client/src/streams/stream.options.js';
import { type GatewayHarness, connectClient, startGateway } from '../support/gateway-harness.js';
import { eventually } from '../support/eventually.js';
import { bytes, pairedClients, readAll, receiveNext, sha256, spyChunks } from './stream-support.js';

const CHUNK = 32 * 1024;

describe('streams between a pair: sizes, sources, refusals', () => {
  let gw: GatewayHarness;
  afterEach(() => gw.close());

  it.each([0, 1, CHUNK - 1, CHUNK, CHUNK + 1, 3 * 1024 * 1024 + 7])(
    'carries %i bytes exactly, with equal digests',
    async (size) => {
      gw = await startGateway();
      const [a, b] = await pairedClients(gw);
      const data = bytes(size);
      const spy = spyChunks(a.socket);
      const received = receiveNext(b);
      const progress: number[] = [];
      const receipt = await a.sendStream(data, { meta: { name: 'f.bin' }, onProgress: (n) => progress.push(n) });
      const { incoming, data: got, done } = await received;
      expect(incoming.meta).toEqual({ name: 'f.bin' });
      expect(incoming.size).toBe(size);
      expect(got.byteLength).toBe(size);
      expect(sha256(got)).toBe(sha256(data));
      expect(receipt).toEqual({ id: incoming.id, bytes: size, sha256: sha256(data), offset: 0 });
      expect(done).toEqual({ bytes: size, sha256: sha256(data) });
      expect(spy.bytes).toBe(size);
      expect(spy.chunks).toBe(Math.ceil(size / CHUNK));
      expect(progress).toEqual([...progress].sort((x, y) => x - y));
    },
    60_000,
  );

  it('takes a Blob, a ReadableStream, an AsyncIterable (a Node Readable) and an opener', async () => {
    gw = await startGateway();
    const [a, b] = await pairedClients(gw);
    const data = bytes(200_000);
    const pieces = () => [data.subarray(0, 1000), data.subarray(1000, 150_000), data.subarray(150_000)];
    const sources = [
      new Blob([data]),
      new ReadableStream<Uint8Array>({
        start(controller) {
          for (const piece of pieces()) controller.enqueue(piece);
          controller.close();
        },
      }),
      Readable.from(pieces().map((p) => Buffer.from(p))),
      (offset: number) => Readable.from([Buffer.from(data.subarray(offset))]),
    ];
    for (const source of sources) {
      const received = receiveNext(b);
      const receipt = await a.sendStream(source);
      expect(receipt.sha256).toBe(sha256(data));
      expect(sha256((await received).data)).toBe(sha256(data));
    }
  }, 60_000);

  it('refuses: without a stream listener, by the app, when not paired, for bad arguments; the pairing goes on', async () => {
    gw = await startGateway();
    const [a, b] = await pairedClients(gw);
    await expect(a.sendStream(bytes(10))).rejects.toMatchObject({
      code: 'STREAM_REFUSED',
      message: expect.stringContaining('no stream listener'),
    });
    b.once('stream', (incoming) => incoming.reject('not now'));
    const refused = await a.sendStream(bytes(10)).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(P2pStreamError);
    expect(refused).toMatchObject({ code: 'STREAM_REFUSED', message: expect.stringContaining('not now'), bytes: 0 });
    await expect(a.sendStream('text' as unknown as Uint8Array)).rejects.toMatchObject({ code: 'INVALID_PAYLOAD' });
    await expect(a.sendStream(bytes(10), { meta: { big: 'x'.repeat(9000) } })).rejects.toMatchObject({ code: 'INVALID_PAYLOAD' });
    await expect(a.sendStream(bytes(10), { size: 11 })).rejects.toMatchObject({ code: 'INVALID_PAYLOAD' });
    // The app's own messages never see the streams' internal ones, and still flow.
    const seen: string[] = [];
    // P2P_FRAME is the socket's own event (the channel's frames); the app's messages come out of it.
    b.socket.onAny((event: string) => event !== 'P2P_FRAME' && seen.push(event));
    const hi = new Promise((resolve) => b.socket.once('hi', resolve));
    a.emit('hi', 1);
    await hi;
    expect(seen).toEqual(['hi']);
    expect(a.state).toBe('paired');
    const c = await connectClient(gw, 'C');
    await expect(c.sendStream(bytes(10))).rejects.toMatchObject({ code: 'NOT_PAIRED' });
    // Paired with a protocol 2 client (no reliable channel): no streams, the pairing stays.
    const d = await connectClient(gw, 'D', { reliable: false });
    await c.pair('D');
    await eventually(() => expect(d.state).toBe('paired'));
    await expect(c.sendStream(bytes(10))).rejects.toMatchObject({ code: 'STREAMS_UNSUPPORTED' });
    expect(c.state).toBe('paired');
  }, 30_000);

  it('aborts from either side: both are told', async () => {
    gw = await startGateway();
    const [a, b] = await pairedClients(gw);
    // The sender aborts midway (its signal).
    const controller = new AbortController();
    const incoming1 = new Promise<import('../../packages/client/src/index.js').IncomingStream>((resolve) => b.once('stream', resolve));
    const sending = a.sendStream(bytes(4 * 1024 * 1024), { signal: controller.signal });
    const first = await incoming1;
    first.accept();
    const reader = first.readable.getReader();
    await reader.read();
    controller.abort('changed my mind');
    await expect(sending).rejects.toMatchObject({ code: 'STREAM_ABORTED' });
    await expect(first.done).rejects.toMatchObject({ code: 'STREAM_ABORTED', message: expect.stringContaining('changed my mind') });
    await expect(
      (async () => {
        for (;;) if ((await reader.read()).done) return;
      })(),
    ).rejects.toMatchObject({ code: 'STREAM_ABORTED' });
    // The receiver aborts midway (cancels its readable).
    const incoming2 = new Promise<import('../../packages/client/src/index.js').IncomingStream>((resolve) => b.once('stream', resolve));
    const sending2 = a.sendStream(bytes(4 * 1024 * 1024));
    const second = await incoming2;
    const reader2 = second.readable.getReader();
    await reader2.read();
    await reader2.cancel('full disk');
    await expect(sending2).rejects.toMatchObject({ code: 'STREAM_ABORTED', message: expect.stringContaining('full disk') });
    await expect(second.done).rejects.toMatchObject({ code: 'STREAM_ABORTED' });
    // And the pair carries on with a new stream.
    const received = receiveNext(b);
    const data = bytes(100_000);
    await expect(a.sendStream(data)).resolves.toMatchObject({ bytes: 100_000, sha256: sha256(data) });
    expect(sha256((await received).data)).toBe(sha256(data));
  }, 60_000);

  it('stalls a sender whose receiver does not read: the chunks sent stop at the credit, then all arrive once read', async () => {
    gw = await startGateway();
    const windowBytes = 256 * 1024;
    const [a, b] = await pairedClients(gw, { streams: { windowBytes } });
    const spy = spyChunks(a.socket);
    const incoming = new Promise<import('../../packages/client/src/index.js').IncomingStream>((resolve) => b.once('stream', resolve));
    const data = bytes(8 * 1024 * 1024);
    const sending = a.sendStream(data);
    const stream = await incoming;
    stream.accept();
    // Nothing read: the sender stops at the credit granted (the window), whatever the time.
    await eventually(() => expect(spy.bytes).toBe(windowBytes), 10_000);
    const stalledAt = spy.chunks;
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(spy.chunks).toBe(stalledAt);
    expect(spy.bytes).toBe(windowBytes);
    const got = await readAll(stream.readable);
    await expect(sending).resolves.toMatchObject({ bytes: data.byteLength, sha256: sha256(data) });
    expect(sha256(got)).toBe(sha256(data));
  }, 60_000);

  it('grants at most 1 MiB of credit through the gateway, whatever a larger windowBytes (the default 4 MiB) allows', async () => {
    gw = await startGateway();
    const [a, b] = await pairedClients(gw);
    const spy = spyChunks(a.socket);
    const incoming = new Promise<import('../../packages/client/src/index.js').IncomingStream>((resolve) => b.once('stream', resolve));
    const data = bytes(8 * 1024 * 1024);
    const sending = a.sendStream(data);
    const stream = await incoming;
    stream.accept();
    await eventually(() => expect(spy.bytes).toBe(RELAY_CREDIT_BYTES), 10_000);
    const got = await readAll(stream.readable);
    await expect(sending).resolves.toMatchObject({ bytes: data.byteLength, sha256: sha256(data) });
    expect(sha256(got)).toBe(sha256(data));
  }, 60_000);

  it('runs three streams and plain emits at once: a message sent during the transfers is not held behind them', async () => {
    gw = await startGateway();
    const [a, b] = await pairedClients(gw);
    const files = [bytes(2 * 1024 * 1024), bytes(1024 * 1024 + 5), bytes(3 * 1024 * 1024)];
    const got = new Map<string, Uint8Array>();
    const doneAt = new Map<string, number>();
    let order = 0;
    b.on('stream', (incoming) => {
      incoming.accept();
      void readAll(incoming.readable).then((data) => {
        got.set((incoming.meta as { n: string }).n, data);
        doneAt.set((incoming.meta as { n: string }).n, order++);
      });
    });
    const chat: number[] = [];
    let chatAt = -1;
    b.socket.on('chat', (n: number) => {
      chat.push(n);
      if (n === 2) chatAt = order;
    });
    const sending = files.map((data, i) => a.sendStream(data, { meta: { n: String(i) } }));
    a.emit('chat', 0);
    await new Promise((resolve) => setTimeout(resolve, 200));
    a.emit('chat', 1);
    a.emit('chat', 2);
    const receipts = await Promise.all(sending);
    receipts.forEach((receipt, i) => expect(receipt.sha256).toBe(sha256(files[i]!)));
    files.forEach((data, i) => expect(sha256(got.get(String(i))!)).toBe(sha256(data)));
    expect(chat).toEqual([0, 1, 2]);
    // The last message arrived before any of the streams had finished: it did not wait for 6 MiB of chunks.
    expect(chatAt).toBe(0);
  }, 60_000);
});
