// Why: a reorg deletes rows, so the only trace of what the database once held is this log. Each
// row records one rollback: the fork point, how many indexed blocks it removed, the tip it left and
// the node's tip it was heading for. Investigators use it to tell why an answer changed.
// Frozen in time: this file never imports application code.
import { type Kysely, sql } from 'kysely';

// biome-ignore lint/suspicious/noExplicitAny: a migration is frozen in time, so it must not see the current schema types
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('reorgs')
    .addColumn('id', 'int8', (col) => col.primaryKey().generatedByDefaultAsIdentity())
    .addColumn('detected_at', 'timestamptz', (col) => col.notNull().defaultTo(sql`now()`))
    .addColumn('fork_height', 'integer', (col) => col.notNull())
    .addColumn('fork_hash', 'bytea', (col) => col.notNull())
    .addColumn('depth', 'integer', (col) => col.notNull())
    .addColumn('old_tip_height', 'integer', (col) => col.notNull())
    .addColumn('old_tip_hash', 'bytea', (col) => col.notNull())
    .addColumn('new_tip_height', 'integer')
    .addColumn('new_tip_hash', 'bytea')
    .execute();
}

export async function down(): Promise<void> {
  throw new Error('migrations are forward-only');
}
