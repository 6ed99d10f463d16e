import { afterEach, describe, expect, it } from '@jest/globals';
import type { Socket } from 'socket.io-client';
import { type GatewayHarness, connectClient, settle, startGateway, waitFor } from '../support/gateway-harness.js';
import {
  connectRaw,
  connectRawV2,
  emitWithAck,
  eventually,
  expectHealthyPair,
  expectNoEvent,
  nextP2pError,
  pairRaw,
  roundTrip,
  spyAck,
  watchNothing,
} from '../support/wire.js';

const ACK_TIMEOUT_MS = 300;

function errorOf(code: string, event: string) {
  return { code, message: expect.any(String), event };
}

describe('gateway: relay', () => {
  let gw: GatewayHarness;
  afterEach(() => gw.close());

  /** A and B paired (A declaring protocol 2 when asked), C and D paired too, as bystanders. */
  async function start(protocolOfA: 1 | 2 = 1): Promise<{ a: Socket; b: Socket; c: Socket; d: Socket }> {
    gw = await startGateway({ ackTimeoutMs: ACK_TIMEOUT_MS });
    const a = protocolOfA === 2 ? await connectRawV2(gw, 'A') : await connectRaw(gw, 'A');
    const [b, c, d] = await Promise.all([connectRaw(gw, 'B'), connectRaw(gw, 'C'), connectRaw(gw, 'D')]);
    await pairRaw(a, b, 'B');
    await pairRaw(c, d, 'D');
    return { a, b, c, d };
  }

  describe('P2P_EMIT', () => {
    it('delivers event(...args) to the peer only; the bystanders get nothing', async () => {
      const { a, b, c, d } = await start();
      const delivered = waitFor(b, 'chat');
      const bystanders = watchNothing([c, d]);
      a.emit('P2P_EMIT', { targetClientId: 'B', event: 'chat', args: [{ a: 1 }, 'b', 2, [3], null] });
      expect(await delivered).toEqual([{ a: 1 }, 'b', 2, [3], null]);
      await bystanders.verify();
    });

    it('delivers to the current peer when targetClientId is omitted, and with args omitted', async () => {
      const { a, b } = await start();
      const first = waitFor(b, 'no-target');
      a.emit('P2P_EMIT', { event: 'no-target', args: ['x'] });
      expect(await first).toEqual(['x']);
      const second = waitFor(a, 'no-args');
      b.emit('P2P_EMIT', { event: 'no-args' });
      expect(await second).toEqual([]);
    });

    it('refuses TARGET_NOT_PEER when targetClientId names someone else; that client gets nothing', async () => {
      const { a, b, c } = await start();
      const error = nextP2pError(a);
      const silence = watchNothing([b, c]);
      a.emit('P2P_EMIT', { targetClientId: 'C', event: 'chat', args: [1] });
      expect(await error).toEqual(errorOf('TARGET_NOT_PEER', 'P2P_EMIT'));
      await silence.verify();
    });

    it('refuses NOT_PAIRED for a client with no peer', async () => {
      gw = await startGateway();
      const [a, b] = await Promise.all([connectRaw(gw, 'A'), connectRaw(gw, 'B')]);
      const error = nextP2pError(a);
      const silence = watchNothing([b], 'chat');
      a.emit('P2P_EMIT', { targetClientId: 'B', event: 'chat', args: [] });
      expect(await error).toEqual(errorOf('NOT_PAIRED', 'P2P_EMIT'));
      await silence.verify();
    });

    it.each(['connect', 'disconnect', 'connect_error', 'error', 'P2P_REGISTER', 'P2P_DISCONNECT', 'LIST_CLIENTS', 'P2P_anything'])(
      'refuses RESERVED_EVENT for "%s" and delivers nothing',
      async (event) => {
        const { a, b } = await start();
        const error = nextP2pError(a);
        const silence = watchNothing([b]);
        a.emit('P2P_EMIT', { targetClientId: 'B', event, args: ['B'] });
        expect(await error).toEqual(errorOf('RESERVED_EVENT', 'P2P_EMIT'));
        await silence.verify();
        expect(await gw.service.peerOf('B')).toBe('A');
      },
    );

    it('with an ack: ack(null) once delivered, ack({code}) on failure and no P2P_ERROR', async () => {
      const { a, b } = await start();
      const delivered = waitFor(b, 'acked');
      expect(await emitWithAck(a, 'P2P_EMIT', { event: 'acked', args: [7] })).toEqual([null]);
      expect(await delivered).toEqual([7]);
      const noEvent = watchNothing([a], 'P2P_ERROR');
      expect(await emitWithAck(a, 'P2P_EMIT', { targetClientId: 'C', event: 'acked', args: [] })).toEqual([
        errorOf('TARGET_NOT_PEER', 'P2P_EMIT'),
      ]);
      expect(await emitWithAck(a, 'P2P_EMIT', { event: 'P2P_x', args: [] })).toEqual([errorOf('RESERVED_EVENT', 'P2P_EMIT')]);
      await noEvent.verify();
    });

    it('relays Buffers intact, top-level and nested', async () => {
      const { a, b } = await start();
      const bytes = Buffer.from([0, 1, 2, 127, 128, 254, 255]);
      const delivered = waitFor<[Buffer, { nested: Buffer; text: string }]>(b, 'bin');
      a.emit('P2P_EMIT', { event: 'bin', args: [bytes, { nested: Buffer.from('héllo'), text: 'plain' }] });
      const [top, obj] = await delivered;
      expect(Buffer.from(top).equals(bytes)).toBe(true);
      expect(Buffer.from(obj.nested).toString()).toBe('héllo');
      expect(obj.text).toBe('plain');
    });

    it('through P2pClient: emit() reaches the peer socket; an unpaired emit() surfaces NOT_PAIRED as the error event', async () => {
      gw = await startGateway();
      const target = await connectClient(gw, 'B');
      const source = await connectClient(gw, 'A');
      const lonely = await connectClient(gw, 'C');
      const error = waitFor(lonely, 'error');
      lonely.emit('hello', 1);
      expect((await error)[0]).toMatchObject({ name: 'P2pError', code: 'NOT_PAIRED' });
      await source.pair('B');
      const delivered = waitFor(target.socket, 'hello');
      source.emit('hello', 'from A', 2);
      expect(await delivered).toEqual(['from A', 2]);
    });
  });

  describe('P2P_EMIT_ACKNOWLEDGE', () => {
    it('protocol 1: delivers event(...args, cb) and the peer results reach ack(...results)', async () => {
      const { a, b } = await start(1);
      b.on('compute', (x: number, y: string, cb: (...r: unknown[]) => void) => cb(x * 2, `${y}!`, { ok: true }));
      expect(await emitWithAck(a, 'P2P_EMIT_ACKNOWLEDGE', { targetClientId: 'B', event: 'compute', args: [21, 'hi'] })).toEqual([
        42,
        'hi!',
        { ok: true },
      ]);
    });

    it('protocol 1: a failure arrives as P2P_ERROR and the ack is never called', async () => {
      const { a, b } = await start(1);
      const { ack, calls } = spyAck();
      const error = nextP2pError(a);
      a.emit('P2P_EMIT_ACKNOWLEDGE', { targetClientId: 'C', event: 'compute', args: [] }, ack);
      expect(await error).toEqual(errorOf('TARGET_NOT_PEER', 'P2P_EMIT_ACKNOWLEDGE'));
      await expectNoEvent(b, 'compute');
      expect(calls).toEqual([]);
    });

    it('protocol 2: ack(null, ...results) on success, ack({code}) on failure', async () => {
      const { a, b } = await start(2);
      b.on('compute', (x: number, cb: (...r: unknown[]) => void) => cb(x + 1, null, 'third'));
      expect(await emitWithAck(a, 'P2P_EMIT_ACKNOWLEDGE', { event: 'compute', args: [1] })).toEqual([null, 2, null, 'third']);
      const noEvent = watchNothing([a], 'P2P_ERROR');
      expect(await emitWithAck(a, 'P2P_EMIT_ACKNOWLEDGE', { event: 'disconnect', args: [] })).toEqual([
        errorOf('RESERVED_EVENT', 'P2P_EMIT_ACKNOWLEDGE'),
      ]);
      await noEvent.verify();
    });

    it('protocol 2: a peer that acks with nothing gives ack(null)', async () => {
      const { a, b } = await start(2);
      b.on('empty', (cb: () => void) => cb());
      expect(await emitWithAck(a, 'P2P_EMIT_ACKNOWLEDGE', { event: 'empty', args: [] })).toEqual([null]);
    });

    it('protocol 2, unpaired: ack({code: NOT_PAIRED})', async () => {
      gw = await startGateway();
      const a = await connectRawV2(gw, 'A');
      expect(await emitWithAck(a, 'P2P_EMIT_ACKNOWLEDGE', { event: 'x', args: [] })).toEqual([
        errorOf('NOT_PAIRED', 'P2P_EMIT_ACKNOWLEDGE'),
      ]);
    });

    it('protocol 2: ACK_TIMEOUT when the peer never acks', async () => {
      const { a, b } = await start(2);
      const received = waitFor(b, 'ignored');
      const answer = emitWithAck(a, 'P2P_EMIT_ACKNOWLEDGE', { event: 'ignored', args: ['q'] });
      expect((await received)[0]).toBe('q');
      expect(await answer).toEqual([errorOf('ACK_TIMEOUT', 'P2P_EMIT_ACKNOWLEDGE')]);
      expect((await answer)[0]).toMatchObject({ message: expect.stringContaining('"ignored"') });
      expect(await gw.service.peerOf('A')).toBe('B');
    });

    it('protocol 1: ACK_TIMEOUT arrives as P2P_ERROR, the ack is never called, and a late peer ack is dropped', async () => {
      const { a, b } = await start(1);
      let lateAck: ((...r: unknown[]) => void) | undefined;
      b.on('slow', (cb: (...r: unknown[]) => void) => (lateAck = cb));
      const { ack, calls } = spyAck();
      const error = nextP2pError(a);
      a.emit('P2P_EMIT_ACKNOWLEDGE', { event: 'slow', args: [] }, ack);
      expect(await error).toEqual(errorOf('ACK_TIMEOUT', 'P2P_EMIT_ACKNOWLEDGE'));
      expect(await error).toMatchObject({ message: expect.stringContaining('"slow"') });
      lateAck?.('too late');
      // B's relay back to A is handled after its late ack: had the ack been passed on, A would have it by then.
      await expectHealthyPair(a, b, 'B');
      expect(calls).toEqual([]);
    });

    // Socket.IO keeps its per-emit ack timer running after the peer leaves. These tests outwait it, checking that its
    // firing later does not answer the sender a second time (and so that Jest exits with no timer pending).
    const LEAVE_ACK_TIMEOUT_MS = 1000;

    /**
     * Lets the server's ack timer (armed before this wait, in this same process, so it fires first) run out, then
     * makes a round trip on the sender: a second answer it caused has arrived by then.
     */
    async function outwaitAckTimer(sender: Socket): Promise<void> {
      await settle(LEAVE_ACK_TIMEOUT_MS);
      await roundTrip(sender);
    }

    it('PEER_DISCONNECTED when the peer leaves with the ack outstanding, answered once', async () => {
      gw = await startGateway({ ackTimeoutMs: LEAVE_ACK_TIMEOUT_MS });
      const a = await connectRawV2(gw, 'A');
      const b = await connectRaw(gw, 'B');
      await pairRaw(a, b, 'B');
      const received = waitFor(b, 'never-acked');
      const { ack, calls } = spyAck();
      a.emit('P2P_EMIT_ACKNOWLEDGE', { event: 'never-acked', args: [] }, ack);
      await received;
      b.disconnect();
      await eventually(() => calls.length > 0);
      await outwaitAckTimer(a);
      expect(calls).toEqual([[errorOf('PEER_DISCONNECTED', 'P2P_EMIT_ACKNOWLEDGE')]]);
    });

    it('PEER_DISCONNECTED for a protocol 1 sender arrives as one P2P_ERROR', async () => {
      gw = await startGateway({ ackTimeoutMs: LEAVE_ACK_TIMEOUT_MS });
      const [a, b] = await Promise.all([connectRaw(gw, 'A'), connectRaw(gw, 'B')]);
      await pairRaw(a, b, 'B');
      const received = waitFor(b, 'never-acked');
      const { ack, calls } = spyAck();
      const errors: unknown[] = [];
      a.on('P2P_ERROR', (payload: unknown) => errors.push(payload));
      a.emit('P2P_EMIT_ACKNOWLEDGE', { event: 'never-acked', args: [] }, ack);
      await received;
      b.disconnect();
      await eventually(() => errors.length > 0);
      await outwaitAckTimer(a);
      expect(errors).toEqual([errorOf('PEER_DISCONNECTED', 'P2P_EMIT_ACKNOWLEDGE')]);
      expect(calls).toEqual([]);
    });

    it('relays Buffers intact both ways: in the args and in the peer results', async () => {
      const { a, b } = await start(2);
      const request = Buffer.from([9, 8, 7, 0, 255]);
      b.on('echo-bin', (data: Buffer, cb: (...r: unknown[]) => void) => cb(Buffer.from(data).reverse(), { copy: data }));
      const [error, reversed, wrapped] = (await emitWithAck(a, 'P2P_EMIT_ACKNOWLEDGE', { event: 'echo-bin', args: [request] })) as [
        null,
        Buffer,
        { copy: Buffer },
      ];
      expect(error).toBeNull();
      expect(Buffer.from(reversed).equals(Buffer.from([255, 0, 7, 8, 9]))).toBe(true);
      expect(Buffer.from(wrapped.copy).equals(request)).toBe(true);
    });

    it('through P2pClient: emitWithAck resolves with the peer result; failures reject with the code', async () => {
      gw = await startGateway({ ackTimeoutMs: ACK_TIMEOUT_MS });
      const target = await connectClient(gw, 'B');
      const source = await connectClient(gw, 'A');
      await expect(source.emitWithAck('sum', 1, 2)).rejects.toMatchObject({ code: 'NOT_PAIRED' });
      await source.pair('B');
      target.socket.on('sum', (x: number, y: number, cb: (r: number) => void) => cb(x + y));
      await expect(source.emitWithAck('sum', 1, 2)).resolves.toBe(3);
      await expect(source.emitWithAck('unanswered')).rejects.toMatchObject({ code: 'ACK_TIMEOUT' });
      await expect(source.emitWithAck('P2P_EMIT')).rejects.toMatchObject({ code: 'RESERVED_EVENT' });
    });
  });
});
