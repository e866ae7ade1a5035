import { describe, expect, it } from 'vitest';
import {
  type ClusterTx,
  type ClusterTxInput,
  clusterBlockTxs,
  clusterMergesForTx,
} from './cluster-merges.js';
import type { CoinJoinTxIo } from './coinjoin-shape.js';
import { createUnionFind } from './union-find.js';

const input = (key: bigint | null, value = 1_000_000n): ClusterTxInput<bigint> => ({
  key,
  value,
  address: key === null ? null : `addr${key}`,
  scriptType: key === null ? 'nonstandard' : 'witness_v0_keyhash',
});
const output = (value: bigint, address: string): CoinJoinTxIo => ({
  value,
  address,
  scriptType: 'witness_v0_keyhash',
});

describe('clusterMergesForTx', () => {
  it('joins every input cluster to the first one and returns only real merges', () => {
    const uf = createUnionFind<bigint, string>();
    uf.union(3n, 4n, 'earlier');
    const merges = clusterMergesForTx(uf, 'tx', [1n, 2n, 2n, 3n, 4n, 1n]);
    expect(merges).toEqual([
      { winner: 1n, loser: 2n, newSize: 2, txid: 'tx' },
      // {1, 2} and {3, 4} both have 2 members: the smaller id wins.
      { winner: 1n, loser: 3n, newSize: 4, txid: 'tx' },
    ]);
    expect(uf.find(4n)).toBe(1n);
    expect(clusterMergesForTx(uf, 'again', [4n, 2n])).toEqual([]);
    expect(clusterMergesForTx(uf, 'none', [])).toEqual([]);
  });
});

describe('clusterBlockTxs', () => {
  it('merges ordinary multi-input txs, skips coinbases and CoinJoins, ignores inputs without an address', () => {
    const uf = createUnionFind<bigint, string>();
    const pool = 1_000_000n;
    const whirlpool: ClusterTx<bigint, string> = {
      txid: 'mix',
      isCoinbase: false,
      inputs: [
        input(20n, pool),
        input(21n, pool),
        input(22n, pool + 5_000n),
        input(23n, pool + 5_000n),
        input(24n, pool + 5_000n),
      ],
      outputs: [0, 1, 2, 3, 4].map((i) => output(pool, `mixed${i}`)),
    };
    const txs: ClusterTx<bigint, string>[] = [
      {
        txid: 'coinbase',
        isCoinbase: true,
        inputs: [input(null, 0n)],
        outputs: [output(5_000_000_000n, 'pool')],
      },
      {
        txid: 'spend',
        isCoinbase: false,
        inputs: [input(1n), input(null), input(2n)],
        outputs: [output(1_500_000n, 'shop'), output(400_000n, 'change')],
      },
      {
        txid: 'single',
        isCoinbase: false,
        inputs: [input(5n), input(null)],
        outputs: [output(900_000n, 'x')],
      },
      whirlpool,
      {
        txid: 'consolidate',
        isCoinbase: false,
        inputs: [input(3n), input(2n), input(20n)],
        outputs: [output(2_990_000n, 'cold')],
      },
    ];
    const result = clusterBlockTxs(uf, txs);
    expect(result.skipped).toEqual([
      { txid: 'coinbase', reason: 'coinbase' },
      { txid: 'mix', reason: 'whirlpool' },
    ]);
    expect(result.merges).toEqual([
      { winner: 1n, loser: 2n, newSize: 2, txid: 'spend' },
      { winner: 1n, loser: 3n, newSize: 3, txid: 'consolidate' },
      { winner: 1n, loser: 20n, newSize: 4, txid: 'consolidate' },
    ]);
    // The mix's other inputs stay apart from each other and from the consolidation's cluster.
    expect(new Set([21n, 22n, 23n, 24n].map((key) => uf.find(key))).size).toBe(4);
    expect(uf.find(21n)).not.toBe(uf.find(1n));
    expect(uf.sizeOf(5n)).toBe(1);
  });
});
