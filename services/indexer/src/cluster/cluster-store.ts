import { scriptTypeName } from '@minetrace/shared/chain';
import type { Database, Db } from '@minetrace/shared/db';
import { sql, type Transaction } from 'kysely';
import { type ClusterTx, clusterBlockTxs } from './cluster-merges.js';
import type { CoinJoinTxIo } from './coinjoin-shape.js';
import { type ClusterMerge, createUnionFind } from './union-find.js';

/** Same default as `FINALITY_DEPTH` in the configuration. */
export const DEFAULT_FINALITY_DEPTH = 6;

/** What `finalizeClusters` did. */
export interface FinalizeClustersResult {
  /** True when the stored clusters were stale (a rollback below them) and were rebuilt first. */
  rebuilt: boolean;
  /** Blocks clustered by this call (those of a rebuild included). */
  blocks: number;
  merges: number;
  /** Last clustered height afterwards; null when no block is final yet. */
  clusteredHeight: number | null;
}

/**
 * Clusters every block up to `tipHeight - finalityDepth` not clustered yet, in height order, inside the
 * caller's transaction (normally the one that wrote the block making them final). When a rollback has
 * marked the clusters stale, they are first rebuilt from the stored chain.
 *
 * Invariant: after it returns, every address's `cluster_id` and every cluster's size are exact for the
 * blocks up to the clustered height, and one `cluster_merges` row records each union.
 */
export async function finalizeClusters(
  trx: Transaction<Database>,
  tipHeight: number,
  finalityDepth: number,
): Promise<FinalizeClustersResult> {
  const state = await trx
    .selectFrom('cluster_state')
    .selectAll()
    .where('id', '=', true)
    .forUpdate()
    .executeTakeFirst();
  let rebuilt = false;
  let from = (state?.clustered_height ?? -1) + 1;
  if (state?.stale === true) {
    await clearClusters(trx);
    rebuilt = true;
    from = 0;
  }
  const target = tipHeight - finalityDepth;
  let blocks = 0;
  let merges = 0;
  let clusteredHeight = rebuilt ? null : (state?.clustered_height ?? null);
  if (target >= from) {
    // The usual case, one block made final by the next: blocks are contiguous above the clustered height.
    const heights =
      state !== undefined && !rebuilt && target === from
        ? [{ height: target }]
        : await trx
            .selectFrom('blocks')
            .select('height')
            .where('height', '>=', from)
            .where('height', '<=', target)
            .orderBy('height')
            .execute();
    for (const { height } of heights) {
      merges += await clusterBlock(trx, height);
      blocks += 1;
      clusteredHeight = height;
    }
  }
  if (blocks > 0 || rebuilt || state === undefined) {
    await trx
      .insertInto('cluster_state')
      .values({ id: true, clustered_height: clusteredHeight, stale: false })
      .onConflict((oc) => oc.column('id').doUpdateSet({ clustered_height: clusteredHeight, stale: false }))
      .execute();
    if (clusteredHeight !== null) {
      await trx
        .updateTable('chain_state')
        .set({ final_height: clusteredHeight })
        .where('id', '=', true)
        .execute();
    }
  }
  return { rebuilt, blocks, merges, clusteredHeight };
}

/**
 * Rebuilds every cluster from the stored chain, in one transaction: clears them, then clusters the blocks
 * up to the tip less `finalityDepth`. For after a rollback below the clustered height (which marks them
 * stale), or to recover from a change of the clustering rule.
 */
export async function rebuildClusters(db: Db, finalityDepth: number): Promise<FinalizeClustersResult> {
  return db.transaction().execute(async (trx) => {
    await trx
      .insertInto('cluster_state')
      .values({ id: true, clustered_height: null, stale: true })
      .onConflict((oc) => oc.column('id').doUpdateSet({ stale: true }))
      .execute();
    const state = await trx
      .selectFrom('chain_state')
      .select('tip_height')
      .where('id', '=', true)
      .executeTakeFirst();
    return finalizeClusters(trx, state?.tip_height ?? -1, finalityDepth);
  });
}

/**
 * Called by the rollback before blocks above `forkHeight` go: clusters that include any of them can not be
 * undone merge by merge (the members each loser had are not kept), so they are marked stale and rebuilt by
 * the next `finalizeClusters`. A rollback above the clustered height leaves them exact.
 */
export async function rollbackClusters(trx: Transaction<Database>, forkHeight: number): Promise<boolean> {
  const state = await trx
    .selectFrom('cluster_state')
    .selectAll()
    .where('id', '=', true)
    .forUpdate()
    .executeTakeFirst();
  if (state === undefined || state.clustered_height === null || state.clustered_height <= forkHeight) {
    return false;
  }
  await trx.updateTable('cluster_state').set({ stale: true }).where('id', '=', true).execute();
  return true;
}

async function clearClusters(trx: Transaction<Database>): Promise<void> {
  await trx.updateTable('addresses').set({ cluster_id: null }).where('cluster_id', 'is not', null).execute();
  await trx.deleteFrom('clusters').execute();
  await trx.deleteFrom('cluster_merges').execute();
}

/** Applies the multi-input rule to one block's transactions; returns the number of merges stored. */
async function clusterBlock(trx: Transaction<Database>, height: number): Promise<number> {
  // Only transactions spending from two or more addresses can merge anything.
  const inputs = await sql<{
    tx_id: bigint;
    value: bigint;
    script_type: number;
    address_id: bigint | null;
    cluster_id: bigint | null;
    size: number | null;
  }>`
    SELECT o.spent_by_tx_id AS tx_id, o.value, o.script_type, o.address_id, a.cluster_id, c.size
    FROM txs t
    JOIN outputs o ON o.spent_by_tx_id = t.id
    LEFT JOIN addresses a ON a.id = o.address_id
    LEFT JOIN clusters c ON c.id = a.cluster_id
    WHERE t.height = ${height}::int4 AND NOT t.is_coinbase AND t.input_count >= 2
    ORDER BY o.spent_by_tx_id, o.spent_by_input`.execute(trx);
  if (inputs.rows.length === 0) return 0;

  const byTx = new Map<
    bigint,
    { inputs: ClusterTx<bigint, bigint>['inputs'][number][]; keys: Set<bigint> }
  >();
  const unionFind = createUnionFind<bigint, bigint>();
  // Each stored cluster enters the union-find once, with its stored size.
  const seeded = new Set<bigint>();
  for (const row of inputs.rows) {
    let tx = byTx.get(row.tx_id);
    if (tx === undefined) {
      tx = { inputs: [], keys: new Set() };
      byTx.set(row.tx_id, tx);
    }
    const key = row.address_id === null ? null : (row.cluster_id ?? row.address_id);
    // Address ids stand in for address strings: the CoinJoin shapes only compare them.
    tx.inputs.push({
      key,
      value: row.value,
      address: row.address_id === null ? null : String(row.address_id),
      scriptType: scriptTypeName(row.script_type),
    });
    if (key !== null) {
      tx.keys.add(key);
      if (!seeded.has(key)) {
        seeded.add(key);
        unionFind.add(key, row.size ?? 1);
      }
    }
  }
  const candidates = [...byTx].filter(([, tx]) => tx.keys.size >= 2).map(([txId]) => txId);
  if (candidates.length === 0) return 0;

  const outputs = await sql<{ tx_id: bigint; value: bigint; script_type: number; address_id: bigint | null }>`
    SELECT o.tx_id, o.value, o.script_type, o.address_id FROM outputs o
    WHERE o.tx_id = ANY(${candidates}::int8[])
    ORDER BY o.tx_id, o.n`.execute(trx);
  const outputsByTx = new Map<bigint, CoinJoinTxIo[]>();
  for (const row of outputs.rows) {
    const list = outputsByTx.get(row.tx_id) ?? [];
    list.push({
      value: row.value,
      address: row.address_id === null ? null : String(row.address_id),
      scriptType: scriptTypeName(row.script_type),
    });
    outputsByTx.set(row.tx_id, list);
  }

  const txs: ClusterTx<bigint, bigint>[] = candidates.map((txId) => ({
    txid: txId,
    isCoinbase: false,
    inputs: byTx.get(txId)!.inputs,
    outputs: outputsByTx.get(txId) ?? [],
  }));
  const { merges } = clusterBlockTxs(unionFind, txs);
  if (merges.length > 0) await storeMerges(trx, height, merges, unionFind.find, unionFind.sizeOf);
  return merges.length;
}

async function storeMerges(
  trx: Transaction<Database>,
  height: number,
  merges: readonly ClusterMerge<bigint, bigint>[],
  find: (key: bigint) => bigint,
  sizeOf: (key: bigint) => number,
): Promise<void> {
  const involved = new Set<bigint>();
  for (const merge of merges) {
    involved.add(merge.winner);
    involved.add(merge.loser);
  }
  const losers = merges.map((merge) => merge.loser);
  const ids = [...involved];
  const roots = ids.map((id) => find(id));
  const finalRoots = [...new Set(roots)];

  // Stored clusters that lost move to their final root; then addresses that were alone (no cluster_id)
  // join theirs. Both only touch the members of the clusters involved.
  // Both name their rows by index (cluster_id, primary key): a nested loop is the plan. On a table
  // whose statistics lag behind a bulk load, Postgres otherwise hashes the list and reads every
  // address, which at a million addresses costs about half a second per statement.
  await sql`SET LOCAL enable_hashjoin = off`.execute(trx);
  await sql`SET LOCAL enable_mergejoin = off`.execute(trx);
  await sql`
    UPDATE addresses AS a SET cluster_id = u.root
    FROM unnest(${losers}::int8[], ${losers.map((id) => find(id))}::int8[]) AS u(loser, root)
    WHERE a.cluster_id = u.loser`.execute(trx);
  await sql`
    UPDATE addresses AS a SET cluster_id = u.root
    FROM unnest(${ids}::int8[], ${roots}::int8[]) AS u(id, root)
    WHERE a.id = u.id AND a.cluster_id IS NULL`.execute(trx);
  await sql`RESET enable_hashjoin`.execute(trx);
  await sql`RESET enable_mergejoin`.execute(trx);
  await trx.deleteFrom('clusters').where('id', 'in', losers).execute();
  await sql`
    INSERT INTO clusters (id, size, height)
    SELECT u.id, u.size, ${height}::int4 FROM unnest(${finalRoots}::int8[], ${finalRoots.map((id) => sizeOf(id))}::int4[]) AS u(id, size)
    ON CONFLICT (id) DO UPDATE SET size = excluded.size, height = excluded.height`.execute(trx);
  await sql`
    INSERT INTO cluster_merges (height, tx_id, winner, loser, new_size)
    SELECT ${height}::int4, u.tx_id, u.winner, u.loser, u.new_size
    FROM unnest(${merges.map((m) => m.txid)}::int8[], ${merges.map((m) => m.winner)}::int8[],
      ${losers}::int8[], ${merges.map((m) => m.newSize)}::int4[]) WITH ORDINALITY AS u(tx_id, winner, loser, new_size, ord)
    ORDER BY u.ord`.execute(trx);
}

/** The merge that joined two addresses' clusters: the evidence for "which transaction linked these?". */
export interface ClusterLink {
  mergeId: bigint;
  height: number;
  /** `txs.id` and display-order txid of the merging transaction. */
  txId: bigint;
  txid: Buffer;
  winner: bigint;
  loser: bigint;
  newSize: number;
}

/**
 * Which merge put addresses `a` and `b` (addresses.id) in one cluster, or null when they are not in the
 * same cluster (or are the same address). Walks each address's path through the clusters it belonged
 * to (its own id, then the winner of each merge its current cluster lost) and returns the merge where
 * the two paths meet.
 */
export async function findClusterLink(
  db: Db | Transaction<Database>,
  a: bigint,
  b: bigint,
): Promise<ClusterLink | null> {
  if (a === b) return null;
  const [pathA, pathB] = await Promise.all([clusterPath(db, a), clusterPath(db, b)]);
  const indexInB = new Map(pathB.map((step, i) => [step.cluster, i]));
  for (let i = 0; i < pathA.length; i++) {
    const j = indexInB.get(pathA[i]!.cluster);
    if (j === undefined) continue;
    // The paths meet at this cluster: the later of the two merges that led each side into it joined them.
    const viaA = i > 0 ? pathA[i]!.via : null;
    const viaB = j > 0 ? pathB[j]!.via : null;
    const vias = [viaA, viaB].filter((via): via is bigint => via !== null).sort((x, y) => (x < y ? 1 : -1));
    const mergeId = vias[0] ?? null;
    if (mergeId === null) return null;
    const row = await db
      .selectFrom('cluster_merges as m')
      .innerJoin('txs as t', 't.id', 'm.tx_id')
      .select(['m.id', 'm.height', 'm.tx_id', 't.txid', 'm.winner', 'm.loser', 'm.new_size'])
      .where('m.id', '=', mergeId)
      .executeTakeFirstOrThrow();
    return {
      mergeId: row.id,
      height: row.height,
      txId: row.tx_id,
      txid: row.txid,
      winner: row.winner,
      loser: row.loser,
      newSize: row.new_size,
    };
  }
  return null;
}

/** The clusters an address belonged to, oldest first, each with the merge (id) that moved it there. */
async function clusterPath(
  db: Db | Transaction<Database>,
  address: bigint,
): Promise<{ cluster: bigint; via: bigint | null }[]> {
  const rows = await sql<{ cluster: bigint; via: bigint | null }>`
    WITH RECURSIVE path(cluster, via, depth) AS (
      SELECT ${address}::int8, NULL::int8, 0
      UNION ALL
      SELECT m.winner, m.id, p.depth + 1 FROM path p JOIN cluster_merges m ON m.loser = p.cluster
    )
    SELECT cluster, via FROM path ORDER BY depth`.execute(db);
  return rows.rows;
}
