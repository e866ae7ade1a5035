// Why: address clusters by the multi-input (common-input-ownership) rule over final blocks
// (docs/heuristics.md, "Clustering"), with the evidence of every merge so investigators can ask which
// transaction linked two addresses. Clusters only cover blocks at least FINALITY_DEPTH below the tip;
// a rollback below the clustered height marks them stale and they are rebuilt from the stored chain.
//
// Tables and columns:
//
// addresses.cluster_id (migration 001)  the id of the address's cluster when it has at least two
//                    members; NULL while the address is alone (its cluster is then itself: id =
//                    addresses.id, size 1). The cluster of address a is coalesce(a.cluster_id, a.id).
//
// clusters           one row per cluster of two or more addresses.
//   id (PK)            one of its addresses' ids (the root of the union-find: the larger side of every
//                      merge keeps its id; on equal sizes the smaller id).
//   size               number of member addresses (= count of addresses with cluster_id = id).
//   height             height of the block whose merge last grew it.
//
// cluster_merges     one row per union of two clusters, in the order applied (id).
//   id (PK, identity), height (of the merging tx's block), tx_id (txs.id of the merging tx),
//   winner, loser      cluster ids before the merge; the loser's members joined the winner, and the
//                      loser id never names a cluster again (unique).
//   new_size           size of the winner after the merge.
//   The path of an address through its clusters is: its own id, then each `winner` of the merge whose
//   `loser` is the current id; two addresses were linked by the first merge both paths share.
//
// cluster_state      one row (id = true): clustered_height = last block clustered (NULL = none);
//                    stale = clusters describe blocks a rollback removed and must be rebuilt.
//
// Frozen in time: this file never imports application code.
import { type Kysely, sql } from 'kysely';

// biome-ignore lint/suspicious/noExplicitAny: a migration is frozen in time, so it must not see the current schema types
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('clusters')
    .addColumn('id', 'int8', (col) => col.primaryKey())
    .addColumn('size', 'integer', (col) => col.notNull())
    .addColumn('height', 'integer', (col) => col.notNull())
    .execute();
  await db.schema.createIndex('clusters_size_idx').on('clusters').column('size').execute();

  await db.schema
    .createTable('cluster_merges')
    .addColumn('id', 'int8', (col) => col.primaryKey().generatedByDefaultAsIdentity())
    .addColumn('height', 'integer', (col) => col.notNull())
    .addColumn('tx_id', 'int8', (col) => col.notNull())
    .addColumn('winner', 'int8', (col) => col.notNull())
    .addColumn('loser', 'int8', (col) => col.notNull().unique())
    .addColumn('new_size', 'integer', (col) => col.notNull())
    .execute();
  await db.schema.createIndex('cluster_merges_winner_idx').on('cluster_merges').column('winner').execute();
  await db.schema.createIndex('cluster_merges_tx_id_idx').on('cluster_merges').column('tx_id').execute();
  await db.schema.createIndex('cluster_merges_height_idx').on('cluster_merges').column('height').execute();

  await db.schema
    .createTable('cluster_state')
    .addColumn('id', 'boolean', (col) => col.primaryKey().defaultTo(true).check(sql`id`))
    .addColumn('clustered_height', 'integer')
    .addColumn('stale', 'boolean', (col) => col.notNull().defaultTo(false))
    .execute();
}

export async function down(): Promise<void> {
  throw new Error('migrations are forward-only');
}
