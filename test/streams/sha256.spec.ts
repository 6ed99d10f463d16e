import { createHash, randomBytes } from 'node:crypto';
import { describe, expect, it } from '@jest/globals';
import { Sha256 } from '../../packages/client/src/index.js';

describe('Sha256: the incremental SHA-256 of streams', () => {
  const sizes = [0, 1, 55, 56, 63, 64, 65, 119, 120, 128, 1000, 100_003];

  it.each([true, false])('equals node:crypto for every split of the input (portable: %s)', (portable) => {
    for (const size of sizes) {
      const data = randomBytes(size);
      const hash = new Sha256({ portable });
      // Pieces of 1 to 70 bytes, so every block boundary falls inside a piece and between pieces somewhere.
      for (let at = 0, step = 1; at < size; at += step, step = (step % 70) + 1) hash.update(data.subarray(at, at + step));
      expect([size, hash.hex()]).toEqual([size, createHash('sha256').update(data).digest('hex')]);
    }
  });

  it('gives the same digest twice and refuses input after it', () => {
    for (const portable of [true, false]) {
      const hash = new Sha256({ portable }).update(new Uint8Array([1, 2, 3]));
      expect(hash.hex()).toBe(hash.hex());
      expect(() => hash.update(new Uint8Array(1))).toThrow('update after digest');
    }
  });
});
