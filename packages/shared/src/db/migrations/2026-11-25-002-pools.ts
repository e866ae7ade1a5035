// Why: the mining-pools dataset lives in the database so that queries can join blocks to pool
// names, tags and payout addresses. It is reloaded whole when the dataset's fingerprint changes
// (chain_state.pools_fingerprint), so blocks.pool_id has no foreign key to it.
// Frozen in time: this file never imports application code.
import type { Kysely } from 'kysely';

// biome-ignore lint/suspicious/noExplicitAny: a migration is frozen in time, so it must not see the current schema types
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('pools')
    .addColumn('id', 'integer', (col) => col.primaryKey())
    .addColumn('slug', 'text', (col) => col.notNull().unique())
    .addColumn('name', 'text', (col) => col.notNull())
    .addColumn('link', 'text')
    .addColumn('source', 'text', (col) => col.notNull())
    .execute();
  await db.schema
    .createTable('pool_tags')
    .addColumn('pool_id', 'integer', (col) => col.notNull().references('pools.id').onDelete('cascade'))
    .addColumn('tag', 'text', (col) => col.notNull())
    .addPrimaryKeyConstraint('pool_tags_pkey', ['pool_id', 'tag'])
    .execute();
  await db.schema
    .createTable('pool_addresses')
    .addColumn('pool_id', 'integer', (col) => col.notNull().references('pools.id').onDelete('cascade'))
    .addColumn('address', 'text', (col) => col.notNull())
    .addPrimaryKeyConstraint('pool_addresses_pkey', ['pool_id', 'address'])
    .execute();
  await db.schema.createIndex('pool_addresses_address_idx').on('pool_addresses').column('address').execute();
}

export async function down(): Promise<void> {
  throw new Error('migrations are forward-only');
}
