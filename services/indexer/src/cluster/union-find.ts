/** Keys a union-find can hold: address or cluster ids as stored (`bigint`), or any other primitive. */
export type ClusterKey = bigint | number | string;

/**
 * The evidence of one merge: clusters `winner` and `loser` became one, now called `winner`, of
 * `newSize` members, because of transaction `txid` (whatever the caller identifies transactions by:
 * the display-order txid, or the transaction's chain id as the database stores it).
 *
 * Invariants: `winner !== loser`; before the merge the winner was at least as large as the loser, and
 * on equal sizes the winner is the smaller key, so replaying the same unions gives the same ids.
 */
export interface ClusterMerge<K extends ClusterKey = bigint, E = Buffer> {
  winner: K;
  loser: K;
  newSize: number;
  txid: E;
}

/**
 * Disjoint sets over keys, with union by size and path compression. A key never seen is a cluster of
 * its own, of size 1, whose id is the key itself.
 *
 * To run on top of stored clusters, seed each stored cluster's id with `add(id, size)` and union
 * cluster ids (an address's stored cluster, or its own id while it is alone): every merge then says
 * which stored cluster absorbs which.
 */
export interface UnionFind<K extends ClusterKey = bigint, E = Buffer> {
  /**
   * Registers `id` as a cluster of `size` members (default 1). Throws a RangeError when `id` is already
   * known: sizes are only ever set before the first union touching a cluster.
   */
  add(id: K, size?: number): void;
  /** The id of the cluster holding `key`. */
  find(key: K): K;
  /** Members of the cluster holding `key`. */
  sizeOf(key: K): number;
  /** Joins the clusters of `a` and `b`; the merge evidence, or null when they were already one. */
  union(a: K, b: K, txid: E): ClusterMerge<K, E> | null;
  /** Keys known to the structure (added or touched by find/union). */
  readonly keyCount: number;
}

export function createUnionFind<K extends ClusterKey = bigint, E = Buffer>(): UnionFind<K, E> {
  const parent = new Map<K, K>();
  /** Only roots have an entry. */
  const sizes = new Map<K, number>();

  const ensure = (key: K): void => {
    if (!parent.has(key)) {
      parent.set(key, key);
      sizes.set(key, 1);
    }
  };

  const find = (key: K): K => {
    ensure(key);
    let root = key;
    for (let next = parent.get(root)!; next !== root; next = parent.get(root)!) root = next;
    // Second pass: point every key on the path straight at the root.
    let current = key;
    while (current !== root) {
      const next = parent.get(current)!;
      parent.set(current, root);
      current = next;
    }
    return root;
  };

  return {
    add(id, size = 1) {
      if (parent.has(id)) throw new RangeError(`cluster ${String(id)} is already known`);
      if (!Number.isSafeInteger(size) || size < 1) throw new RangeError(`invalid cluster size ${size}`);
      parent.set(id, id);
      sizes.set(id, size);
    },
    find,
    sizeOf(key) {
      return sizes.get(find(key))!;
    },
    union(a, b, txid) {
      const rootA = find(a);
      const rootB = find(b);
      if (rootA === rootB) return null;
      const sizeA = sizes.get(rootA)!;
      const sizeB = sizes.get(rootB)!;
      const aWins = sizeA > sizeB || (sizeA === sizeB && rootA < rootB);
      const winner = aWins ? rootA : rootB;
      const loser = aWins ? rootB : rootA;
      const newSize = sizeA + sizeB;
      parent.set(loser, winner);
      sizes.set(winner, newSize);
      sizes.delete(loser);
      return { winner, loser, newSize, txid };
    },
    get keyCount() {
      return parent.size;
    },
  };
}
