import { hashToHex } from '@minetrace/shared';
import type { Database, Db } from '@minetrace/shared/db';
import { sql, type Transaction } from 'kysely';
import { type RollbackDerivedResult, rollbackDerived } from './derived-rollback.js';
import { RollbackError } from './ingest.errors.js';

/** Where the node's best chain was heading when the rollback was decided; recorded in `reorgs`. */
export interface RollbackOptions {
  newTip?: { height: number; hash: Buffer };
}

/** What `rollbackTo` did. */
export interface RollbackResult {
  /** `already-at-fork`: the tip was at or below the fork point; nothing was written. */
  status: 'rolled-back' | 'already-at-fork';
  forkHeight: number;
  forkHash: Buffer;
  /** Indexed blocks deleted (0 when already at the fork). */
  depth: number;
  oldTip: { height: number; hash: Buffer } | null;
  txsDeleted: number;
  /** What the derived tables did (clusters marked stale, …); null when nothing was rolled back. */
  derived: RollbackDerivedResult | null;
}

/**
 * Moves the indexed tip back to `forkHeight`, in ONE SQL transaction with chain_state and a
 * `reorgs` row, so a crash leaves the database at the old tip or at the fork point, never between.
 *
 * Order, children first: derived rows above the fork (`rollbackDerived`), then the spends made by
 * the deleted txs are deleted, then outputs, txs and blocks above the fork, and
 * addresses first seen above it. Tx ids are chain positions, so "txs above the fork" is exactly
 * `id >= first deleted id`. Idempotent: a tip already at or below the fork point is left as is.
 */
export async function rollbackTo(
  db: Db,
  forkHeight: number,
  options: RollbackOptions = {},
): Promise<RollbackResult> {
  return db.transaction().execute((trx) => rollbackIn(trx, forkHeight, options));
}

async function rollbackIn(
  trx: Transaction<Database>,
  forkHeight: number,
  options: RollbackOptions,
): Promise<RollbackResult> {
  const state = await trx
    .selectFrom('chain_state')
    .selectAll()
    .where('id', '=', true)
    .forUpdate()
    .executeTakeFirst();
  const fork = await trx
    .selectFrom('blocks')
    .select(['height', 'hash'])
    .where('height', '=', forkHeight)
    .executeTakeFirst();
  if (fork === undefined) {
    throw new RollbackError(`cannot roll back to height ${forkHeight}: no block is indexed there`);
  }
  const oldTip =
    state?.tip_height != null && state.tip_hash !== null
      ? { height: state.tip_height, hash: state.tip_hash }
      : null;
  if (oldTip === null || oldTip.height <= forkHeight) {
    return {
      status: 'already-at-fork',
      forkHeight,
      forkHash: fork.hash,
      depth: 0,
      oldTip,
      txsDeleted: 0,
      derived: null,
    };
  }

  const derived = await rollbackDerived(trx, forkHeight);

  const first = await trx
    .selectFrom('txs')
    .select(sql<bigint | null>`min(id)`.as('first_id'))
    .where('height', '>', forkHeight)
    .executeTakeFirstOrThrow();
  let txsDeleted = 0;
  if (first.first_id !== null) {
    const firstId = first.first_id;
    // A spend is made by a tx later than its output's, so this takes every spend of a deleted output too.
    await trx.deleteFrom('spends').where('spent_by_tx_id', '>=', firstId).execute();
    await trx.deleteFrom('tx_outputs').where('tx_id', '>=', firstId).execute();
    const deleted = await trx.deleteFrom('txs').where('id', '>=', firstId).executeTakeFirst();
    txsDeleted = Number(deleted.numDeletedRows);
  }
  const blocks = await trx.deleteFrom('blocks').where('height', '>', forkHeight).executeTakeFirst();
  // An address first paid above the fork goes, and with it any cluster membership it had (below the
  // clustered height, which marked the clusters stale above: the rebuild redoes them all).
  await sql`
    WITH gone AS (DELETE FROM addresses WHERE first_height > ${forkHeight}::int4 RETURNING id)
    DELETE FROM address_clusters WHERE address_id IN (SELECT id FROM gone)`.execute(trx);

  const depth = Number(blocks.numDeletedRows);
  await trx
    .insertInto('reorgs')
    .values({
      fork_height: forkHeight,
      fork_hash: fork.hash,
      depth,
      old_tip_height: oldTip.height,
      old_tip_hash: oldTip.hash,
      new_tip_height: options.newTip?.height ?? null,
      new_tip_hash: options.newTip?.hash ?? null,
    })
    .execute();
  await trx
    .updateTable('chain_state')
    .set({
      tip_height: forkHeight,
      tip_hash: fork.hash,
      updated_at: new Date(),
    })
    .where('id', '=', true)
    .execute();

  return { status: 'rolled-back', forkHeight, forkHash: fork.hash, depth, oldTip, txsDeleted, derived };
}

/** For log lines: the display hex of a rollback's tips. */
export function describeRollback(result: RollbackResult): Record<string, unknown> {
  return {
    fork_height: result.forkHeight,
    fork_hash: hashToHex(result.forkHash),
    depth: result.depth,
    old_tip_height: result.oldTip?.height ?? null,
    old_tip_hash: result.oldTip === null ? null : hashToHex(result.oldTip.hash),
    txs_deleted: result.txsDeleted,
    clusters_stale: result.derived?.clustersStale ?? false,
  };
}
