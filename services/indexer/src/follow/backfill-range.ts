import { hashToHex } from '@minetrace/shared';
import { networkFromChain } from '@minetrace/shared/chain';
import { type Db, getChainState } from '@minetrace/shared/db';
import type { PoolSet } from '@minetrace/shared/pools';
import { createClusterCatchUp } from '../cluster/cluster-catch-up.js';
import { ClusterFeed } from '../cluster/cluster-feed.js';
import { DEFAULT_FINALITY_DEPTH } from '../cluster/cluster-store.js';
import { DEFAULT_PAYOUT_MAX_HOPS, payoutsAfterBlock } from '../ingest/derived-rows.js';
import { BlockNotContiguousError, NetworkMismatchError } from '../ingest/ingest.errors.js';
import { syncPools } from '../ingest/pool-sync.js';
import { RecentTxids } from '../ingest/recent-txids.js';
import { fetchNodeBlock, movedOnNotFound, type PipelineTimings, runBlockPipeline } from './block-pipeline.js';
import { BackfillRangeError, ChainMovedError } from './follow.errors.js';
import type { BitcoindRpcClient } from './rpc-client.js';
import { createWorkerDecoder } from './worker-decoder.js';

export interface BackfillRangeOptions {
  db: Db;
  rpc: BitcoindRpcClient;
  pools: PoolSet;
  /** First and last height of the range, inclusive. */
  from: number;
  to: number;
  /** Called after each committed batch; must not throw. */
  onProgress?: (progress: BackfillProgress) => void;
  /** Stops after the batch being written; what is committed stays. */
  signal?: AbortSignal;
  /** Most blocks per transaction. @defaultValue 8 */
  batchBlocks?: number;
  /** A batch closes once it holds this many transactions. @defaultValue 40000 */
  batchTxs?: number;
  /** Blocks fetched ahead, in parallel. @defaultValue 8 */
  prefetch?: number;
  /** `PAYOUT_MAX_HOPS` of the derived rows. @defaultValue 3 */
  payoutMaxHops?: number;
  /** `FINALITY_DEPTH` of the clustering. @defaultValue 6 */
  finalityDepth?: number;
  /**
   * Decode blocks in a worker thread (`createWorkerDecoder`) rather than on the main thread between
   * the batch's statements. @defaultValue false
   */
  decodeInWorker?: boolean;
}

/** Where a backfill stands, after each committed batch. */
export interface BackfillProgress {
  from: number;
  to: number;
  /** Height of the last committed block (the indexed tip). */
  height: number;
  /** Blocks this call has committed so far, and how many it had to commit when it started. */
  applied: number;
  total: number;
  txs: number;
  elapsedMs: number;
  timings: PipelineTimings;
}

export interface BackfillRangeResult {
  from: number;
  to: number;
  /** Blocks of the range that were already indexed (at most up to the tip found at the start). */
  skipped: number;
  applied: number;
  txs: number;
  /** The indexed tip when the call returned. */
  tip: { height: number; hash: string } | null;
  elapsedMs: number;
  timings: PipelineTimings;
  /** True when `signal` stopped it before `to`. */
  aborted: boolean;
}

/** Times another writer (the follower) may move the tip under a backfill before it gives up. */
const MAX_RESTARTS = 3;

/**
 * Indexes the node's blocks `from..to` in height order, several blocks per transaction, chain rows
 * and derived rows (payouts, clusters) exactly as the follower writes them. For a job worker that
 * backfills history in ranges; progress is reported after each commit.
 *
 * Blocks are only ever committed on the indexed tip (block h when h - 1 is the tip), so:
 * - a range starting above tip + 1 is refused with `BackfillRangeError` and nothing is written
 *   (backfill tip + 1 .. from - 1 first, or split the job in order);
 * - the part of a range at or below the tip is skipped (`skipped`), after checking that the indexed
 *   tip is on the node's best chain (`ChainMovedError` otherwise: rolling back a reorg is the
 *   follower's job, and a retry after it will find the tip on the node's chain again);
 * - another writer moving the tip meanwhile (the follower) is tolerated: the backfill re-reads the
 *   tip and carries on above it.
 * `to` above the node's height, a negative or fractional height or from > to is a
 * `BackfillRangeError`; a database of another network is a `NetworkMismatchError`. Stopping (signal,
 * crash, error) leaves the database at a whole batch; calling again with the same range resumes.
 */
export async function backfillRange(options: BackfillRangeOptions): Promise<BackfillRangeResult> {
  const { db, rpc, pools, from, to, signal } = options;
  if (!Number.isSafeInteger(from) || !Number.isSafeInteger(to) || from < 0 || from > to) {
    throw new BackfillRangeError(
      `invalid height range ${from}..${to}: heights are integers, 0 <= from <= to`,
    );
  }
  const started = performance.now();
  const info = await rpc.getBlockchainInfo();
  if (to > info.blocks) {
    throw new BackfillRangeError(`the range ends at ${to} but the node's chain ends at ${info.blocks}`);
  }
  const stored = await getChainState(db);
  if (stored === undefined) {
    await db
      .insertInto('chain_state')
      .values({ id: true, network: info.chain, updated_at: new Date() })
      .onConflict((oc) => oc.column('id').doNothing())
      .execute();
  } else if (stored.network !== info.chain) {
    throw new NetworkMismatchError(
      `the node is on ${info.chain} but this database indexes ${stored.network}; refusing to backfill`,
    );
  }
  const payoutMaxHops = options.payoutMaxHops ?? DEFAULT_PAYOUT_MAX_HOPS;
  // Derived rows need the pools tables as the pool set defines them (a no-op when they are current).
  await syncPools(db, pools, { payoutMaxHops });
  const network = networkFromChain(info.chain);
  const timings: PipelineTimings = { fetchWaitMs: 0, decodeMs: 0, prepareMs: 0, sqlWaitMs: 0 };
  // Payouts block by block in each batch's transaction; clustering beside the writes.
  const derive = { afterBlock: payoutsAfterBlock({ payoutMaxHops }) };
  const clusterFeed = new ClusterFeed();
  const recentTxids = new RecentTxids();
  const clustering = createClusterCatchUp(db, options.finalityDepth ?? DEFAULT_FINALITY_DEPTH, clusterFeed);

  let tip = await indexedTip(db);
  if (tip !== null && tip.height + 1 < from) {
    throw new BackfillRangeError(
      `the range starts at ${from} but the indexed tip is at ${tip.height}: blocks are only written on ` +
        `the tip, so heights ${tip.height + 1}..${from - 1} must be indexed first`,
    );
  }
  if (tip === null && from > 0) {
    throw new BackfillRangeError(
      `the range starts at ${from} but the database is empty: blocks are only written on the tip, so ` +
        `heights 0..${from - 1} must be indexed first`,
    );
  }
  const firstToApply = tip === null ? from : Math.max(from, tip.height + 1);
  const skipped = Math.min(to + 1, firstToApply) - from;
  const total = Math.max(0, to - firstToApply + 1);
  let applied = 0;
  let txs = 0;
  const decoder = options.decodeInWorker === true && total > 0 ? createWorkerDecoder() : undefined;
  try {
    for (let restarts = 0; ; restarts++) {
      if (tip !== null) await checkOnNodeChain(rpc, tip);
      const next = tip === null ? 0 : tip.height + 1;
      if (next > to || signal?.aborted) break;
      try {
        await runBlockPipeline({
          db,
          pools,
          network,
          from: next,
          to,
          fetch: (height) => fetchNodeBlock(rpc, height),
          prefetch: Math.max(1, options.prefetch ?? 8),
          batchBlocks: Math.max(1, options.batchBlocks ?? 8),
          batchTxs: Math.max(1, options.batchTxs ?? 40_000),
          // A lost commit after a crash is applied again by the next call: no need to wait for the flush.
          apply: { ...derive, asyncCommit: true, clusterFeed, recentTxids },
          timings,
          ...(signal !== undefined ? { signal } : {}),
          ...(decoder !== undefined ? { decoder } : {}),
          onBatch: ({ fetched, result }) => {
            const last = fetched[fetched.length - 1]!;
            applied += result.blocks.length;
            txs += result.txCount;
            tip = { height: last.height, hash: last.hash };
            clustering.request(last.height);
            options.onProgress?.({
              from,
              to,
              height: last.height,
              applied,
              total,
              txs,
              elapsedMs: performance.now() - started,
              timings: { ...timings },
            });
          },
        });
        break;
      } catch (err) {
        if (!(err instanceof BlockNotContiguousError) || restarts >= MAX_RESTARTS) throw err;
        // Another writer moved the tip: carry on above wherever it is now.
        const now = await indexedTip(db);
        if (now === null || (tip !== null && now.height <= tip.height)) throw err;
        tip = now;
      }
    }
  } catch (err) {
    // Kept blocks are trusted while no rollback is logged, but a commit not waited for (this
    // backfill's) is lost unlogged if Postgres crashes: read what the database holds from here on.
    clusterFeed.clear();
    // The batch's error is the one reported; clustering settles first, whatever it did.
    await clustering.drain().catch(() => {});
    throw err;
  } finally {
    await decoder?.close();
  }
  // Also catches up heights an earlier call left unclustered (a crash between a commit and its round).
  if (tip !== null) clustering.request(tip.height);
  await clustering.drain();
  const end = await indexedTip(db);
  return {
    from,
    to,
    skipped,
    applied,
    txs,
    tip: end,
    elapsedMs: performance.now() - started,
    timings,
    aborted: signal?.aborted === true && (end?.height ?? -1) < to,
  };
}

async function indexedTip(db: Db): Promise<{ height: number; hash: string } | null> {
  const state = await getChainState(db);
  if (state?.tip_height == null || state.tip_hash === null) return null;
  return { height: state.tip_height, hash: hashToHex(state.tip_hash) };
}

async function checkOnNodeChain(
  rpc: BitcoindRpcClient,
  tip: { height: number; hash: string },
): Promise<void> {
  const theirs = await movedOnNotFound(rpc.getBlockHash(tip.height));
  if (theirs !== tip.hash) {
    throw new ChainMovedError(
      `the indexed tip ${tip.hash} at height ${tip.height} is not on the node's best chain (it has ${theirs}); ` +
        'the follower rolls the reorg back, then the backfill can resume',
    );
  }
}
