// Why: attribution. A tag says who an address belongs to or what it did (an exchange's hot wallet, a
// sanctioned wallet, a pool's payout address), and every tag keeps where it came from, so two sources
// that disagree are both shown. Tags name an address string, not addresses.id: a sanctions list or a
// TagPack names addresses that may never have appeared on the indexed chain, and a tag must survive a
// reorg that removes the address's only output.
//
// Tables and columns:
//
// tags               one row per (address, label, source, category): importing the same file twice
//                    adds nothing (the unique key is the import's idempotence).
//   address            the address as users write it (base58 or bech32, case as encoded).
//   label, category    who (`Binance`, `Lazarus Group`) and what kind (`exchange`, `sanctioned`, `miner`).
//   source             where the claim comes from: a URL, a list name, or the API key that tagged it.
//   confidence         0..1; TagPack confidence levels map onto it.
//   actor, abuse       the TagPack actor id and abuse kind, when given.
//   is_cluster_definer the source vouches for the address's whole cluster, not only the address.
//   tagpack            title of the TagPack (or list) the tag was imported from; NULL for manual tags.
//   created_by         the API key name or `cli` that wrote the row.
//
// Pool payout addresses from the mining-pools dataset are rows too (category `miner`, source
// `mining-pools dataset`, label the pool's name, actor its slug, confidence 1: block attribution already
// takes a dataset address as the pool's over any coinbase tag), so every reader of `tags` sees them
// without a union. They are kept equal to pools + pool_addresses by statement triggers on both
// tables: the dataset is reloaded whole when its fingerprint changes, and the trigger replaces the
// miner rows in the same transaction. No other writer may use that source.
//
// Frozen in time: this file never imports application code.
import { type Kysely, sql } from 'kysely';

// biome-ignore lint/suspicious/noExplicitAny: a migration is frozen in time, so it must not see the current schema types
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('tags')
    .addColumn('id', 'int8', (col) => col.primaryKey().generatedByDefaultAsIdentity())
    .addColumn('address', 'text', (col) => col.notNull())
    .addColumn('label', 'text', (col) => col.notNull())
    .addColumn('category', 'text', (col) => col.notNull())
    .addColumn('source', 'text', (col) => col.notNull())
    .addColumn('confidence', 'real', (col) => col.notNull().check(sql`confidence >= 0 AND confidence <= 1`))
    .addColumn('actor', 'text')
    .addColumn('abuse', 'text')
    .addColumn('is_cluster_definer', 'boolean', (col) => col.notNull().defaultTo(false))
    .addColumn('tagpack', 'text')
    .addColumn('created_by', 'text')
    .addColumn('created_at', 'timestamptz', (col) => col.notNull().defaultTo(sql`now()`))
    .addUniqueConstraint('tags_address_label_source_category_key', ['address', 'label', 'source', 'category'])
    .execute();
  // The unique key's index leads with address, so it serves `address = ANY($1)`; category needs its own.
  await db.schema.createIndex('tags_address_idx').on('tags').column('address').execute();
  await db.schema.createIndex('tags_category_idx').on('tags').column('category').execute();

  await sql`
    CREATE FUNCTION tags_sync_pool_addresses() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      DELETE FROM tags t
      WHERE t.source = 'mining-pools dataset'
        AND NOT EXISTS (
          SELECT 1 FROM pool_addresses pa JOIN pools p ON p.id = pa.pool_id
          WHERE pa.address = t.address AND p.name = t.label AND p.slug IS NOT DISTINCT FROM t.actor);
      INSERT INTO tags (address, label, category, source, confidence, actor, tagpack, created_by)
      SELECT pa.address, p.name, 'miner', 'mining-pools dataset', 1, p.slug, 'mining-pools', 'pools'
      FROM pool_addresses pa JOIN pools p ON p.id = pa.pool_id
      ON CONFLICT (address, label, source, category) DO NOTHING;
      RETURN NULL;
    END $$`.execute(db);
  for (const table of ['pools', 'pool_addresses']) {
    await sql`
      CREATE TRIGGER ${sql.raw(`${table}_tags_sync`)}
      AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON ${sql.table(table)}
      FOR EACH STATEMENT EXECUTE FUNCTION tags_sync_pool_addresses()`.execute(db);
  }
  // A database whose pools were loaded before this migration gets its miner tags now.
  await sql`
    INSERT INTO tags (address, label, category, source, confidence, actor, tagpack, created_by)
    SELECT pa.address, p.name, 'miner', 'mining-pools dataset', 1, p.slug, 'mining-pools', 'pools'
    FROM pool_addresses pa JOIN pools p ON p.id = pa.pool_id
    ON CONFLICT (address, label, source, category) DO NOTHING`.execute(db);
}

export async function down(): Promise<void> {
  throw new Error('migrations are forward-only');
}
