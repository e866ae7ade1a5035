import { type Database, sqlArray } from '@minetrace/shared/db';
import { sql, type Transaction } from 'kysely';
import { withIndexJoins } from './index-joins.js';

/** Outputs to read, as parallel arrays: output (tx_id, n). */
export interface OutpointBatch {
  txIds: bigint[];
  ns: number[];
}

/** An output `readSpentOutputs` found: its position in the batch's arrays (from 0), and what it paid. */
export interface SpentOutput {
  at: number;
  value: bigint;
  script_type: number;
  address_id: bigint | null;
}

/**
 * Reads the outputs that a batch's inputs spend, in one statement: per output found, its position in
 * the batch's arrays (`at`, from 0), its value (the fees follow without another read), script type
 * and address id (what clustering reads of an input). An output not stored is left out. Marking them
 * spent is the caller's COPY into `spends`. Each input names its output by primary key, so a nested
 * loop over (tx_id, n) is the plan, never a hash join against every output: hash and merge joins are
 * turned off for this statement only.
 */
export async function readSpentOutputs(
  trx: Transaction<Database>,
  batch: OutpointBatch,
): Promise<SpentOutput[]> {
  if (batch.txIds.length === 0) return [];
  // The position, not the outpoint: the caller finds its entry by index, without a key string per
  // input (tens of thousands per batch).
  const found = await withIndexJoins(trx, () =>
    sql<SpentOutput>`
    SELECT (u.ord - 1)::int4 AS at, o.value, o.script_type, o.address_id
    FROM unnest(${sqlArray(batch.txIds)}::int8[], ${sqlArray(batch.ns)}::int4[]) WITH ORDINALITY AS u(tx_id, n, ord)
    JOIN tx_outputs o ON o.tx_id = u.tx_id AND o.n = u.n`.execute(trx),
  );
  return found.rows;
}
