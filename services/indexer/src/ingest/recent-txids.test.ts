import { describe, expect, it } from 'vitest';
import { RecentTxids } from './recent-txids.js';

const hash = (n: number) => Buffer.alloc(32, n);

describe('RecentTxids', () => {
  it('is trusted only while the tip is the one its last commit left and no rollback was logged', () => {
    const recent = new RecentTxids();
    expect(recent.validate(null, 0n)).toBe(false);
    recent.stage(new Map([['aa', 7n]]), hash(1), 3n);
    expect(recent.get('aa')).toBeUndefined();
    recent.commit();
    expect(recent.validate(hash(1), 3n)).toBe(true);
    expect(recent.get('aa')).toBe(7n);
    expect(recent.validate(hash(1), 4n)).toBe(false);
    expect(recent.get('aa')).toBeUndefined();
    recent.stage(new Map([['bb', 8n]]), hash(2), 4n);
    recent.commit();
    expect(recent.validate(hash(9), 4n)).toBe(false);
    expect(recent.stats.invalidated).toBe(2);
  });

  it('keeps a failed batch out, and the latest id of a txid written twice', () => {
    const recent = new RecentTxids();
    recent.stage(new Map([['aa', 1n]]), hash(1), 0n);
    recent.commit();
    recent.stage(new Map([['bb', 2n]]), hash(2), 0n);
    recent.discard();
    expect(recent.validate(hash(1), 0n)).toBe(true);
    expect(recent.get('bb')).toBeUndefined();
    recent.stage(new Map([['aa', 5n]]), hash(3), 0n);
    recent.commit();
    expect(recent.get('aa')).toBe(5n);
  });

  it('keeps at most 16 batches and its capacity in txs, dropping the oldest', () => {
    const recent = new RecentTxids(25);
    for (let i = 0; i < 20; i++) {
      recent.stage(new Map([[`t${i}`, BigInt(i)]]), hash(i), 0n);
      recent.commit();
    }
    expect(recent.get('t3')).toBeUndefined();
    expect(recent.get('t4')).toBe(4n);
    const small = new RecentTxids(3);
    for (let i = 0; i < 3; i++) {
      small.stage(
        new Map([
          [`a${i}`, BigInt(i)],
          [`b${i}`, BigInt(i)],
        ]),
        hash(i),
        0n,
      );
      small.commit();
    }
    expect(small.get('a1')).toBeUndefined();
    expect(small.get('a2')).toBe(2n);
  });
});
