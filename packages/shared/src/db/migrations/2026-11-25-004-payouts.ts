// Why: who a mining pool paid, derived from the chain at ingest (docs/heuristics.md, "Payouts"). Every
// table here is computed from blocks, keyed by the height of the block it came from, and deleted above
// a fork point on rollback; when the pool definitions change they are recomputed from the stored chain.
//
// Tables (ids are the integer ids of migration 001: txs.id, addresses.id, pools.id):
//
// payouts            one row per output paying pool funds to an address the pool does not control.
//   payout_tx_id, n    the paying output (PK); payout_tx_id's block is at `height`.
//   pool_id            the pool whose funds paid it.
//   source_tx_id       the tx whose pool funds the payout spent (the coinbase itself for hop 0).
//   address_id, value  recipient and satoshis.
//   hop                txs from the coinbase to the payout, the payout included (0 = paid in the coinbase).
//   Indexed by address_id (an address's income), (pool_id, height) (a pool's payouts), height (rollback).
//
// pool_outputs       the pool funds marker: outputs the pool is taken to control, which are followed
//                    when spent (while hop < PAYOUT_MAX_HOPS).
//   tx_id, n (PK), pool_id, hop, reason ('coinbase' | 'known-address' | 'input-address' | 'sweep' |
//   'recurring-address'), height (of the block holding tx_id).
//
// pool_known_addresses  addresses a pool is known to control beyond the dataset's (pool_addresses):
//                    the addresses of its pool outputs. (pool_id, address_id) PK, first_height = the
//                    block where it was first learned (rollback deletes rows learned above the fork).
//
// distributions      a pool's transactions paying several parties (a coinbase paying miners, a spend
//                    of pool funds with at least two addressed outputs), from which recurring pool
//                    addresses are learned. (pool_id, kind, height, seq) PK; kind 'coinbase' | 'spend';
//                    seq orders a block's distributions; address_ids[i] received amounts[i].
//
// Frozen in time: this file never imports application code.
import { type Kysely, sql } from 'kysely';

// biome-ignore lint/suspicious/noExplicitAny: a migration is frozen in time, so it must not see the current schema types
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('payouts')
    .addColumn('payout_tx_id', 'int8', (col) => col.notNull())
    .addColumn('n', 'integer', (col) => col.notNull())
    .addColumn('height', 'integer', (col) => col.notNull())
    .addColumn('pool_id', 'integer', (col) => col.notNull())
    .addColumn('source_tx_id', 'int8', (col) => col.notNull())
    .addColumn('address_id', 'int8', (col) => col.notNull())
    .addColumn('value', 'int8', (col) => col.notNull())
    .addColumn('hop', 'smallint', (col) => col.notNull())
    .addPrimaryKeyConstraint('payouts_pkey', ['payout_tx_id', 'n'])
    .execute();
  await db.schema.createIndex('payouts_address_id_idx').on('payouts').column('address_id').execute();
  await db.schema
    .createIndex('payouts_pool_height_idx')
    .on('payouts')
    .columns(['pool_id', 'height'])
    .execute();
  await db.schema.createIndex('payouts_height_idx').on('payouts').column('height').execute();

  await db.schema
    .createTable('pool_outputs')
    .addColumn('tx_id', 'int8', (col) => col.notNull())
    .addColumn('n', 'integer', (col) => col.notNull())
    .addColumn('pool_id', 'integer', (col) => col.notNull())
    .addColumn('hop', 'smallint', (col) => col.notNull())
    .addColumn('reason', 'text', (col) => col.notNull())
    .addColumn('height', 'integer', (col) => col.notNull())
    .addPrimaryKeyConstraint('pool_outputs_pkey', ['tx_id', 'n'])
    .execute();
  await db.schema.createIndex('pool_outputs_height_idx').on('pool_outputs').column('height').execute();

  await db.schema
    .createTable('pool_known_addresses')
    .addColumn('pool_id', 'integer', (col) => col.notNull())
    .addColumn('address_id', 'int8', (col) => col.notNull())
    .addColumn('first_height', 'integer', (col) => col.notNull())
    .addPrimaryKeyConstraint('pool_known_addresses_pkey', ['pool_id', 'address_id'])
    .execute();
  await db.schema
    .createIndex('pool_known_addresses_address_id_idx')
    .on('pool_known_addresses')
    .column('address_id')
    .execute();
  await db.schema
    .createIndex('pool_known_addresses_first_height_idx')
    .on('pool_known_addresses')
    .column('first_height')
    .execute();

  await db.schema
    .createTable('distributions')
    .addColumn('pool_id', 'integer', (col) => col.notNull())
    .addColumn('kind', 'text', (col) => col.notNull())
    .addColumn('height', 'integer', (col) => col.notNull())
    .addColumn('seq', 'integer', (col) => col.notNull())
    .addColumn('address_ids', sql`int8[]`, (col) => col.notNull())
    .addColumn('amounts', sql`int8[]`, (col) => col.notNull())
    .addPrimaryKeyConstraint('distributions_pkey', ['pool_id', 'kind', 'height', 'seq'])
    .execute();
  await db.schema.createIndex('distributions_height_idx').on('distributions').column('height').execute();
}

export async function down(): Promise<void> {
  throw new Error('migrations are forward-only');
}
