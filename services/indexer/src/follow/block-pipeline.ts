import { setImmediate as nextTurn } from 'node:timers/promises';
import type { BlockRows, Network } from '@minetrace/shared/chain';
import type { Db } from '@minetrace/shared/db';
import type { PoolSet } from '@minetrace/shared/pools';
import {
  type ApplyBlockBatchOptions,
  type ApplyBlockBatchResult,
  applyBlockBatch,
  type BatchStart,
  type PreparedBatch,
  prepareBlockBatchInSteps,
} from '../ingest/batch-ingest.js';
import { decodeFetchedInSteps, type FetchedBlock } from './fetched-block.js';
import { ChainMovedError } from './follow.errors.js';
import { RpcError, RpcUnavailableError } from './rpc.errors.js';
import type { BitcoindRpcClient } from './rpc-client.js';
import type { BlockDecoder } from './worker-decoder.js';

export { decodeFetchedInSteps, type FetchedBlock } from './fetched-block.js';

/** Where the main thread's time went, cumulative over a pipeline run. */
export interface PipelineTimings {
  /** Waiting for blocks the node had not served yet (or, with a `decoder`, not decoded yet). */
  fetchWaitMs: number;
  /** Decoding raw blocks on the main thread (none with a `decoder`). */
  decodeMs: number;
  /** Preparing a batch's rows ahead of its write (`prepareBlockBatch`), while the batch before is written. */
  prepareMs: number;
  /** Waiting for the previous batch's transaction to commit. */
  sqlWaitMs: number;
}

/** One committed batch: its blocks in height order, as fetched and as stored. */
export interface CommittedBatch {
  fetched: FetchedBlock[];
  result: ApplyBlockBatchResult;
}

export interface BlockPipelineOptions {
  db: Db;
  pools: PoolSet;
  network: Network;
  /** First and last height to apply, inclusive. */
  from: number;
  to: number;
  fetch: (height: number) => Promise<FetchedBlock>;
  /** Blocks requested from the node ahead of the one being decoded, in parallel. */
  prefetch: number;
  /** Most blocks per transaction. */
  batchBlocks: number;
  /** A batch closes once it holds this many transactions (bounds memory and transaction size). */
  batchTxs: number;
  /** Passed to every `applyBlockBatch` (derived rows, commit mode). */
  apply: Omit<ApplyBlockBatchOptions, 'height'>;
  /** Called after each batch commits, in height order; must not throw. */
  onBatch: (batch: CommittedBatch) => void;
  /** Stops after the batch being written; the blocks already decoded are dropped. */
  signal?: AbortSignal;
  /** Accumulates where the time went, when given. */
  timings?: PipelineTimings;
  /**
   * Decodes each block as soon as it arrives, off the main thread (`createWorkerDecoder`); without
   * one, blocks are decoded on the main thread in steps, between the statements of the batch being
   * written.
   */
  decoder?: BlockDecoder;
}

/**
 * Applies the node's blocks `from..to` in height order, as a pipeline: up to `prefetch` blocks are
 * fetched in parallel, decoded and prepared (`prepareBlockBatch`) on the main thread while Postgres
 * writes the previous batch, and written `batchBlocks` at a time in one transaction each
 * (`applyBlockBatch`). A batch only waits
 * for blocks already on their way: when one block is missing (following the tip) it is a batch of
 * one and is written at once.
 *
 * Invariants: batches commit in height order, each extending the tip the previous one left
 * (`BlockNotContiguousError` otherwise, from `applyBlockBatch`, with nothing of that batch written).
 * On any error, the batch being written is awaited first, so the caller sees the database at a
 * whole batch and every committed batch was reported through `onBatch`.
 */
export async function runBlockPipeline(options: BlockPipelineOptions): Promise<void> {
  const { signal } = options;
  const timings = options.timings ?? { fetchWaitMs: 0, decodeMs: 0, prepareMs: 0, sqlWaitMs: 0 };
  const { decoder } = options;
  const pending: Promise<{ block: FetchedBlock; decoded: BlockRows | null }>[] = [];
  let next = options.from;
  const fill = () => {
    while (pending.length < options.prefetch && next <= options.to) {
      const fetching = options.fetch(next++).then(async (block) => ({
        block,
        decoded: decoder ? await decoder.decode(block, options.network) : null,
      }));
      // Awaited in order below; a failure ahead of a failure must not surface as unhandled.
      fetching.catch(() => {});
      pending.push(fetching);
    }
  };
  let writing: Promise<void> | null = null;
  /** Where the batch being written leaves the tip (once it holds the tip's lock). */
  const ahead: { start: BatchStart | null } = { start: null };
  const write = async (
    fetched: FetchedBlock[],
    rows: BlockRows[],
    prepared: PreparedBatch | null,
    onBulkWrite: (next: BatchStart) => void,
  ) => {
    const result = await applyBlockBatch(options.db, rows, options.pools, {
      ...options.apply,
      onBulkWrite,
      ...(prepared !== null ? { prepared } : {}),
    });
    options.onBatch({ fetched, result });
  };
  const waitForWrite = async () => {
    if (writing === null) return;
    const started = performance.now();
    try {
      await writing;
    } finally {
      writing = null;
      timings.sqlWaitMs += performance.now() - started;
    }
  };
  fill();
  try {
    while (pending.length > 0 && !signal?.aborted) {
      const fetched: FetchedBlock[] = [];
      const rows: BlockRows[] = [];
      let txs = 0;
      do {
        const t0 = performance.now();
        const { block, decoded } = await pending.shift()!;
        fill();
        timings.fetchWaitMs += performance.now() - t0;
        if (decoded !== null) rows.push(decoded);
        else {
          // Decoding holds the event loop: while a batch is being written, a few hundred transactions
          // at a time, so that each answer of its statements is handled (and the next statement sent)
          // within milliseconds rather than after the whole block.
          const steps = decodeFetchedInSteps(block, options.network);
          for (;;) {
            const t1 = performance.now();
            const step = steps.next();
            timings.decodeMs += performance.now() - t1;
            if (writing !== null) await nextTurn();
            if (step.done === true) {
              rows.push(step.value);
              break;
            }
          }
        }
        fetched.push(block);
        txs += rows[rows.length - 1]!.txs.length;
      } while (
        rows.length < options.batchBlocks &&
        txs < options.batchTxs &&
        pending.length > 0 &&
        !signal?.aborted
      );
      // Where the batch being written leaves the tip: this batch's rows are worked out meanwhile, in
      // steps, and used by its write if it does start there.
      let prepared: PreparedBatch | null = null;
      const start = ahead.start;
      if (start !== null && start.height === fetched[0]!.height) {
        const steps = prepareBlockBatchInSteps(rows, start, PREPARE_STEP_TXS);
        for (;;) {
          const t0 = performance.now();
          const step = steps.next();
          timings.prepareMs += performance.now() - t0;
          if (step.done === true) {
            prepared = step.value;
            break;
          }
          if (writing !== null) await nextTurn();
        }
      }
      await waitForWrite();
      if (signal?.aborted) break;
      let bulk = () => {};
      const bulkStarted = new Promise<void>((resolve) => {
        bulk = resolve;
      });
      ahead.start = null;
      const started: Promise<void> = write(fetched, rows, prepared, (next) => {
        ahead.start = next;
        bulk();
      });
      // Awaited before the next batch or on the way out; it must not count as unhandled meanwhile.
      started.catch(() => {});
      writing = started;
      // The batch's first statements are short round trips, each of which would wait for a whole
      // block's decoding: the next blocks are decoded once its bulk statements run.
      await Promise.race([bulkStarted, started.then(noop, noop)]);
    }
  } finally {
    // On the way out through an error the batch being written still settles first; if it failed
    // too, its error is the one reported (it happened first).
    if (writing !== null) await waitForWrite();
  }
}

const noop = () => {};

/**
 * Transactions prepared per step of `prepareBlockBatchInSteps` (about a millisecond of work): an
 * answer of the batch being written waits for the step under way before its next statement goes.
 */
const PREPARE_STEP_TXS = 100;

/**
 * A height past the node's tip (-8) or a block it no longer serves (-5) after it answered otherwise a
 * moment ago means its chain moved under the round: start over rather than back off.
 */
export async function movedOnNotFound<T>(call: Promise<T>): Promise<T> {
  try {
    return await call;
  } catch (err) {
    if (err instanceof RpcError && (err.code === -8 || err.code === -5)) {
      throw new ChainMovedError(err.message, { cause: err });
    }
    throw err;
  }
}

/** A block by height from the node: its hash, then its bytes (REST when configured). */
export async function fetchNodeBlock(rpc: BitcoindRpcClient, height: number): Promise<FetchedBlock> {
  const hash = await onceMoreOnStaleSocket(() => movedOnNotFound(rpc.getBlockHash(height)));
  return { height, hash, raw: await onceMoreOnStaleSocket(() => movedOnNotFound(rpc.getBlockRaw(hash))) };
}

/**
 * Runs a read again once when the connection it went out on was closed by the node as it was sent
 * (a kept-alive socket the server timed out meanwhile): a node really gone fails the second time too.
 */
async function onceMoreOnStaleSocket<T>(read: () => Promise<T>): Promise<T> {
  try {
    return await read();
  } catch (err) {
    if (!(err instanceof RpcUnavailableError) || !closedBySocket(err)) throw err;
    return read();
  }
}

function closedBySocket(err: unknown): boolean {
  for (let e: unknown = err; e instanceof Error; e = e.cause) {
    const code = (e as { code?: unknown }).code;
    if (code === 'UND_ERR_SOCKET' || code === 'ECONNRESET') return true;
  }
  return false;
}
