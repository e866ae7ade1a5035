// Why: `addresses.cluster_id` and `outputs.spent_by_tx_id` are NULL when a row is written (most
// addresses never join a cluster; an output is unspent until a later block). Their indexes held an
// entry for every NULL: one more index insert per address and per output during ingest, for entries
// no query reads (`cluster_id IS NULL` and `spent_by_tx_id IS NULL` always come with a primary-key
// condition). Only non-NULL values are indexed now; a lookup by value (`= $1`, `= ANY`, `>=`) implies
// NOT NULL, so the partial indexes serve it as before.
// Frozen in time: this file never imports application code.
import { type Kysely, sql } from 'kysely';

// biome-ignore lint/suspicious/noExplicitAny: a migration is frozen in time, so it must not see the current schema types
export async function up(db: Kysely<any>): Promise<void> {
  await sql`DROP INDEX addresses_cluster_id_idx`.execute(db);
  await sql`CREATE INDEX addresses_cluster_id_idx ON addresses (cluster_id) WHERE cluster_id IS NOT NULL`.execute(
    db,
  );
  await sql`DROP INDEX outputs_spent_by_tx_id_idx`.execute(db);
  await sql`CREATE INDEX outputs_spent_by_tx_id_idx ON outputs (spent_by_tx_id) WHERE spent_by_tx_id IS NOT NULL`.execute(
    db,
  );
}

// biome-ignore lint/suspicious/noExplicitAny: as above.
export async function down(db: Kysely<any>): Promise<void> {
  await sql`DROP INDEX addresses_cluster_id_idx`.execute(db);
  await sql`CREATE INDEX addresses_cluster_id_idx ON addresses (cluster_id)`.execute(db);
  await sql`DROP INDEX outputs_spent_by_tx_id_idx`.execute(db);
  await sql`CREATE INDEX outputs_spent_by_tx_id_idx ON outputs (spent_by_tx_id)`.execute(db);
}
