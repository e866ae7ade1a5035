import type { Database, Db } from '@minetrace/shared/db';
import { sql, type Transaction } from 'kysely';

/**
 * What a writing transaction turns off for itself, as `'<max_parallel_workers_per_gather> <jit>'`
 * (`'0 off'` inside one): read on `db`, or inside a transaction on `trx`.
 */
export async function parallelAndJit(db: Db | Transaction<Database>): Promise<string> {
  const row = await sql<{ n: string }>`
    SELECT current_setting('max_parallel_workers_per_gather') || ' ' || current_setting('jit') AS n`.execute(
    db,
  );
  return row.rows[0]!.n;
}
