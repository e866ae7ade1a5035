import { describe, expect, it } from 'vitest';
import { type ClusterBlockIo, ClusterFeed } from './cluster-feed.js';

const block = (height: number): ClusterBlockIo => ({
  height,
  hash: Buffer.alloc(32, height),
  reorgMark: 0n,
  txIds: [],
  inStart: [0],
  inValue: [],
  inType: [],
  inAddress: [],
  outStart: [0],
  outValue: [],
  outType: [],
  outAddress: [],
  firstAddressId: Number.POSITIVE_INFINITY,
});

describe('ClusterFeed', () => {
  it('keeps staged blocks only once committed', () => {
    const feed = new ClusterFeed();
    feed.stage(block(1));
    expect(feed.range(1, 1)).toBeUndefined();
    feed.discard();
    feed.commit();
    expect(feed.size).toBe(0);
    feed.stage(block(1));
    feed.commit();
    expect(feed.range(1, 1)?.map((kept) => kept.height)).toEqual([1]);
  });

  it('once full keeps the oldest blocks, which clustering reads next, until they are pruned', () => {
    const feed = new ClusterFeed(2);
    for (const height of [1, 2, 3]) feed.stage(block(height));
    feed.commit();
    expect(feed.range(1, 2)).toHaveLength(2);
    expect(feed.range(3, 3)).toBeUndefined();
    feed.prune(1);
    feed.stage(block(4));
    feed.commit();
    expect(feed.range(2, 2)).toHaveLength(1);
    expect(feed.range(4, 4)).toHaveLength(1);
  });

  it('answers a range only when every block of it is kept', () => {
    const feed = new ClusterFeed();
    for (const height of [5, 7]) feed.stage(block(height));
    feed.commit();
    expect(feed.range(5, 7)).toBeUndefined();
    expect(feed.stats.misses).toBe(1);
  });
});
