import { hashToHex, RetryableError } from '@minetrace/shared';
import { decodeBlock, type Network, networkFromChain } from '@minetrace/shared/chain';
import { type Db, getChainState } from '@minetrace/shared/db';
import type { Logger } from '@minetrace/shared/log';
import type { PoolSet } from '@minetrace/shared/pools';
import { applyBlock } from '../ingest/block-ingest.js';
import { NetworkMismatchError } from '../ingest/ingest.errors.js';
import { type SyncPoolsResult, syncPools } from '../ingest/pool-sync.js';
import type { BitcoindRpcClient } from './rpc-client.js';

export interface LinearSyncDeps {
  db: Db;
  rpc: BitcoindRpcClient;
  pools: PoolSet;
  logger: Logger;
  /** Pause between rounds once at the node's tip. */
  pollIntervalMs: number;
}

/** What `prepare` found: the node's chain and what the pools sync did. */
export interface PrepareResult {
  chain: string;
  network: Network;
  nodeHeight: number;
  pools: SyncPoolsResult;
}

/** One round of `syncToTip`. */
export interface SyncRound {
  applied: number;
  txs: number;
  /** The indexed tip after the round (null: nothing indexed yet). */
  tipHeight: number | null;
  nodeHeight: number;
  /** True when the node's block at our tip is not ours: the round stopped without writing. */
  diverged: boolean;
}

/** The follower's last view of the node, for `/health`. */
export interface SyncStatus {
  nodeHeight: number | null;
  diverged: boolean;
}

/**
 * A linear follower: applies the node's blocks by height, tip + 1 up to the node's height, then
 * polls. A reorg is detected (the node's hash at our tip differs) but not handled: the follower
 * logs it and stops advancing, so nothing is corrupted.
 */
export interface LinearSync {
  /**
   * Refuses a node on another network than the database's (`NetworkMismatchError`), records the
   * network on an empty database and brings pool attributions up to the loaded pool set.
   */
  prepare(): Promise<PrepareResult>;
  /** Applies every block the node has above our tip. Call `prepare` first. */
  syncToTip(signal?: AbortSignal): Promise<SyncRound>;
  /** Rounds of `syncToTip` every `pollIntervalMs` until `signal` aborts; retryable errors are waited out. */
  run(signal: AbortSignal): Promise<void>;
  /** Starts the next round now (a new-block notification). */
  poke(): void;
  status(): SyncStatus;
}

export function createLinearSync(deps: LinearSyncDeps): LinearSync {
  const { db, rpc, pools, pollIntervalMs } = deps;
  const logger = deps.logger.child({ component: 'follow' });
  let network: Network | undefined;
  let nodeHeight: number | null = null;
  let diverged = false;
  let wake: (() => void) | undefined;
  // A poke during a round must not be lost: the next pause then returns at once.
  let poked = false;

  async function prepare(): Promise<PrepareResult> {
    const info = await rpc.getBlockchainInfo();
    network = networkFromChain(info.chain);
    nodeHeight = info.blocks;
    const state = await getChainState(db);
    if (state === undefined) {
      await db
        .insertInto('chain_state')
        .values({ id: true, network: info.chain, updated_at: new Date() })
        .onConflict((oc) => oc.column('id').doNothing())
        .execute();
    } else if (state.network !== info.chain) {
      throw new NetworkMismatchError(
        `the node is on ${info.chain} but this database indexes ${state.network}; ` +
          'point DATABASE_URL (or MINETRACE_DATA_DIR) at a database for this network',
      );
    }
    const poolsResult = await syncPools(db, pools);
    if (poolsResult.changed) {
      logger.info(
        {
          blocks: poolsResult.blocks,
          reattributed: poolsResult.reattributed,
          fingerprint: pools.fingerprint,
        },
        'pools loaded',
      );
    }
    return { chain: info.chain, network, nodeHeight: info.blocks, pools: poolsResult };
  }

  async function syncToTip(signal?: AbortSignal): Promise<SyncRound> {
    if (network === undefined) throw new Error('syncToTip called before prepare');
    const info = await rpc.getBlockchainInfo();
    nodeHeight = info.blocks;
    const state = await getChainState(db);
    let tipHeight = state?.tip_height ?? null;
    const tipHash = state?.tip_hash ?? null;
    let applied = 0;
    let txs = 0;

    if (tipHeight !== null && tipHash !== null) {
      const nodeHash = tipHeight <= info.blocks ? await rpc.getBlockHash(tipHeight) : null;
      if (nodeHash !== hashToHex(tipHash)) {
        if (!diverged) {
          logger.error(
            {
              height: tipHeight,
              block_hash: hashToHex(tipHash),
              node_block_hash: nodeHash,
              node_height: info.blocks,
            },
            'the node no longer has our tip (reorg); not advancing',
          );
        }
        diverged = true;
        return { applied, txs, tipHeight, nodeHeight: info.blocks, diverged };
      }
    }
    diverged = false;

    for (let height = tipHeight === null ? 0 : tipHeight + 1; height <= info.blocks; height++) {
      if (signal?.aborted) break;
      const started = performance.now();
      const hash = await rpc.getBlockHash(height);
      const raw = await rpc.getBlockRaw(hash);
      const rows = decodeBlock(raw, network);
      const result = await applyBlock(db, rows, pools, { height });
      applied += result.status === 'applied' ? 1 : 0;
      txs += result.txCount;
      tipHeight = height;
      logger.debug(
        {
          height,
          block_hash: hash,
          txs: result.txCount,
          pool_id: result.poolId,
          unresolved_inputs: result.unresolvedInputs,
          duration_ms: Math.round(performance.now() - started),
        },
        'block indexed',
      );
    }
    if (applied > 0) {
      // One info line per round: a block at a time when following, one line for a catch-up.
      logger.info({ height: tipHeight, blocks: applied, txs, node_height: info.blocks }, 'indexed to height');
    }
    return { applied, txs, tipHeight, nodeHeight: info.blocks, diverged };
  }

  async function run(signal: AbortSignal): Promise<void> {
    let backoffMs = Math.min(pollIntervalMs, 1000);
    while (!signal.aborted) {
      try {
        await syncToTip(signal);
        backoffMs = Math.min(pollIntervalMs, 1000);
        await pause(pollIntervalMs, signal);
      } catch (err) {
        if (!(err instanceof RetryableError)) throw err;
        logger.warn({ err, retry_in_ms: backoffMs }, 'node or database unavailable; retrying');
        await pause(backoffMs, signal);
        backoffMs = Math.min(backoffMs * 2, 60_000);
      }
    }
  }

  function pause(ms: number, signal: AbortSignal): Promise<void> {
    if (poked || signal.aborted) {
      poked = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        signal.removeEventListener('abort', done);
        wake = undefined;
        resolve();
      };
      const timer = setTimeout(done, ms);
      signal.addEventListener('abort', done, { once: true });
      wake = done;
    });
  }

  return {
    prepare,
    syncToTip,
    run,
    poke: () => {
      if (wake === undefined) poked = true;
      else wake();
    },
    status: () => ({ nodeHeight, diverged }),
  };
}
