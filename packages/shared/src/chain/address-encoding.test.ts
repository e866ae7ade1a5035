import { randomBytes } from 'node:crypto';
import * as bitcoin from 'bitcoinjs-lib';
import bs58check from 'bs58check';
import { describe, expect, it } from 'vitest';
import { base58checkHash20, segwitAddress } from './address-encoding.js';

describe('base58checkHash20', () => {
  it('agrees with bs58check, including hashes with leading zero bytes', () => {
    for (let k = 0; k < 2000; k++) {
      const hash = randomBytes(20);
      if (k % 5 === 0) hash.fill(0, 0, k % 21);
      const version = [0x00, 0x05, 0x6f, 0xc4][k % 4]!;
      expect(base58checkHash20(version, hash, 0)).toBe(
        bs58check.encode(Buffer.concat([Buffer.from([version]), hash])),
      );
    }
  });

  it('encodes the all-zero P2PKH hash as Core does', () => {
    expect(base58checkHash20(0, Buffer.alloc(20), 0)).toBe('1111111111111111111114oLvT2');
  });
});

describe('segwitAddress', () => {
  it('agrees with bitcoinjs for v0 and v1 programs', () => {
    for (let k = 0; k < 200; k++) {
      const v0 = randomBytes(k % 2 === 0 ? 20 : 32);
      const script0 = Buffer.concat([Buffer.from([0, v0.length]), v0]);
      expect(segwitAddress('bc', 0, v0)).toBe(bitcoin.address.fromOutputScript(script0));
      const v1 = randomBytes(32);
      // fromOutputScript would need an elliptic-curve library to accept a taproot key.
      expect(segwitAddress('tb', 1, v1)).toBe(bitcoin.address.toBech32(v1, 1, 'tb'));
    }
  });

  it('agrees with bitcoinjs for every witness version, program length and network prefix', () => {
    for (const hrp of ['bc', 'tb', 'bcrt']) {
      for (let version = 0; version <= 16; version++) {
        for (const length of [2, 20, 32, 40]) {
          const program = randomBytes(length);
          expect(segwitAddress(hrp, version, program)).toBe(bitcoin.address.toBech32(program, version, hrp));
        }
      }
    }
  });
});
