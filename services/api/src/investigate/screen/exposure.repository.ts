import type { Db } from '@minetrace/shared/db';
import type { TagView } from '@minetrace/shared/tags';
import { sql } from 'kysely';

/** Satoshis one screened address received in one transaction. */
export interface Receipt {
  address: string;
  addressId: bigint;
  txId: bigint;
  value: bigint;
}

/** An input of a walked transaction: the output it spends, with the tags of that output's address. */
export interface FundingInput {
  /** The transaction that created the spent output: where the walk goes next. */
  txId: bigint;
  n: number;
  value: bigint;
  addressId: bigint | null;
  /** Set only when the address is tagged (the walk needs the text of no other address). */
  address: string | null;
  tags: TagView[];
}

/** What funded one transaction: its inputs in input order, and what their shares are shares of. */
export interface Funding {
  inputs: FundingInput[];
  /**
   * The inputs' total; when some of the tx's prevouts are not indexed (`txs.fee` is null) and its
   * outputs pay more than the indexed inputs, the outputs' total: the part no indexed input funded
   * is then nobody's, as the trace engine's backward split books it (cut off).
   */
  total: bigint;
}

/** Every output each address received, summed per transaction, in address and tx order. */
export async function loadReceipts(db: Db, addresses: readonly string[]): Promise<Receipt[]> {
  if (addresses.length === 0) return [];
  const result = await sql<{ address: string; address_id: bigint; tx_id: bigint; value: bigint }>`
    SELECT a.address, a.id AS address_id, o.tx_id, sum(o.value)::int8 AS value
    FROM addresses a JOIN outputs o ON o.address_id = a.id
    WHERE a.address = ANY(${[...addresses]}::text[])
    GROUP BY a.id, o.tx_id ORDER BY a.id, o.tx_id`.execute(db);
  return result.rows.map((row) => ({
    address: row.address,
    addressId: row.address_id,
    txId: row.tx_id,
    value: row.value,
  }));
}

interface FundingRow {
  tx_id: bigint;
  prev_tx_id: bigint | null;
  n: number | null;
  value: bigint | null;
  address_id: bigint | null;
  address: string | null;
  label: string | null;
  category: string | null;
  source: string | null;
  confidence: number | null;
  actor: string | null;
  abuse: string | null;
  is_cluster_definer: boolean | null;
  created_at: Date | null;
  output_total: bigint | null;
}

/**
 * The inputs of every transaction in `ids`, one statement for the whole frontier of a hop: only the
 * spent outputs' keys, values and address ids, plus the tag rows of the tagged ones (one row per
 * tag), never the transactions' outputs, whose count dwarfs the inputs' on a real chain (a payout
 * or exchange batch pays hundreds). A transaction with no indexed input (a coinbase) is absent.
 */
export async function loadFunding(db: Db, ids: readonly bigint[]): Promise<Map<bigint, Funding>> {
  const funding = new Map<bigint, Funding>();
  if (ids.length === 0) return funding;
  const list = [...ids];
  // Tags joined to addresses as one relation: the planner then probes it per input when the tag
  // table is large, or hashes it once when it is small, instead of resolving every input's address.
  const result = await sql<FundingRow>`
    SELECT o.spent_by_tx_id AS tx_id, o.spent_by_input AS pos, o.tx_id AS prev_tx_id, o.n, o.value,
      o.address_id, ta.address, ta.label, ta.category, ta.source, ta.confidence, ta.actor, ta.abuse,
      ta.is_cluster_definer, ta.created_at, NULL::int8 AS output_total
    FROM outputs o
    LEFT JOIN (
      SELECT a.id, a.address, t.label, t.category, t.source, t.confidence, t.actor, t.abuse,
        t.is_cluster_definer, t.created_at
      FROM tags t JOIN addresses a ON a.address = t.address
    ) ta ON ta.id = o.address_id
    WHERE o.spent_by_tx_id = ANY(${list}::int8[])
    UNION ALL
    SELECT t.id, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
      (SELECT coalesce(sum(x.value), 0) FROM outputs x WHERE x.tx_id = t.id)::int8
    FROM txs t WHERE t.id = ANY(${list}::int8[]) AND t.fee IS NULL AND NOT t.is_coinbase
    ORDER BY tx_id, pos, category, label, source`.execute(db);
  const outputTotals = new Map<bigint, bigint>();
  let last: FundingInput | undefined;
  let lastSpender: bigint | undefined;
  for (const row of result.rows) {
    if (row.output_total !== null) {
      outputTotals.set(row.tx_id, row.output_total);
      continue;
    }
    let tx = funding.get(row.tx_id);
    if (tx === undefined) {
      tx = { inputs: [], total: 0n };
      funding.set(row.tx_id, tx);
    }
    // One row per tag of the spent output's address: consecutive rows of one input add its tags.
    if (last === undefined || lastSpender !== row.tx_id || last.txId !== row.prev_tx_id || last.n !== row.n) {
      lastSpender = row.tx_id;
      last = {
        txId: row.prev_tx_id!,
        n: row.n!,
        value: row.value!,
        addressId: row.address_id,
        address: row.address,
        tags: [],
      };
      tx.inputs.push(last);
      tx.total += last.value;
    }
    if (row.label !== null) {
      last.tags.push({
        label: row.label,
        category: row.category!,
        source: row.source!,
        confidence: Number(row.confidence),
        actor: row.actor,
        abuse: row.abuse,
        isClusterDefiner: row.is_cluster_definer!,
        createdAt: row.created_at!,
      });
    }
  }
  for (const [id, outputs] of outputTotals) {
    const tx = funding.get(id);
    if (tx !== undefined && outputs > tx.total) tx.total = outputs;
  }
  return funding;
}

/** Display txids of transactions by id. */
export async function loadTxids(db: Db, ids: readonly bigint[]): Promise<Map<bigint, string>> {
  if (ids.length === 0) return new Map();
  const result = await sql<{ id: bigint; txid: Buffer }>`
    SELECT id, txid FROM txs WHERE id = ANY(${[...ids]}::int8[])`.execute(db);
  return new Map(result.rows.map((row) => [row.id, row.txid.toString('hex')]));
}
