import type { BlockRows } from '@minetrace/shared/chain';
import type { Database, Db, PoolMatchEvidence } from '@minetrace/shared/db';
import type { PoolSet } from '@minetrace/shared/pools';
import type { Transaction } from 'kysely';
import { DEFAULT_FINALITY_DEPTH } from '../cluster/cluster-store.js';
import { writeBlocks } from './batch-ingest.js';
import { DEFAULT_PAYOUT_MAX_HOPS, deriveAfterBlock } from './derived-rows.js';

/** What `applyBlock` did. */
export interface ApplyBlockResult {
  /** `already-indexed`: a block with this hash was in the database; nothing was written. */
  status: 'applied' | 'already-indexed';
  height: number;
  hash: Buffer;
  txCount: number;
  /** Sum of the block's fees; null when some input spent an output the database does not hold. */
  fees: bigint | null;
  /** Inputs whose prevout was not in the database (blocks ingested without their history). */
  unresolvedInputs: number;
  poolId: number | null;
  poolMatch: PoolMatchEvidence;
}

export interface ApplyBlockOptions {
  /**
   * Height of the block. Required to be tip + 1 when the database has a tip; on an empty database
   * it places the first block (default: the coinbase's BIP34 height, else 0).
   */
  height?: number;
  /** How many transactions after a coinbase payouts are followed (`PAYOUT_MAX_HOPS`). @defaultValue 3 */
  payoutMaxHops?: number;
  /** Blocks at least this far below the tip are clustered (`FINALITY_DEPTH`). @defaultValue 6 */
  finalityDepth?: number;
}

/**
 * Writes one decoded block and moves the tip to it, in ONE SQL transaction: a crash leaves the
 * database at the previous tip or at this block, never between. It is a batch of one
 * (`applyBlockBatch`: addresses, outputs, spends, txs, the block, chain_state) followed by the
 * derived rows (`deriveBlock`: payouts, and the clustering of the block this one makes final).
 *
 * Invariants: the block's parent must be the indexed tip and its height tip + 1, else
 * `BlockNotContiguousError` and nothing is written; a block whose hash is already indexed is a
 * no-op. Tx ids continue from max(txs.id) + 1 in block order. Inputs whose prevout is unknown are
 * counted, their tx's fee and the block's fees are left null.
 */
export async function applyBlock(
  db: Db,
  rows: BlockRows,
  pools: PoolSet,
  options: ApplyBlockOptions = {},
): Promise<ApplyBlockResult> {
  return db.transaction().execute((trx) => applyBlockIn(trx, rows, pools, options));
}

async function applyBlockIn(
  trx: Transaction<Database>,
  rows: BlockRows,
  pools: PoolSet,
  options: ApplyBlockOptions,
): Promise<ApplyBlockResult> {
  // Locked before looking for the block, so a concurrent writer of the same block is waited for
  // and this one then reports it as already indexed.
  await trx.selectFrom('chain_state').select('id').where('id', '=', true).forUpdate().execute();
  const existing = await trx
    .selectFrom('blocks')
    .select(['height', 'tx_count', 'fees', 'pool_id', 'pool_match'])
    .where('hash', '=', rows.header.hash)
    .executeTakeFirst();
  if (existing !== undefined) {
    return {
      status: 'already-indexed',
      height: existing.height,
      hash: rows.header.hash,
      txCount: existing.tx_count,
      fees: existing.fees,
      unresolvedInputs: 0,
      poolId: existing.pool_id,
      poolMatch: existing.pool_match ?? 'unknown',
    };
  }

  const { blocks } = await writeBlocks(trx, [rows], pools, {
    ...(options.height !== undefined ? { height: options.height } : {}),
    // Derived rows in the same transaction, so they can never disagree with the chain rows.
    afterBlock: deriveAfterBlock({
      payoutMaxHops: options.payoutMaxHops ?? DEFAULT_PAYOUT_MAX_HOPS,
      finalityDepth: options.finalityDepth ?? DEFAULT_FINALITY_DEPTH,
    }),
  });
  const block = blocks[0]!;
  return {
    status: 'applied',
    height: block.height,
    hash: rows.header.hash,
    txCount: rows.txs.length,
    fees: block.fees,
    unresolvedInputs: block.unresolvedInputs,
    poolId: block.poolId,
    poolMatch: block.poolMatch,
  };
}
