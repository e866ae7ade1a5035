import { describe, expect, it } from 'vitest';
import { createUnionFind } from './union-find.js';

/** mulberry32: a small seeded PRNG, so a failing random sequence can be replayed. */
function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

describe('createUnionFind', () => {
  it('merges by size, breaks ties towards the smaller id and records the evidence of each merge', () => {
    const uf = createUnionFind<bigint, string>();
    expect(uf.union(1n, 2n, 't1')).toEqual({ winner: 1n, loser: 2n, newSize: 2, txid: 't1' });
    expect(uf.union(4n, 3n, 't2')).toEqual({ winner: 3n, loser: 4n, newSize: 2, txid: 't2' });
    // Two clusters of 2: the one with the smaller id absorbs the other.
    expect(uf.union(4n, 2n, 't3')).toEqual({ winner: 1n, loser: 3n, newSize: 4, txid: 't3' });
    // Already one cluster: no merge, no evidence.
    expect(uf.union(4n, 1n, 't4')).toBeNull();
    expect(uf.union(2n, 2n, 't4')).toBeNull();
    // A singleton never wins against a larger cluster, whatever its id.
    expect(uf.union(0n, 4n, 't5')).toEqual({ winner: 1n, loser: 0n, newSize: 5, txid: 't5' });
    expect([0n, 1n, 2n, 3n, 4n].map((key) => uf.find(key))).toEqual([1n, 1n, 1n, 1n, 1n]);
    expect(uf.sizeOf(3n)).toBe(5);
    expect(uf.find(9n)).toBe(9n);
    expect(uf.sizeOf(9n)).toBe(1);
  });

  it('takes stored cluster sizes into account: a seeded large cluster absorbs a smaller one', () => {
    const uf = createUnionFind<bigint, string>();
    uf.add(500n, 40);
    uf.add(7n, 3);
    expect(uf.union(7n, 500n, 'tx')).toEqual({ winner: 500n, loser: 7n, newSize: 43, txid: 'tx' });
    expect(uf.union(8n, 7n, 'tx2')).toEqual({ winner: 500n, loser: 8n, newSize: 44, txid: 'tx2' });
  });

  it('refuses to re-seed a known key or to seed a non-positive size', () => {
    const uf = createUnionFind<bigint, string>();
    uf.add(1n, 2);
    expect(() => uf.add(1n, 5)).toThrow(RangeError);
    uf.find(2n);
    expect(() => uf.add(2n)).toThrow(RangeError);
    expect(() => uf.add(3n, 0)).toThrow(RangeError);
    expect(() => uf.add(3n, 1.5)).toThrow(RangeError);
  });

  it('finds the root from the deepest leaf of a tree built from equal-sized merges', () => {
    // Merging equal-sized clusters pairwise gives the deepest trees union by size allows (log2 n).
    const uf = createUnionFind<number, number>();
    const n = 1024;
    for (let width = 1; width < n; width *= 2) {
      for (let start = 0; start < n; start += 2 * width) uf.union(start, start + width, width);
    }
    expect(uf.sizeOf(n - 1)).toBe(n);
    expect(uf.find(n - 1)).toBe(0);
    expect(uf.find(777)).toBe(0);
    expect(uf.keyCount).toBe(n);
  });

  it.each([1, 2, 3, 42, 2026])('agrees with a naive relabelling implementation (seed %i)', (seed) => {
    const random = seededRandom(seed);
    const keys = 300;
    const uf = createUnionFind<bigint, number>();
    // Naive model: every key's cluster id, and each cluster's members; a merge relabels the loser's members.
    const label = new Map<bigint, bigint>();
    const members = new Map<bigint, bigint[]>();
    const naiveLabel = (key: bigint): bigint => {
      if (!label.has(key)) {
        label.set(key, key);
        members.set(key, [key]);
      }
      return label.get(key)!;
    };
    // Some clusters come from storage with their sizes: the model gives them invisible members.
    const seededSize = new Map<bigint, number>();
    for (let k = 0; k < 20; k++) {
      const id = BigInt(1000 + k);
      const size = 1 + Math.floor(random() * 50);
      uf.add(id, size);
      seededSize.set(id, size);
      label.set(id, id);
      members.set(id, [id]);
    }
    const naiveSize = (id: bigint) => members.get(id)!.length + (seededSize.get(id) ?? 1) - 1;
    const pick = () =>
      random() < 0.1 ? BigInt(1000 + Math.floor(random() * 20)) : BigInt(Math.floor(random() * keys));

    let merges = 0;
    for (let step = 0; step < 3000; step++) {
      const a = pick();
      const b = pick();
      const la = naiveLabel(a);
      const lb = naiveLabel(b);
      const record = uf.union(a, b, step);
      if (la === lb) {
        expect(record).toBeNull();
        continue;
      }
      merges++;
      const sa = naiveSize(la);
      const sb = naiveSize(lb);
      const aWins = sa > sb || (sa === sb && la < lb);
      const [winner, loser] = aWins ? [la, lb] : [lb, la];
      const winnerSeed = seededSize.get(winner) ?? 1;
      const loserSeed = seededSize.get(loser) ?? 1;
      for (const member of members.get(loser)!) {
        label.set(member, winner);
        members.get(winner)!.push(member);
      }
      members.delete(loser);
      seededSize.set(winner, winnerSeed + loserSeed - 1);
      expect(record).toEqual({ winner, loser, newSize: sa + sb, txid: step });
      expect(naiveSize(winner)).toBe(sa + sb);
      if (step % 100 === 0) {
        for (const [key, id] of label) {
          expect(uf.find(key)).toBe(id);
          expect(uf.sizeOf(key)).toBe(naiveSize(id));
        }
      }
    }
    for (const [key, id] of label) {
      expect(uf.find(key)).toBe(id);
      expect(uf.sizeOf(key)).toBe(naiveSize(id));
    }
    expect(merges).toBeGreaterThan(200);
  });
});
