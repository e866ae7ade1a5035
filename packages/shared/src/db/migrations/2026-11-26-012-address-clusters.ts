// Why: cluster membership moves out of `addresses` into a narrow table of its own. Clustering set
// `addresses.cluster_id` of every address it merged: each such update rewrote the whole address row
// and, since `cluster_id` is indexed, added an entry to every index of the table, the unique index of
// address strings among them (measured: about 28 µs an address, against 4 µs for a row of two
// integers). Addresses are now written once, by the block that first pays them; a row here says which
// cluster of two or more an address is in, and an address without one is alone (its cluster is its id).
// Frozen in time: this file never imports application code.
import { type Kysely, sql } from 'kysely';

// biome-ignore lint/suspicious/noExplicitAny: a migration is frozen in time, so it must not see the current schema types
export async function up(db: Kysely<any>): Promise<void> {
  await sql`CREATE TABLE address_clusters (address_id int8 PRIMARY KEY, cluster_id int8 NOT NULL)`.execute(
    db,
  );
  await sql`
    INSERT INTO address_clusters (address_id, cluster_id)
    SELECT id, cluster_id FROM addresses WHERE cluster_id IS NOT NULL ORDER BY id`.execute(db);
  await sql`CREATE INDEX address_clusters_cluster_id_idx ON address_clusters (cluster_id)`.execute(db);
  await sql`ALTER TABLE addresses DROP COLUMN cluster_id`.execute(db);
}

// biome-ignore lint/suspicious/noExplicitAny: as above.
export async function down(db: Kysely<any>): Promise<void> {
  await sql`ALTER TABLE addresses ADD COLUMN cluster_id int8`.execute(db);
  await sql`
    UPDATE addresses a SET cluster_id = ac.cluster_id FROM address_clusters ac WHERE ac.address_id = a.id`.execute(
    db,
  );
  await sql`CREATE INDEX addresses_cluster_id_idx ON addresses (cluster_id) WHERE cluster_id IS NOT NULL`.execute(
    db,
  );
  await sql`DROP TABLE address_clusters`.execute(db);
}
