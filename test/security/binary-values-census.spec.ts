import { describe, expect, it } from '@jest/globals';
import { binaryCensus } from '../../packages/server/src/connection/binary-values.census.js';

describe('binaryCensus: binary values as Socket.IO will send them on', () => {
  it('counts one reference at every place it occurs, its bytes each time, and its bytes once as distinct', () => {
    const shared = Buffer.alloc(100);
    const other = new Uint8Array(7);
    expect(binaryCensus([shared, { a: shared, b: [shared, other] }])).toEqual({ count: 4, bytes: 307, distinctBytes: 107 });
  });

  it('takes every kind the encoder takes for binary: ArrayBuffer, typed arrays, DataView, Buffer', () => {
    const values = [new ArrayBuffer(1), new Float64Array(2), new DataView(new ArrayBuffer(3)), Buffer.alloc(4)];
    expect(binaryCensus({ values })).toEqual({ count: 4, bytes: 1 + 16 + 3 + 4, distinctBytes: 24 });
  });

  it('counts nothing in values without binary, and in primitives', () => {
    expect(binaryCensus({ text: 'x', list: [1, null, true, { deep: ['y'] }] })).toEqual({ count: 0, bytes: 0, distinctBytes: 0 });
    expect(binaryCensus('text')).toEqual({ count: 0, bytes: 0, distinctBytes: 0 });
    expect(binaryCensus(null)).toEqual({ count: 0, bytes: 0, distinctBytes: 0 });
  });

  it('walks nesting far deeper than the call stack allows', () => {
    let nested: unknown = Buffer.alloc(5);
    for (let depth = 0; depth < 200_000; depth++) nested = depth % 2 ? [nested] : { next: nested };
    expect(binaryCensus(nested)).toEqual({ count: 1, bytes: 5, distinctBytes: 5 });
  });
});
