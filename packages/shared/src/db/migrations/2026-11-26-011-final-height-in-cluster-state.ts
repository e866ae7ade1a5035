// Why: `chain_state.final_height` repeated `cluster_state.clustered_height` (how far clustering got)
// and was never read. Clustering now runs in a transaction of its own beside the batch writes, and
// writing `chain_state` would make each of them wait for the other on that one row, every batch.
// `cluster_state.clustered_height` is the one record of it.
// Frozen in time: this file never imports application code.
import { type Kysely, sql } from 'kysely';

// biome-ignore lint/suspicious/noExplicitAny: a migration is frozen in time, so it must not see the current schema types
export async function up(db: Kysely<any>): Promise<void> {
  await sql`ALTER TABLE chain_state DROP COLUMN final_height`.execute(db);
}

// biome-ignore lint/suspicious/noExplicitAny: as above.
export async function down(db: Kysely<any>): Promise<void> {
  await sql`ALTER TABLE chain_state ADD COLUMN final_height integer`.execute(db);
  await sql`UPDATE chain_state SET final_height = (SELECT clustered_height FROM cluster_state WHERE id)`.execute(
    db,
  );
}
