import { createHash, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { sha256d, sha256dChecksum, sha256dNode } from './sha256.js';

const reference = (b: Uint8Array) =>
  createHash('sha256').update(createHash('sha256').update(b).digest()).digest();

describe('sha256d', () => {
  it('matches a known vector (SHA256d of "hello")', () => {
    expect(sha256d(Buffer.from('hello')).toString('hex')).toBe(
      '9595c9df90075148eb06860365df33584b75bff782a510c6cd4883a419833d50',
    );
  });

  it('merkle node words agree with Node crypto on random pairs', () => {
    for (let k = 0; k < 200; k++) {
      const pair = randomBytes(64);
      const words = new Int32Array(16);
      for (let i = 0; i < 16; i++) words[i] = pair.readInt32BE(4 * i);
      const out = new Int32Array(8);
      sha256dNode(words, 0, 8, out, 0);
      const expected = reference(pair);
      for (let i = 0; i < 8; i++) expect(out[i]).toBe(expected.readInt32BE(4 * i));
    }
  });

  it('short-message checksum agrees with Node crypto for every length 0..64', () => {
    for (let len = 0; len <= 64; len++) {
      const msg = randomBytes(len + 3);
      expect(sha256dChecksum(msg, 3, 3 + len)).toBe(reference(msg.subarray(3)).readInt32BE(0));
    }
  });
});
