import { type Database, sqlArray } from '@minetrace/shared/db';
import { sql, type Transaction } from 'kysely';
import { withIndexJoins } from './index-joins.js';

/** Spends to mark, as parallel arrays: output (tx_id, n) spent by input `inputN` of tx `spender`. */
export interface SpendBatch {
  txIds: bigint[];
  ns: number[];
  spenders: bigint[];
  inputNs: number[];
}

/** An output `markSpends` marked: its position in the batch's arrays (from 0), and what it paid. */
export interface MarkedSpend {
  at: number;
  value: bigint;
  script_type: number;
  address_id: bigint | null;
}

/**
 * Marks outputs spent in one statement and returns, per marked output, its position in the batch's
 * arrays (`at`, from 0), its value (the fees follow without a re-read), script type and address id
 * (what clustering reads of an input). Outputs already spent are
 * left alone. Each input names its output by primary key, so a nested loop over (tx_id, n) is the plan,
 * never a hash join against every unspent output: hash and merge joins are turned off for this
 * statement only.
 */
export async function markSpends(trx: Transaction<Database>, batch: SpendBatch): Promise<MarkedSpend[]> {
  if (batch.txIds.length === 0) return [];
  // The position, not the spender and input: the caller finds its entry by index, without a key
  // string per spend (tens of thousands per batch).
  const spent = await withIndexJoins(trx, () =>
    sql<MarkedSpend>`
    UPDATE outputs AS o
    SET spent_by_tx_id = u.spender, spent_by_input = u.input_n
    FROM unnest(${sqlArray(batch.txIds)}::int8[], ${sqlArray(batch.ns)}::int4[], ${sqlArray(batch.spenders)}::int8[], ${sqlArray(batch.inputNs)}::int4[])
      WITH ORDINALITY AS u(tx_id, n, spender, input_n, ord)
    WHERE o.tx_id = u.tx_id AND o.n = u.n AND o.spent_by_tx_id IS NULL
    RETURNING (u.ord - 1)::int4 AS at, o.value, o.script_type, o.address_id`.execute(trx),
  );
  return spent.rows;
}
