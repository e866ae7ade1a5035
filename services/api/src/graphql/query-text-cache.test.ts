import { describe, expect, it } from 'vitest';
import { QueryTextCache } from './query-text-cache.js';

describe('QueryTextCache', () => {
  it('keeps at most maxEntries, the oldest going first', () => {
    const cache = new QueryTextCache<number>(2, 1000, 100);
    cache.set('a', 1);
    cache.set('b', 2);
    cache.set('c', 3);
    expect([cache.get('a'), cache.get('b'), cache.get('c'), cache.size]).toEqual([undefined, 2, 3, 2]);
  });

  it('keeps texts of at most maxChars together', () => {
    const cache = new QueryTextCache<number>(100, 10, 10);
    cache.set('aaaa', 1);
    cache.set('bbbb', 2);
    cache.set('cccccc', 3);
    // 4 + 4 + 6 is over 10: the oldest goes, and 4 + 6 fits.
    expect([cache.get('aaaa'), cache.get('bbbb'), cache.get('cccccc')]).toEqual([undefined, 2, 3]);
    expect(cache.chars).toBe(10);
    cache.set('dddddddddd', 4);
    expect([cache.get('bbbb'), cache.get('cccccc'), cache.get('dddddddddd'), cache.chars]).toEqual([
      undefined,
      undefined,
      4,
      10,
    ]);
  });

  it('does not keep a text longer than maxKeyChars, nor evict for it', () => {
    const cache = new QueryTextCache<number>(100, 1000, 5);
    cache.set('short', 1);
    cache.set('much too long', 2);
    expect([cache.get('short'), cache.get('much too long'), cache.size]).toEqual([1, undefined, 1]);
  });

  it('replaces the value of a text it holds without counting it twice', () => {
    const cache = new QueryTextCache<number | null>(2, 1000, 100);
    cache.set('q', null);
    cache.set('q', 2);
    cache.set('r', 3);
    expect([cache.get('q'), cache.get('r'), cache.size, cache.chars]).toEqual([2, 3, 2, 2]);
  });
});
