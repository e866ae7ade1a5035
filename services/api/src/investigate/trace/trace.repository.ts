import { clusterMembers, type Db } from '@minetrace/shared/db';
import { type RawBuilder, sql } from 'kysely';
import type { TraceTag } from '../trace.types.js';

/** An output as the walk sees it: value, where it paid, and who spent it. */
export interface WalkOutput {
  txId: bigint;
  n: number;
  value: bigint;
  /** Display txid of the tx that created the output. */
  txid: string;
  /** Block time of the tx that created the output. */
  time: number;
  addressId: bigint | null;
  address: string | null;
  clusterId: bigint | null;
  clusterSize: number | null;
  tags: TraceTag[];
  spentByTxId: bigint | null;
}

/** A transaction with every input (the outputs it spent, in input order) and every output. */
export interface WalkTx {
  id: bigint;
  txid: string;
  time: number;
  isCoinbase: boolean;
  inputs: WalkOutput[];
  outputs: WalkOutput[];
}

interface LegRow {
  side: 'in' | 'out';
  owner: bigint;
  pos: number;
  owner_txid: Buffer;
  owner_time: number;
  owner_coinbase: boolean;
  tx_id: bigint;
  n: number;
  value: bigint;
  txid: Buffer;
  time: number;
  address_id: bigint | null;
  address: string | null;
  cluster_id: bigint | null;
  cluster_size: number | null;
  spent_by_tx_id: bigint | null;
  tags: Array<{ label: string; category: string; source: string; confidence: number }> | null;
}

/** The joins a leg's address and cluster columns read: `a`, `ac` and `c`, from the output's `column`. */
export function legJoins(column: string): RawBuilder<unknown> {
  return sql`LEFT JOIN addresses a ON a.id = ${sql.ref(column)}
    LEFT JOIN address_clusters ac ON ac.address_id = a.id
    LEFT JOIN clusters c ON c.id = ac.cluster_id`;
}

/**
 * The columns every output leg selects: address, cluster and tags resolved in the same statement
 * (from `legJoins`).
 */
export const LEG_DETAIL = sql`
  a.address, CASE WHEN a.id IS NULL THEN NULL ELSE coalesce(ac.cluster_id, a.id) END AS cluster_id,
  CASE WHEN a.id IS NULL THEN NULL ELSE coalesce(c.size, 1) END AS cluster_size,
  (SELECT json_agg(json_build_object('label', g.label, 'category', g.category, 'source', g.source,
            'confidence', g.confidence) ORDER BY g.category, g.label, g.source)
     FROM tags g WHERE g.address = a.address) AS tags`;

/**
 * Runs `query` with JIT compilation off. A hop's statement touches a few thousand rows at most, but
 * the planner's estimates for `= ANY(array)` joins often pass `jit_above_cost`, and compiling then
 * costs ten times the execution (hundreds of milliseconds per hop).
 */
export async function withoutJit<T>(db: Db, query: (db: Db) => Promise<T>): Promise<T> {
  if (db.isTransaction) {
    await sql`SET LOCAL jit = off`.execute(db);
    return query(db);
  }
  return db.transaction().execute(async (trx) => {
    await sql`SET LOCAL jit = off`.execute(trx);
    return query(trx);
  });
}

export function toOutput(row: {
  tx_id: bigint;
  n: number;
  value: bigint;
  txid: Buffer;
  time: number;
  address_id: bigint | null;
  address: string | null;
  cluster_id: bigint | null;
  cluster_size: number | null;
  spent_by_tx_id: bigint | null;
  tags: LegRow['tags'];
}): WalkOutput {
  return {
    txId: row.tx_id,
    n: row.n,
    value: row.value,
    txid: row.txid.toString('hex'),
    time: row.time,
    addressId: row.address_id,
    address: row.address,
    clusterId: row.cluster_id,
    clusterSize: row.cluster_size,
    tags: (row.tags ?? []).map((tag) => ({ ...tag, confidence: Number(tag.confidence) })),
    spentByTxId: row.spent_by_tx_id,
  };
}

/**
 * Loads whole transactions by id, each with its inputs and outputs, addresses, clusters and tags:
 * one statement for the whole frontier of a hop, never one per transaction.
 */
export async function loadTxs(db: Db, ids: readonly bigint[]): Promise<Map<bigint, WalkTx>> {
  const txs = new Map<bigint, WalkTx>();
  if (ids.length === 0) return txs;
  // Plain `= ANY($1)` on both indexes (outputs' primary key, spent_by_tx_id) rather than a CTE of
  // the txs: the planner then estimates the rows from the array.
  const list = [...ids];
  const result = await withoutJit(db, (q) =>
    sql<LegRow>`
    WITH legs AS (
      SELECT l.side, l.owner, l.pos, w.txid AS owner_txid, wb.time AS owner_time, w.is_coinbase AS owner_coinbase,
             l.tx_id, l.n, l.value, l.address_id, l.spent_by_tx_id, pt.txid, pb.time, a.address,
             CASE WHEN a.id IS NULL THEN NULL ELSE coalesce(ac.cluster_id, a.id) END AS cluster_id,
             CASE WHEN a.id IS NULL THEN NULL ELSE coalesce(c.size, 1) END AS cluster_size
      FROM (
        SELECT 'out' AS side, o.tx_id AS owner, o.n AS pos, o.tx_id, o.n, o.value, o.address_id, o.spent_by_tx_id
        FROM outputs o WHERE o.tx_id = ANY(${list}::int8[])
        UNION ALL
        SELECT 'in', o.spent_by_tx_id, o.spent_by_input, o.tx_id, o.n, o.value, o.address_id, o.spent_by_tx_id
        FROM outputs o WHERE o.spent_by_tx_id = ANY(${list}::int8[])
      ) l
      JOIN txs w ON w.id = l.owner JOIN blocks wb ON wb.height = w.height
      JOIN txs pt ON pt.id = l.tx_id JOIN blocks pb ON pb.height = pt.height
      ${legJoins('l.address_id')}
    ), tagged AS (
      -- Tags once per distinct address, not once per leg: a hop's legs repeat addresses.
      SELECT g.address, json_agg(json_build_object('label', g.label, 'category', g.category, 'source', g.source,
               'confidence', g.confidence) ORDER BY g.category, g.label, g.source) AS tags
      FROM tags g WHERE g.address IN (SELECT address FROM legs WHERE address IS NOT NULL)
      GROUP BY g.address
    )
    SELECT legs.*, tagged.tags FROM legs LEFT JOIN tagged ON tagged.address = legs.address
    ORDER BY legs.owner, legs.side, legs.pos`.execute(q),
  );
  for (const row of result.rows) {
    let tx = txs.get(row.owner);
    if (tx === undefined) {
      tx = {
        id: row.owner,
        txid: row.owner_txid.toString('hex'),
        time: row.owner_time,
        isCoinbase: row.owner_coinbase,
        inputs: [],
        outputs: [],
      };
      txs.set(row.owner, tx);
    }
    (row.side === 'in' ? tx.inputs : tx.outputs).push(toOutput(row));
  }
  return txs;
}

/** What a trace starts from, resolved to ids. */
export interface SourceQuery {
  addresses: string[];
  cluster: bigint | null;
  outpoints: Array<{ txid: Buffer; n: number }>;
  poolSlug: string | null;
  fromTime: number | null;
  toTime: number | null;
}

/** Whether the `pools` table knows this slug (a known pool may have made no payout). */
export async function poolExists(db: Db, slug: string): Promise<boolean> {
  const row = await db.selectFrom('pools').select('id').where('slug', '=', slug).executeTakeFirst();
  return row !== undefined;
}

/** The source outputs of a trace, in chain order, in one statement. */
export async function loadSourceOutputs(db: Db, query: SourceQuery): Promise<WalkOutput[]> {
  const parts: RawBuilder<unknown>[] = [];
  if (query.addresses.length > 0) {
    parts.push(sql`SELECT o.tx_id, o.n FROM addresses a JOIN outputs o ON o.address_id = a.id
                   WHERE a.address = ANY(${query.addresses}::text[])`);
  }
  if (query.cluster !== null) {
    parts.push(sql`SELECT o.tx_id, o.n FROM (${clusterMembers([query.cluster])}) m
                   JOIN outputs o ON o.address_id = m.address_id`);
  }
  if (query.outpoints.length > 0) {
    parts.push(sql`SELECT o.tx_id, o.n FROM unnest(${query.outpoints.map((o) => o.txid)}::bytea[],
                     ${query.outpoints.map((o) => o.n)}::int4[]) AS k(txid, n)
                   JOIN txs t ON t.txid = k.txid JOIN outputs o ON o.tx_id = t.id AND o.n = k.n`);
  }
  if (query.poolSlug !== null) {
    parts.push(sql`SELECT p.payout_tx_id, p.n FROM payouts p JOIN pools s ON s.id = p.pool_id
                   WHERE s.slug = ${query.poolSlug}`);
  }
  if (parts.length === 0) return [];
  const result = await withoutJit(db, (q) =>
    sql<Parameters<typeof toOutput>[0]>`
    WITH src(tx_id, n) AS (${sql.join(parts, sql` UNION `)})
    SELECT o.tx_id, o.n, o.value, o.address_id, o.spent_by_tx_id, t.txid, b.time, ${LEG_DETAIL}
    FROM src JOIN outputs o ON o.tx_id = src.tx_id AND o.n = src.n
    JOIN txs t ON t.id = o.tx_id JOIN blocks b ON b.height = t.height
    ${legJoins('o.address_id')}
    WHERE ${query.fromTime === null ? sql`TRUE` : sql`b.time >= ${query.fromTime}`}
      AND ${query.toTime === null ? sql`TRUE` : sql`b.time < ${query.toTime}`}
    ORDER BY o.tx_id, o.n`.execute(q),
  );
  return result.rows.map(toOutput);
}
