import { describe, expect, it } from 'vitest';
import { planBackfill } from './index-backfill.js';

describe('planBackfill', () => {
  it('splits a range into consecutive chunks, the last one short', () => {
    // 0..2499 is 2500 heights: two chunks of 1000 and one of 500.
    expect(planBackfill({ from: '0', to: '2499' })).toEqual([
      { from: 0, to: 999 },
      { from: 1000, to: 1999 },
      { from: 2000, to: 2499 },
    ]);
    // 10..16 in chunks of 3: 10-12, 13-15, 16.
    expect(planBackfill({ from: '10', to: '16', chunk: '3' })).toEqual([
      { from: 10, to: 12 },
      { from: 13, to: 15 },
      { from: 16, to: 16 },
    ]);
    expect(planBackfill({ from: '7', to: '7' })).toEqual([{ from: 7, to: 7 }]);
  });

  it('refuses an inverted range, a missing end and a bad chunk size', () => {
    expect(() => planBackfill({ from: '5', to: '2' })).toThrow('--from 5 is above --to 2');
    expect(() => planBackfill({ from: '5' })).toThrow('--to is required');
    expect(() => planBackfill({ from: '-1', to: '2' })).toThrow('--from must be a block height');
    expect(() => planBackfill({ from: '0', to: '9', chunk: '0' })).toThrow('--chunk must be an integer');
    expect(() => planBackfill({ from: '0', to: '9', chunk: '100001' })).toThrow('--chunk must be an integer');
  });
});
