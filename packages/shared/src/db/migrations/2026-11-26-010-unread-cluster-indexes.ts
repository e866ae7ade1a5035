// Why: four indexes of the clustering tables were never read. `cluster_merges` is read by `loser`
// (its unique index: the path of an address through its clusters) and by `id` (the primary key);
// `clusters` by `id`. Nothing looks merges up by winner, transaction or height (a rollback below the
// clustered height rebuilds every cluster, deleting all rows), nor clusters by size. Each merge row
// still paid three index inserts, two of them at random places (winner ids), and every change of a
// cluster's size rewrote its size index entry, which also kept those updates from being HOT. An index
// comes back with the query that reads it.
// Frozen in time: this file never imports application code.
import { type Kysely, sql } from 'kysely';

// biome-ignore lint/suspicious/noExplicitAny: a migration is frozen in time, so it must not see the current schema types
export async function up(db: Kysely<any>): Promise<void> {
  await sql`DROP INDEX cluster_merges_winner_idx`.execute(db);
  await sql`DROP INDEX cluster_merges_tx_id_idx`.execute(db);
  await sql`DROP INDEX cluster_merges_height_idx`.execute(db);
  await sql`DROP INDEX clusters_size_idx`.execute(db);
}

// biome-ignore lint/suspicious/noExplicitAny: as above.
export async function down(db: Kysely<any>): Promise<void> {
  await sql`CREATE INDEX cluster_merges_winner_idx ON cluster_merges (winner)`.execute(db);
  await sql`CREATE INDEX cluster_merges_tx_id_idx ON cluster_merges (tx_id)`.execute(db);
  await sql`CREATE INDEX cluster_merges_height_idx ON cluster_merges (height)`.execute(db);
  await sql`CREATE INDEX clusters_size_idx ON clusters (size)`.execute(db);
}
