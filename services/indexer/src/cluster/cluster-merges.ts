import { type CoinJoinKind, type CoinJoinTxIo, isCoinJoinShaped } from './coinjoin-shape.js';
import type { ClusterKey, ClusterMerge, UnionFind } from './union-find.js';

/**
 * Multi-input (common-input-ownership) rule for one transaction: every cluster among `inputKeys` joins
 * the first one's. Returns the merges that actually joined two clusters, in order; repeated keys and
 * keys already together give none. The caller decides the transaction may be clustered (not a coinbase,
 * not CoinJoin-shaped): `clusterBlockTxs` does both.
 */
export function clusterMergesForTx<K extends ClusterKey, E>(
  unionFind: UnionFind<K, E>,
  txid: E,
  inputKeys: readonly K[],
): ClusterMerge<K, E>[] {
  const merges: ClusterMerge<K, E>[] = [];
  const first = inputKeys[0];
  if (first === undefined) return merges;
  for (let i = 1; i < inputKeys.length; i++) {
    const merge = unionFind.union(first, inputKeys[i]!, txid);
    if (merge !== null) merges.push(merge);
  }
  return merges;
}

/** An input as clustering sees it: its resolved prevout, plus the key to cluster it under. */
export interface ClusterTxInput<K extends ClusterKey> extends CoinJoinTxIo {
  /** The prevout address's cluster id (its own address id while alone); null when it has no address. */
  key: K | null;
}

/** A final block's transaction, with its inputs' prevouts resolved. */
export interface ClusterTx<K extends ClusterKey, E> {
  txid: E;
  isCoinbase: boolean;
  inputs: readonly ClusterTxInput<K>[];
  outputs: readonly CoinJoinTxIo[];
}

/** Why a transaction's inputs were not merged. */
export type ClusterSkipReason = 'coinbase' | CoinJoinKind;

export interface ClusterBlockResult<K extends ClusterKey, E> {
  /** Every merge, in block order: the evidence to store, one row per merge. */
  merges: ClusterMerge<K, E>[];
  /** Transactions left out (coinbases and CoinJoin-shaped ones), in block order. */
  skipped: { txid: E; reason: ClusterSkipReason }[];
}

/**
 * Applies the multi-input rule to a final block's transactions in order, skipping coinbases and
 * CoinJoin-shaped transactions. After it returns, `unionFind` holds the clusters as of the end of the
 * block; applying the merges to stored clusters (members of each loser move to its winner, the winner's
 * size becomes `newSize`, the loser's row goes) keeps every address's cluster exact.
 */
export function clusterBlockTxs<K extends ClusterKey, E>(
  unionFind: UnionFind<K, E>,
  txs: readonly ClusterTx<K, E>[],
): ClusterBlockResult<K, E> {
  const result: ClusterBlockResult<K, E> = { merges: [], skipped: [] };
  for (const tx of txs) {
    if (tx.isCoinbase) {
      result.skipped.push({ txid: tx.txid, reason: 'coinbase' });
      continue;
    }
    const keys: K[] = [];
    for (const input of tx.inputs) if (input.key !== null) keys.push(input.key);
    if (keys.length < 2) continue;
    const coinJoin = isCoinJoinShaped(tx);
    if (coinJoin !== null) {
      result.skipped.push({ txid: tx.txid, reason: coinJoin.kind });
      continue;
    }
    result.merges.push(...clusterMergesForTx(unionFind, tx.txid, keys));
  }
  return result;
}
