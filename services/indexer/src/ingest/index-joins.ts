import type { Database } from '@minetrace/shared/db';
import { sql, type Transaction } from 'kysely';

/**
 * Runs `work` with hash and merge joins off, then restores them. For statements that name their
 * rows by index (a key list joined to a table): a nested loop is the plan, but on tables whose
 * statistics lag behind a bulk load Postgres otherwise hashes the list and reads the whole table.
 * On an error the transaction is lost anyway, and the settings with it.
 */
export async function withIndexJoins<T>(trx: Transaction<Database>, work: () => Promise<T>): Promise<T> {
  await sql`SET LOCAL enable_hashjoin = off`.execute(trx);
  await sql`SET LOCAL enable_mergejoin = off`.execute(trx);
  const result = await work();
  await sql`RESET enable_hashjoin`.execute(trx);
  await sql`RESET enable_mergejoin`.execute(trx);
  return result;
}
