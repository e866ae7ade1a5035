import { scriptTypeName } from '@minetrace/shared/chain';
import { CopyBuffer, copyText, type Database, type Db, sqlArray } from '@minetrace/shared/db';
import { sql, type Transaction } from 'kysely';
import { withIndexJoins } from '../ingest/index-joins.js';
import type { ClusterBlockIo, ClusterFeed } from './cluster-feed.js';
import { type ClusterTx, clusterBlockTxs } from './cluster-merges.js';
import type { CoinJoinTxIo } from './coinjoin-shape.js';
import { type ClusterMerge, createUnionFind, type UnionFind } from './union-find.js';

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
 * Invariant: after it returns, every address's cluster (`address_clusters`) and every cluster's size are exact for the
 * blocks up to the clustered height, and one `cluster_merges` row records each union.
 */
export async function finalizeClusters(
  trx: Transaction<Database>,
  tipHeight: number,
  finalityDepth: number,
  /** What this process's batches kept of the blocks they wrote: read instead of their stored rows when still exact. */
  feed?: ClusterFeed,
): Promise<FinalizeClustersResult> {
  // Every statement below names its rows through an index; with statistics lagging behind a bulk load
  // Postgres would launch parallel workers for some (10-15 ms each time to read a few rows) or compile
  // their plans (tens of ms).
  await sql`SELECT set_config('max_parallel_workers_per_gather', '0', true), set_config('jit', 'off', true)`.execute(
    trx,
  );
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
    for (let i = 0; i < heights.length; i += CHUNK_HEIGHTS) {
      const chunk = heights.slice(i, i + CHUNK_HEIGHTS).map((row) => row.height);
      merges += await clusterBlocks(trx, chunk, feed);
      blocks += chunk.length;
      clusteredHeight = chunk[chunk.length - 1]!;
    }
  }
  if (blocks > 0 || rebuilt || state === undefined) {
    await trx
      .insertInto('cluster_state')
      .values({ id: true, clustered_height: clusteredHeight, stale: false })
      .onConflict((oc) => oc.column('id').doUpdateSet({ clustered_height: clusteredHeight, stale: false }))
      .execute();
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
  await trx.deleteFrom('address_clusters').execute();
  await trx.deleteFrom('clusters').execute();
  await trx.deleteFrom('cluster_merges').execute();
}

/**
 * Heights read and clustered together by `finalizeClusters`: the merges of a chunk are written at its
 * end, once per table, so a batch of blocks made final costs a fixed number of statements (a rebuild
 * from height 0 goes chunk by chunk).
 */
const CHUNK_HEIGHTS = 16;

/**
 * A merge as applied, with the height of the block of its transaction. Address and cluster ids are
 * numbers while a chunk is clustered (ids stay far below 2^53): the union-find's maps and sets hold
 * tens of thousands of them per batch, and keyed by bigints each lookup would hash a heap object.
 */
interface HeightMerge extends ClusterMerge<number, bigint> {
  height: number;
}

/** An input of a transaction that may merge clusters, with its prevout's address and that address's cluster. */
export interface ClusterInputRow {
  height: number;
  tx_id: bigint;
  value: bigint;
  script_type: number;
  address_id: bigint | null;
  cluster_id: bigint | null;
  size: number | null;
}

/**
 * The inputs of the non-coinbase transactions with two or more inputs at heights `first..last`, in
 * spender and input order, with each prevout's address and its stored cluster (only such transactions
 * can merge anything).
 *
 * Every table is reached through an index, the spent outputs through the spender index in a nested loop
 * from the blocks' transactions: hash and merge joins and sequential scans are off for this statement.
 * During a backfill the statistics lag behind the load (few transactions at these heights, few distinct
 * spenders), and Postgres otherwise hashes the transactions and reads every output: about 300 ms per 8
 * blocks at 500,000 outputs in the ingest benchmark, and the whole table on a mainnet-sized one.
 */
export async function readClusterInputs(
  trx: Transaction<Database>,
  first: number,
  last: number,
): Promise<ClusterInputRow[]> {
  const inputs = await withIndexJoins(
    trx,
    () =>
      sql<ClusterInputRow>`
    SELECT t.height, s.spent_by_tx_id AS tx_id, o.value, o.script_type, o.address_id, ac.cluster_id, c.size
    FROM txs t
    JOIN spends s ON s.spent_by_tx_id = t.id
    JOIN tx_outputs o ON o.tx_id = s.tx_id AND o.n = s.n
    LEFT JOIN address_clusters ac ON ac.address_id = o.address_id
    LEFT JOIN clusters c ON c.id = ac.cluster_id
    WHERE t.height BETWEEN ${first}::int4 AND ${last}::int4 AND NOT t.is_coinbase AND t.input_count >= 2
    ORDER BY s.spent_by_tx_id, s.spent_by_input`.execute(trx),
    { noSeqScans: true },
  );
  return inputs.rows;
}

/**
 * Applies the multi-input rule to the blocks at `heights` (ascending, contiguous among stored blocks),
 * block by block in height order, and stores the merges; returns how many.
 *
 * Stored clusters are read once for the whole chunk and only written at its end, so the reads of a later
 * block see them as they were before the chunk: each input's key is its address's stored cluster (or the
 * address alone), and the union-find, seeded once per stored cluster with its stored size, maps it to the
 * cluster it is in after the earlier blocks' merges. Every union therefore compares the same sizes and ids
 * as clustering block by block with a write after each, and yields the same merges in the same order.
 */
async function clusterBlocks(
  trx: Transaction<Database>,
  heights: readonly number[],
  feed: ClusterFeed | undefined,
): Promise<number> {
  const first = heights[0];
  const last = heights[heights.length - 1];
  if (first === undefined || last === undefined) return 0;
  const kept = feed === undefined ? undefined : await keptBlocks(trx, feed, first, last);
  const inputs =
    kept === undefined || feed === undefined
      ? await readClusterInputs(trx, first, last)
      : await keptClusterInputs(trx, kept, feed);
  if (inputs.length === 0) return 0;

  const byTx = new Map<
    number,
    { txId: bigint; height: number; inputs: ClusterTx<number, bigint>['inputs'][number][]; keys: Set<number> }
  >();
  const unionFind = createUnionFind<number, bigint>();
  // Each stored cluster (and each address alone) enters the union-find once, with its stored size.
  const seeded = new Set<number>();
  /** Keys that are stored clusters (`clusters.id`), as opposed to addresses alone. */
  const storedClusters = new Set<number>();
  for (const row of inputs) {
    const txKey = Number(row.tx_id);
    let tx = byTx.get(txKey);
    if (tx === undefined) {
      tx = { txId: row.tx_id, height: row.height, inputs: [], keys: new Set() };
      byTx.set(txKey, tx);
    }
    const address = row.address_id === null ? null : Number(row.address_id);
    const key = address === null ? null : row.cluster_id === null ? address : Number(row.cluster_id);
    // Address ids stand in for address strings: the CoinJoin shapes only compare them.
    tx.inputs.push({ key, value: row.value, address, scriptType: scriptTypeName(row.script_type) });
    if (key !== null) {
      tx.keys.add(key);
      if (!seeded.has(key)) {
        seeded.add(key);
        unionFind.add(key, row.size ?? 1);
        if (row.cluster_id !== null) storedClusters.add(key);
      }
    }
  }
  // Keys naming one cluster already (after earlier blocks of the chunk) merge nothing; the union-find
  // tells, so a few more candidates than needed is only a few more outputs read.
  const candidates = [...byTx.values()].filter((tx) => tx.keys.size >= 2);
  if (candidates.length === 0) return 0;

  const outputsByTx =
    kept === undefined
      ? await readClusterOutputs(
          trx,
          candidates.map((tx) => tx.txId),
        )
      : keptClusterOutputs(kept, new Set(candidates.map((tx) => Number(tx.txId))));

  const merges: HeightMerge[] = [];
  /** Per cluster, the last height at which a merge of its block left it the root of a member involved. */
  const grownAt = new Map<number, number>();
  let start = 0;
  while (start < candidates.length) {
    const { height } = candidates[start]!;
    let end = start;
    while (end < candidates.length && candidates[end]!.height === height) end++;
    const txs: ClusterTx<number, bigint>[] = candidates.slice(start, end).map((tx) => ({
      txid: tx.txId,
      isCoinbase: false,
      inputs: tx.inputs,
      outputs: outputsByTx.get(Number(tx.txId)) ?? [],
    }));
    const block = clusterBlockTxs(unionFind, txs).merges;
    // As a write after each block would: the clusters of this block's merges now end at this height.
    for (const merge of block) {
      grownAt.set(unionFind.find(merge.winner), height);
      merges.push({ ...merge, height });
    }
    start = end;
  }
  if (merges.length > 0) await storeMerges(trx, merges, unionFind, storedClusters, grownAt);
  return merges.length;
}

/** The outputs of the transactions `txIds`, keyed by tx id, in position order. */
async function readClusterOutputs(
  trx: Transaction<Database>,
  txIds: readonly bigint[],
): Promise<Map<number, CoinJoinTxIo[]>> {
  const outputs = await sql<{ tx_id: bigint; value: bigint; script_type: number; address_id: bigint | null }>`
    SELECT o.tx_id, o.value, o.script_type, o.address_id FROM outputs o
    WHERE o.tx_id = ANY(${sqlArray(txIds)}::int8[])
    ORDER BY o.tx_id, o.n`.execute(trx);
  const outputsByTx = new Map<number, CoinJoinTxIo[]>();
  for (const row of outputs.rows) {
    const txKey = Number(row.tx_id);
    let list = outputsByTx.get(txKey);
    if (list === undefined) {
      list = [];
      outputsByTx.set(txKey, list);
    }
    list.push({
      value: row.value,
      address: row.address_id === null ? null : Number(row.address_id),
      scriptType: scriptTypeName(row.script_type),
    });
  }
  return outputsByTx;
}

/**
 * The feed's blocks `first..last` when the database still holds exactly what their batches wrote:
 * the same hash at each height, and no rollback since (the highest `reorgs.id` unchanged). Otherwise
 * the feed is cleared and the caller reads the stored rows.
 */
async function keptBlocks(
  trx: Transaction<Database>,
  feed: ClusterFeed,
  first: number,
  last: number,
): Promise<ClusterBlockIo[] | undefined> {
  const kept = feed.range(first, last);
  if (kept === undefined) return undefined;
  const stored = await sql<{ height: number; hash: Buffer; reorg_mark: bigint }>`
    SELECT height, hash, (SELECT coalesce(max(id), 0) FROM reorgs)::int8 AS reorg_mark
    FROM blocks WHERE height BETWEEN ${first}::int4 AND ${last}::int4 ORDER BY height`.execute(trx);
  const exact =
    stored.rows.length === kept.length &&
    stored.rows.every((row, i) => {
      const block = kept[i]!;
      return row.height === block.height && row.hash.equals(block.hash) && row.reorg_mark === block.reorgMark;
    });
  if (!exact) {
    feed.clear();
    return undefined;
  }
  feed.stats.hits += 1;
  return kept;
}

/**
 * `readClusterInputs` from kept blocks: their inputs as the write resolved them, with each address's
 * stored cluster read by primary key (the one read left).
 *
 * Read only for addresses first seen before the first kept block: the chunks are clustered in height
 * order, each storing its memberships, so no address first seen at or above the chunk's first height
 * is stored in a cluster yet. The mainnet-like scenario spends half its inputs from the newest
 * 20,000 coins (a few blocks' outputs), as mainnet spends many young coins: their addresses are
 * skipped. In the ingest benchmark the read fell from 18-21 to 12-14 ms per block as Postgres answered it.
 */
async function keptClusterInputs(
  trx: Transaction<Database>,
  kept: readonly ClusterBlockIo[],
  feed: ClusterFeed,
): Promise<ClusterInputRow[]> {
  const unclustered = kept[0]?.firstAddressId ?? Number.POSITIVE_INFINITY;
  const addressIds = new Set<number>();
  let unread = 0;
  for (const block of kept) {
    for (const id of block.inAddress) {
      if (id >= unclustered) unread += 1;
      else if (id >= 0) addressIds.add(id);
    }
  }
  feed.stats.unread += unread;
  const clusterOf = new Map<number, { cluster_id: bigint; size: number | null }>();
  if (addressIds.size > 0) {
    // By primary key: with statistics lagging a bulk load, Postgres otherwise reads the whole table.
    const stored = await withIndexJoins(
      trx,
      () =>
        sql<{ address_id: bigint; cluster_id: bigint; size: number | null }>`
      SELECT ac.address_id, ac.cluster_id, c.size
      FROM address_clusters ac LEFT JOIN clusters c ON c.id = ac.cluster_id
      WHERE ac.address_id = ANY(${sqlArray([...addressIds])}::int8[])`.execute(trx),
      { noSeqScans: true },
    );
    for (const row of stored.rows) clusterOf.set(Number(row.address_id), row);
  }
  const rows: ClusterInputRow[] = [];
  for (const block of kept) {
    block.txIds.forEach((txId, i) => {
      for (let j = block.inStart[i]!; j < block.inStart[i + 1]!; j++) {
        const address = block.inAddress[j]!;
        const cluster = address < 0 ? undefined : clusterOf.get(address);
        rows.push({
          height: block.height,
          tx_id: txId,
          value: BigInt(block.inValue[j]!),
          script_type: block.inType[j]!,
          address_id: address < 0 ? null : BigInt(address),
          cluster_id: cluster?.cluster_id ?? null,
          size: cluster?.size ?? null,
        });
      }
    });
  }
  return rows;
}

/** `readClusterOutputs` from kept blocks, for the transactions `txKeys` (tx ids as numbers). */
function keptClusterOutputs(
  kept: readonly ClusterBlockIo[],
  txKeys: ReadonlySet<number>,
): Map<number, CoinJoinTxIo[]> {
  const outputsByTx = new Map<number, CoinJoinTxIo[]>();
  for (const block of kept) {
    block.txIds.forEach((txId, i) => {
      const txKey = Number(txId);
      if (!txKeys.has(txKey)) return;
      const list: CoinJoinTxIo[] = [];
      for (let j = block.outStart[i]!; j < block.outStart[i + 1]!; j++) {
        const address = block.outAddress[j]!;
        list.push({
          value: BigInt(block.outValue[j]!),
          address: address < 0 ? null : address,
          scriptType: scriptTypeName(block.outType[j]!),
        });
      }
      outputsByTx.set(txKey, list);
    });
  }
  return outputsByTx;
}

/**
 * Writes a chunk's merges: what a write after each block would have left, written once. Addresses of
 * the stored clusters that lost move to their final cluster, addresses alone that were merged join theirs,
 * the losers' rows go, the final clusters get their size and the height of the last block that grew them,
 * and one `cluster_merges` row records each union, in the order applied.
 */
async function storeMerges(
  trx: Transaction<Database>,
  merges: readonly HeightMerge[],
  unionFind: UnionFind<number, bigint>,
  storedClusters: ReadonlySet<number>,
  grownAt: ReadonlyMap<number, number>,
): Promise<void> {
  const { find, sizeOf } = unionFind;
  const alone = new Set<number>();
  const finalRoots = new Set<number>();
  const storedLosers: number[] = [];
  for (const merge of merges) {
    for (const id of [merge.winner, merge.loser]) {
      if (!storedClusters.has(id)) alone.add(id);
      finalRoots.add(find(id));
    }
    if (storedClusters.has(merge.loser)) storedLosers.push(merge.loser);
  }
  // In id order, which is the table's order: the updates walk the heap and the primary key forward.
  const byId = (a: number, b: number) => a - b;
  const aloneIds = [...alone].sort(byId);
  const roots = [...finalRoots];
  storedLosers.sort(byId);

  if (storedLosers.length > 0) {
    // Names its rows by the cluster_id index: a nested loop is the plan. On a table whose statistics
    // lag behind a bulk load, Postgres otherwise hashes the list and reads every member of every
    // cluster, which at a million addresses costs about half a second.
    await withIndexJoins(trx, async () => {
      await sql`
      UPDATE address_clusters AS ac SET cluster_id = u.root
      FROM unnest(${sqlArray(storedLosers)}::int8[], ${sqlArray(storedLosers.map((id) => find(id)))}::int8[]) AS u(loser, root)
      WHERE ac.cluster_id = u.loser`.execute(trx);
    });
  }
  // Never in a cluster of two or more before this chunk, so without a row: their cluster was themselves.
  // COPY, not INSERT from arrays: thousands of rows per chunk, which Postgres would otherwise parse as
  // array literals and unnest first. With the merges' COPY below: 31 against 41 ms of statements per
  // mainnet-like block in the ingest benchmark.
  const aloneText = new CopyBuffer(24 * aloneIds.length);
  for (const id of aloneIds) aloneText.int(id).ascii('\t').int(find(id)).ascii('\n');
  await copyText(trx, 'address_clusters', ['address_id', 'cluster_id'], aloneText.view());
  if (storedLosers.length > 0) {
    await sql`DELETE FROM clusters WHERE id = ANY(${sqlArray(storedLosers)}::int8[])`.execute(trx);
  }
  await sql`
    INSERT INTO clusters (id, size, height)
    SELECT u.id, u.size, u.height
    FROM unnest(${sqlArray(roots)}::int8[], ${sqlArray(roots.map((id) => sizeOf(id)))}::int4[], ${sqlArray(roots.map((id) => grownAt.get(id)!))}::int4[])
      AS u(id, size, height)
    ON CONFLICT (id) DO UPDATE SET size = excluded.size, height = excluded.height`.execute(trx);
  // In the order applied: ids (the identity's) follow it.
  const mergeText = new CopyBuffer(64 * merges.length);
  for (const m of merges) {
    mergeText
      .int(m.height)
      .ascii('\t')
      .int(m.txid)
      .ascii('\t')
      .int(m.winner)
      .ascii('\t')
      .int(m.loser)
      .ascii('\t')
      .int(m.newSize)
      .ascii('\n');
  }
  await copyText(trx, 'cluster_merges', ['height', 'tx_id', 'winner', 'loser', 'new_size'], mergeText.view());
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
