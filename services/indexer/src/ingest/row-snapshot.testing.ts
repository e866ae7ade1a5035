import type { Db } from '@minetrace/shared/db';
import { sql } from 'kysely';

/** SQL showing an address id column as its address: ids differ between two databases, addresses do not. */
export const addressOf = (column: string) => `(SELECT x.address FROM addresses x WHERE x.id = ${column})`;

/**
 * `snapshotRows` queries for the rows derived from blocks (payouts, pool outputs, distributions,
 * clusters and their merges), which a batch ingest or a rollback must leave as block by block would.
 */
export const DERIVED_ROW_QUERIES = {
  payouts: `SELECT payout_tx_id, n, height, pool_id, source_tx_id, ${addressOf('p.address_id')} AS address, value, hop
       FROM payouts p ORDER BY payout_tx_id, n`,
  pool_outputs: 'SELECT * FROM pool_outputs ORDER BY tx_id, n',
  distributions: `SELECT pool_id, kind, height, seq, array(SELECT ${addressOf('u')} FROM unnest(address_ids) AS u) AS addresses,
         amounts FROM distributions ORDER BY pool_id, kind, height, seq`,
  clusters: `SELECT ${addressOf('c.id')} AS root, size, height FROM clusters c ORDER BY root`,
  cluster_merges: `SELECT height, tx_id, ${addressOf('m.winner')} AS winner, ${addressOf('m.loser')} AS loser, new_size
       FROM cluster_merges m ORDER BY id`,
};

/**
 * Runs each query (in a stable order, addresses shown with `addressOf`) and keeps its rows as JSON text
 * under the query's name, bigints as decimals: two databases' snapshots are equal only if they hold
 * the same facts.
 */
export async function snapshotRows<K extends string>(
  db: Db,
  queries: Record<K, string>,
): Promise<Record<K, string[]>> {
  const snapshot = {} as Record<K, string[]>;
  for (const [name, query] of Object.entries(queries) as Array<[K, string]>) {
    snapshot[name] = (await sql.raw<Record<string, unknown>>(query).execute(db)).rows.map((row) =>
      JSON.stringify(row, (_, value) => (typeof value === 'bigint' ? value.toString() : value)),
    );
  }
  return snapshot;
}
