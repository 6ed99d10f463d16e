import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { FrameCodecError, RetryBackoff, decodeFrame, encodeFrame } from '../../packages/client/src/index.js';
import { encodeFrameToSend } from '../../packages/client/src/webrtc/frame.codec.js';

describe('frame codec (data channel messages)', () => {
  it('sends a frame without binary values as JSON text, with JSON semantics', () => {
    const frame = { seq: 1, event: 'chat', args: ['hi', { n: 2, skip: undefined }, null], at: new Date(0) };
    const message = encodeFrame(frame);
    expect(typeof message).toBe('string');
    expect(decodeFrame(message)).toEqual(JSON.parse(JSON.stringify(frame)));
  });

  it('carries every kind of binary value, rebuilt as the same kind with the same bytes', () => {
    const backing = new Uint8Array([9, 8, 7, 6, 5, 4, 3, 2, 1, 0, 11, 12, 13, 14, 15, 16]);
    const frame = {
      arrayBuffer: backing.buffer.slice(2, 6),
      // A view into the middle of a larger buffer: only its own bytes travel.
      uint8: backing.subarray(3, 7),
      int16: new Int16Array([-2, 300]),
      float32: new Float32Array([1.5, -0.25]),
      bigints: new BigUint64Array([2n ** 63n]),
      view: new DataView(backing.buffer, 1, 3),
      buffer: Buffer.from('héllo'),
      empty: new Uint8Array(0),
      nested: [{ deep: [new Uint8Array([42])] }],
      text: 'plain',
    };
    const message = encodeFrame(frame);
    expect(message).toBeInstanceOf(ArrayBuffer);
    const decoded = decodeFrame(message) as typeof frame;
    expect(decoded.arrayBuffer).toBeInstanceOf(ArrayBuffer);
    expect([...new Uint8Array(decoded.arrayBuffer)]).toEqual([7, 6, 5, 4]);
    expect(decoded.uint8).toBeInstanceOf(Uint8Array);
    expect([...decoded.uint8]).toEqual([6, 5, 4, 3]);
    expect(decoded.int16).toBeInstanceOf(Int16Array);
    expect([...decoded.int16]).toEqual([-2, 300]);
    expect([...decoded.float32]).toEqual([1.5, -0.25]);
    expect([...decoded.bigints]).toEqual([2n ** 63n]);
    expect(decoded.view).toBeInstanceOf(DataView);
    expect([decoded.view.getUint8(0), decoded.view.byteLength]).toEqual([8, 3]);
    expect(Buffer.isBuffer(decoded.buffer)).toBe(true);
    expect(decoded.buffer.toString()).toBe('héllo');
    expect(decoded.empty).toEqual(new Uint8Array(0));
    expect([...(decoded.nested[0]!.deep[0] as Uint8Array)]).toEqual([42]);
    expect(decoded.text).toBe('plain');
  });

  it('round-trips any JSON frame with binary values anywhere (property)', () => {
    const binary = fc.uint8Array({ maxLength: 64 });
    const value = fc.letrec((tie) => ({
      node: fc.oneof(
        { depthSize: 'small' },
        fc.string(),
        fc.integer(),
        fc.boolean(),
        fc.constant(null),
        binary,
        fc.array(tie('node'), { maxLength: 5 }),
        fc.dictionary(fc.string(), tie('node'), { maxKeys: 5 }),
      ),
    })).node;
    fc.assert(
      fc.property(fc.dictionary(fc.string(), value, { maxKeys: 6 }), (frame) => {
        const decoded = decodeFrame(encodeFrame(frame));
        expect(decoded).toEqual(frame);
      }),
      { numRuns: 300 },
    );
  });

  it('keeps an own "__proto__" key as a key, with binary values beside it, and never sets a prototype', () => {
    // The property run above found it: {"__proto__": false, "": Uint8Array[]} came back without its "__proto__".
    const frame = JSON.parse('{"__proto__": {"polluted": true}, "flag": false}') as Record<string, unknown>;
    frame.bytes = new Uint8Array([1, 2]);
    const decoded = decodeFrame(encodeFrame(frame)) as Record<string, unknown>;
    expect(Object.keys(decoded).sort()).toEqual(['__proto__', 'bytes', 'flag']);
    expect(Object.getOwnPropertyDescriptor(decoded, '__proto__')?.value).toEqual({ polluted: true });
    expect(Object.getPrototypeOf(decoded)).toBe(Object.prototype);
    expect((decoded as { polluted?: unknown }).polluted).toBeUndefined();
    expect(decoded.bytes).toEqual(new Uint8Array([1, 2]));
  });

  it('encodes for a data channel send into one kept buffer, and decodes a chunk in place', () => {
    const chunk = new Uint8Array(32 * 1024).map((_, i) => i & 0xff);
    const first = encodeFrameToSend({ s: 1, e: 'data', a: ['id', chunk] }) as Uint8Array;
    // What a data channel's send does before it returns: copy the bytes.
    const sent = first.slice();
    const second = encodeFrameToSend({ s: 2, e: 'data', a: ['id', new Uint8Array(32 * 1024).fill(7)] }) as Uint8Array;
    expect(second.buffer).toBe(first.buffer);
    const decoded = decodeFrame(sent.buffer) as { s: number; a: [string, Uint8Array] };
    expect(decoded.s).toBe(1);
    expect(decoded.a[1]).toEqual(chunk);
    // The chunk is most of the message: a view into it, not a copy. Small values beside others are copies of their own.
    expect(decoded.a[1].buffer).toBe(sent.buffer);
    const small = new Uint8Array(encodeFrame({ a: [new Uint8Array([1, 2])], b: 'x'.repeat(100) }) as ArrayBuffer);
    expect((decodeFrame(small) as { a: Uint8Array[] }).a[0]!.buffer).not.toBe(small.buffer);
  });

  it('refuses what is not a frame, and messages that lie about their lengths', () => {
    expect(() => decodeFrame('42')).toThrow(FrameCodecError);
    expect(() => decodeFrame(new Uint8Array([0, 0]))).toThrow(FrameCodecError);
    expect(() => decodeFrame(new Uint8Array([0, 0, 0, 99, 1]))).toThrow(FrameCodecError);
    const honest = new Uint8Array(encodeFrame({ b: new Uint8Array([1, 2, 3]) }) as ArrayBuffer);
    expect(() => decodeFrame(honest.subarray(0, honest.length - 1))).toThrow(FrameCodecError);
    let deep: unknown = new Uint8Array(1);
    for (let i = 0; i < 2000; i++) deep = [deep];
    expect(() => encodeFrame({ deep })).toThrow(FrameCodecError);
  });
});

describe('RetryBackoff', () => {
  it('grows by the factor up to the cap, with jitter inside its band, and starts over on reset', () => {
    const middle = new RetryBackoff({ initialDelayMs: 100, maxDelayMs: 1000, factor: 2, jitter: 0.5, random: () => 0.5 });
    expect(Array.from({ length: 6 }, () => middle.nextDelayMs())).toEqual([100, 200, 400, 800, 1000, 1000]);
    expect(middle.attempts).toBe(6);
    middle.reset();
    expect(middle.nextDelayMs()).toBe(100);
    const low = new RetryBackoff({ initialDelayMs: 100, jitter: 0.5, random: () => 0 });
    const high = new RetryBackoff({ initialDelayMs: 100, jitter: 0.5, random: () => 0.999999 });
    expect(low.nextDelayMs()).toBe(50);
    expect(high.nextDelayMs()).toBe(150);
    expect(() => new RetryBackoff({ initialDelayMs: 10, maxDelayMs: 5 })).toThrow(RangeError);
  });

  it('runs one scheduled attempt at a time; cancel drops it', async () => {
    const backoff = new RetryBackoff({ initialDelayMs: 10, jitter: 0 });
    const runs: string[] = [];
    expect(backoff.schedule(() => runs.push('first'))).toBe(10);
    // Replaces the first; its 20 ms come after the first's 10 ms, so the first would have run before it.
    const second = new Promise<void>((resolve) => {
      expect(backoff.schedule(() => resolve(void runs.push('second')))).toBe(20);
    });
    expect(backoff.scheduled).toBe(true);
    await second;
    expect(runs).toEqual(['second']);
    expect(backoff.scheduled).toBe(false);
    expect(backoff.schedule(() => runs.push('cancelled'))).toBe(40);
    backoff.cancel();
    // A timer due later than the cancelled attempt's: by the time it fires, that attempt would have run.
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(runs).toEqual(['second']);
  });
});
