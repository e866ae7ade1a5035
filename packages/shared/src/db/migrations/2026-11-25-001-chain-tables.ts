// Why: the chain graph every query walks (blocks → txs → outputs, spends as back-pointers on
// outputs) and the single-row chain_state that moves with it. Integer keys keep it narrow:
// txs.id is the tx's position in the chain, so outputs and spends reference 8-byte ids rather than
// 32-byte txids. Frozen in time: this file never imports application code.
import { type Kysely, sql } from 'kysely';

// biome-ignore lint/suspicious/noExplicitAny: a migration is frozen in time, so it must not see the current schema types
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('blocks')
    .addColumn('height', 'integer', (col) => col.primaryKey())
    .addColumn('hash', 'bytea', (col) => col.notNull().unique())
    .addColumn('prev_hash', 'bytea', (col) => col.notNull())
    .addColumn('time', 'integer', (col) => col.notNull())
    .addColumn('version', 'int8', (col) => col.notNull())
    .addColumn('bits', 'int8', (col) => col.notNull())
    .addColumn('nonce', 'int8', (col) => col.notNull())
    .addColumn('size', 'integer', (col) => col.notNull())
    .addColumn('weight', 'integer', (col) => col.notNull())
    .addColumn('pool_id', 'integer')
    .addColumn('pool_match', 'text')
    .addColumn('coinbase_tag', 'text', (col) => col.notNull())
    .addColumn('subsidy', 'int8', (col) => col.notNull())
    .addColumn('fees', 'int8')
    .addColumn('tx_count', 'integer', (col) => col.notNull())
    .execute();
  await db.schema.createIndex('blocks_pool_id_idx').on('blocks').column('pool_id').execute();

  // txid is indexed but not unique: mainnet holds two pairs of duplicate coinbase txids (BIP30,
  // heights 91812/91722 and 91842/91880), and lookups take the latest.
  await db.schema
    .createTable('txs')
    .addColumn('id', 'int8', (col) => col.primaryKey())
    .addColumn('txid', 'bytea', (col) => col.notNull())
    .addColumn('height', 'integer', (col) => col.notNull())
    .addColumn('idx', 'integer', (col) => col.notNull())
    .addColumn('is_coinbase', 'boolean', (col) => col.notNull())
    .addColumn('fee', 'int8')
    .addColumn('size', 'integer', (col) => col.notNull())
    .addColumn('vsize', 'integer', (col) => col.notNull())
    .addColumn('weight', 'integer', (col) => col.notNull())
    .addColumn('version', 'int8', (col) => col.notNull())
    .addColumn('locktime', 'int8', (col) => col.notNull())
    .addColumn('input_count', 'integer', (col) => col.notNull())
    .addColumn('output_count', 'integer', (col) => col.notNull())
    .execute();
  await db.schema.createIndex('txs_txid_idx').on('txs').column('txid').execute();
  await db.schema.createIndex('txs_height_idx').on('txs').column('height').execute();

  await db.schema
    .createTable('addresses')
    .addColumn('id', 'int8', (col) => col.primaryKey().generatedByDefaultAsIdentity())
    .addColumn('address', 'text', (col) => col.notNull().unique())
    .addColumn('script_type', 'smallint', (col) => col.notNull())
    .addColumn('first_height', 'integer', (col) => col.notNull())
    .addColumn('cluster_id', 'int8')
    .execute();
  await db.schema.createIndex('addresses_cluster_id_idx').on('addresses').column('cluster_id').execute();

  await db.schema
    .createTable('outputs')
    .addColumn('tx_id', 'int8', (col) => col.notNull())
    .addColumn('n', 'integer', (col) => col.notNull())
    .addColumn('value', 'int8', (col) => col.notNull())
    .addColumn('script_type', 'smallint', (col) => col.notNull())
    .addColumn('address_id', 'int8')
    .addColumn('spent_by_tx_id', 'int8')
    .addColumn('spent_by_input', 'integer')
    .addPrimaryKeyConstraint('outputs_pkey', ['tx_id', 'n'])
    .execute();
  await db.schema.createIndex('outputs_address_id_idx').on('outputs').column('address_id').execute();
  await db.schema.createIndex('outputs_spent_by_tx_id_idx').on('outputs').column('spent_by_tx_id').execute();

  await db.schema
    .createTable('chain_state')
    .addColumn('id', 'boolean', (col) => col.primaryKey().defaultTo(true).check(sql`id`))
    .addColumn('network', 'text', (col) => col.notNull())
    .addColumn('tip_height', 'integer')
    .addColumn('tip_hash', 'bytea')
    .addColumn('final_height', 'integer')
    .addColumn('pools_fingerprint', 'text')
    .addColumn('updated_at', 'timestamptz', (col) => col.notNull().defaultTo(sql`now()`))
    .execute();
}

export async function down(): Promise<void> {
  throw new Error('migrations are forward-only');
}
