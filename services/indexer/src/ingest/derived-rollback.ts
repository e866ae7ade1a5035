import type { Database } from '@minetrace/shared/db';
import type { Transaction } from 'kysely';
import { rollbackClusters } from '../cluster/cluster-store.js';
import { deletePayoutRowsAbove } from './derived-rows.js';

/** What `rollbackDerived` did beyond deleting rows. */
export interface RollbackDerivedResult {
  /** True when clusters covered blocks above the fork: they are marked stale and rebuilt next. */
  clustersStale: boolean;
}

/**
 * Deletes the rows derived from blocks above `forkHeight`, inside the rollback's transaction: payouts,
 * pool funds markers, pool addresses learned above the fork and distributions (each keyed by height).
 * Clusters only cover final blocks; when the fork is below the clustered height they are marked stale
 * (`finalizeClusters` rebuilds them with the next block). It runs before the chain rows above the fork go
 * and before chain_state moves.
 */
export async function rollbackDerived(
  trx: Transaction<Database>,
  forkHeight: number,
): Promise<RollbackDerivedResult> {
  await deletePayoutRowsAbove(trx, forkHeight);
  const clustersStale = await rollbackClusters(trx, forkHeight);
  return { clustersStale };
}
