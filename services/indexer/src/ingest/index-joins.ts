import type { Database } from '@minetrace/shared/db';
import { sql, type Transaction } from 'kysely';

export interface IndexJoinsOptions {
  /**
   * Turn sequential scans off too, for statements every table of which is reached through an index:
   * with hash and merge joins off, statistics that count few distinct join keys still make a nested
   * loop over the whole table look cheapest. @defaultValue false
   */
  noSeqScans?: boolean;
}

/**
 * Runs `work` with hash and merge joins off (and sequential scans, with `noSeqScans`), then restores
 * the settings as they were. For statements that name their rows by index (a key list joined to a
 * table): a nested loop is the plan, but on tables whose statistics lag behind a bulk load Postgres
 * otherwise hashes the list and reads the whole table.
 *
 * One round trip turns them off (reading what they were) and one restores them: during a backfill
 * each answer waits for a step of the decoding on the main thread, so every statement on the
 * writing connection costs a few milliseconds. On an error the transaction is lost anyway, and the
 * settings with it.
 */
export async function withIndexJoins<T>(
  trx: Transaction<Database>,
  work: () => Promise<T>,
  options: IndexJoinsOptions = {},
): Promise<T> {
  const seq = options.noSeqScans === true;
  // The inner query (kept apart by OFFSET 0) reads the settings before the outer one changes them.
  const saved = await sql<{ hash: string; merge: string; seq: string }>`
    SELECT s.hash, s.merge, s.seq,
      set_config('enable_hashjoin', 'off', true), set_config('enable_mergejoin', 'off', true),
      set_config('enable_seqscan', ${seq ? 'off' : sql`s.seq`}, true)
    FROM (SELECT current_setting('enable_hashjoin') AS hash, current_setting('enable_mergejoin') AS merge,
      current_setting('enable_seqscan') AS seq OFFSET 0) AS s`.execute(trx);
  const before = saved.rows[0]!;
  const result = await work();
  await sql`
    SELECT set_config('enable_hashjoin', ${before.hash}, true), set_config('enable_mergejoin', ${before.merge}, true),
      set_config('enable_seqscan', ${before.seq}, true)`.execute(trx);
  return result;
}
