import { describe, expect, it } from 'vitest';
import { coinbaseHeight, coinbaseTag, witnessCommitment } from './coinbase.js';

const h = (hex: string) => Buffer.from(hex, 'hex');

describe('coinbaseHeight (BIP34)', () => {
  it('reads a minimal 3-byte push', () => {
    // 413567 = 0x064f7f, as in the real block's scriptSig.
    expect(coinbaseHeight(h('037f4f06aabb'))).toEqual({ height: 413567, rest: 4 });
  });

  it('reads OP_1..OP_16 as heights 1..16 (regtest)', () => {
    expect(coinbaseHeight(h('51'))).toEqual({ height: 1, rest: 1 });
    expect(coinbaseHeight(h('60ff'))).toEqual({ height: 16, rest: 1 });
  });

  it('reads heights needing a sign byte and 4-byte pushes', () => {
    expect(coinbaseHeight(h('028000'))).toEqual({ height: 128, rest: 3 });
    expect(coinbaseHeight(h('0400008000'))).toEqual({ height: 0x800000, rest: 5 });
    expect(coinbaseHeight(h('0111'))).toEqual({ height: 17, rest: 2 });
  });

  it('gives null for OP_0, non-minimal, negative, truncated or absent pushes', () => {
    expect(coinbaseHeight(h('00'))).toEqual({ height: null, rest: 0 });
    expect(coinbaseHeight(h('0105'))).toEqual({ height: null, rest: 0 }); // Core writes OP_5
    expect(coinbaseHeight(h('027f00'))).toEqual({ height: null, rest: 0 }); // trailing zero byte
    expect(coinbaseHeight(h('0181'))).toEqual({ height: null, rest: 0 }); // -1
    expect(coinbaseHeight(h('037f4f'))).toEqual({ height: null, rest: 0 });
    expect(coinbaseHeight(h(''))).toEqual({ height: null, rest: 0 });
    expect(coinbaseHeight(h('0a0102030405060708090a'))).toEqual({ height: null, rest: 0 });
  });
});

describe('coinbaseTag', () => {
  it('joins printable runs of at least 3 characters by single spaces', () => {
    const bytes = Buffer.concat([
      h('0300'),
      Buffer.from('/ViaBTC/'),
      h('1b00ff'),
      Buffer.from('EMC'),
      h('01'),
    ]);
    expect(coinbaseTag(bytes, 0)).toBe('/ViaBTC/ EMC');
  });

  it('drops short ASCII and 2-byte runs, keeps a lone 3- or 4-byte character', () => {
    const bytes = Buffer.concat([
      Buffer.from('ab'),
      h('00'),
      Buffer.from('é'),
      h('00'),
      Buffer.from('🐟'),
      h('00'),
      Buffer.from('鱼'),
    ]);
    expect(coinbaseTag(bytes, 0)).toBe('🐟 鱼');
  });

  it('splits on ill-formed UTF-8 (overlong, surrogate, truncated)', () => {
    const bytes = Buffer.concat([
      Buffer.from('abc'),
      h('c0af'),
      Buffer.from('def'),
      h('eda080'),
      Buffer.from('ghi'),
      h('f09f90'),
    ]);
    expect(coinbaseTag(bytes, 0)).toBe('abc def ghi');
  });

  it('trims spaces and skips bytes before `from`', () => {
    expect(coinbaseTag(Buffer.from('skip  Mined by x  '), 4)).toBe('Mined by x');
    expect(coinbaseTag(Buffer.from('    '), 0)).toBe('');
  });
});

describe('witnessCommitment', () => {
  it('takes the last matching output', () => {
    const a = Buffer.concat([h('6a24aa21a9ed'), Buffer.alloc(32, 1)]);
    const b = Buffer.concat([h('6a24aa21a9ed'), Buffer.alloc(32, 2), h('00')]);
    expect(witnessCommitment([a, h('51'), b])).toEqual(Buffer.alloc(32, 2));
    expect(witnessCommitment([h('6a24aa21a9ed'), h('51')])).toBeNull();
  });
});
