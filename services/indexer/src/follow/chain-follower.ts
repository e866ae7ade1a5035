import { hashToHex, hexToHash } from '@minetrace/shared';
import { type Network, networkFromChain } from '@minetrace/shared/chain';
import {
  type Db,
  DbUnavailableError,
  getChainState,
  parseDbError,
  SchemaOutdatedError,
} from '@minetrace/shared/db';
import type { Logger } from '@minetrace/shared/log';
import type { PoolSet } from '@minetrace/shared/pools';
import { createClusterCatchUp } from '../cluster/cluster-catch-up.js';
import { ClusterFeed } from '../cluster/cluster-feed.js';
import { DEFAULT_FINALITY_DEPTH, finalizeClusters } from '../cluster/cluster-store.js';
import type { ApplyBlockOptions } from '../ingest/block-ingest.js';
import { describeRollback, rollbackTo } from '../ingest/block-rollback.js';
import { DEFAULT_PAYOUT_MAX_HOPS, payoutsAfterBlock } from '../ingest/derived-rows.js';
import { BlockNotContiguousError, NetworkMismatchError } from '../ingest/ingest.errors.js';
import { type SyncPoolsResult, syncPools } from '../ingest/pool-sync.js';
import { RecentTxids } from '../ingest/recent-txids.js';
import { fetchNodeBlock, movedOnNotFound, runBlockPipeline } from './block-pipeline.js';
import {
  ChainDivergedError,
  ChainMovedError,
  FollowerStateError,
  MalformedBlockError,
  NodeBehindError,
} from './follow.errors.js';
import { RpcAuthError, RpcUnavailableError } from './rpc.errors.js';
import type { BitcoindRpcClient } from './rpc-client.js';
import { createWorkerDecoder } from './worker-decoder.js';
import type { ZmqNotice, ZmqStats, ZmqSubscriber } from './zmq-subscriber.js';

/** Timings of the follower. */
export interface ChainFollowerConfig {
  /** Reconcile at least this often even when ZMQ is silent or absent (`POLL_INTERVAL_MS`). */
  pollIntervalMs: number;
  /** First wait after a failed round; doubled per failure. @defaultValue 500 */
  retryInitialMs?: number;
  /** Longest wait between failed rounds. @defaultValue 30000 */
  retryMaxMs?: number;
  /** Blocks fetched from the node ahead of the one being decoded, in parallel. @defaultValue 8 */
  prefetch?: number;
  /**
   * While catching up, most blocks written per transaction (at the tip a block is written alone as
   * soon as it is fetched). @defaultValue 8
   */
  batchBlocks?: number;
  /** A batch closes once it holds this many transactions. @defaultValue 40000 */
  batchTxs?: number;
  /**
   * While catching up more than `batchBlocks` blocks, decode them in a worker thread
   * (`createWorkerDecoder`, `INDEX_DECODE_WORKER`). @defaultValue false
   */
  decodeInWorker?: boolean;
  /** Payout hops and finality depth of the derived rows written with every block. */
  apply?: Omit<ApplyBlockOptions, 'height'>;
}

export interface ChainFollowerDeps {
  db: Db;
  rpc: BitcoindRpcClient;
  /** The doorbell; without it the follower only polls. `run` starts it and `close` is the caller's. */
  zmq?: ZmqSubscriber;
  pools: PoolSet;
  logger: Logger;
  config: ChainFollowerConfig;
  /** Called synchronously for every event; must not throw. */
  onEvent?: (event: FollowerEvent) => void;
}

/**
 * Where the follower stands. `ok`: the last round reached the node's tip. The others name why the
 * last round failed; the follower retries each of them with capped backoff, except `stopped`.
 * - `node-down`: connection refused/reset/timed out; `warming-up`: RPC -28; `busy`: HTTP 503.
 * - `bad-block`: the node served a block that does not decode (`MalformedBlockError`).
 * - `diverged`: no indexed block is on the node's chain; nothing is rolled back.
 * - `node-behind`: the node is still syncing below the indexed tip; nothing is rolled back.
 * - `db-down`: the database is unreachable; `error`: anything else (logged with the error).
 */
export type FollowerState =
  | 'starting'
  | 'ok'
  | 'node-down'
  | 'warming-up'
  | 'busy'
  | 'bad-block'
  | 'diverged'
  | 'node-behind'
  | 'db-down'
  | 'error'
  | 'stopped';

export const FOLLOWER_STATES: readonly FollowerState[] = [
  'starting',
  'ok',
  'node-down',
  'warming-up',
  'busy',
  'bad-block',
  'diverged',
  'node-behind',
  'db-down',
  'error',
  'stopped',
];

/** A block tip as display hex. */
export interface TipRef {
  height: number;
  hash: string;
}

/** What the follower did, tagged by `type`, in the order it happened. */
export type FollowerEvent =
  | { type: 'block'; height: number; hash: string; txCount: number; status: 'applied' | 'already-indexed' }
  | { type: 'reorg'; fork: TipRef; depth: number; oldTip: TipRef; newTip: TipRef }
  | { type: 'synced'; tip: TipRef | null; nodeHeight: number }
  | { type: 'state'; state: FollowerState; previous: FollowerState; reason: string | null };

/** What `prepare` found: the node's chain and what the pools sync did. */
export interface PrepareResult {
  chain: string;
  network: Network;
  nodeHeight: number;
  pools: SyncPoolsResult;
}

/** One reconcile round. */
export interface ReconcileResult {
  applied: number;
  txs: number;
  /** Blocks rolled back by a reorg this round (0 when none). */
  rolledBack: number;
  tip: TipRef | null;
  nodeHeight: number;
}

/** The follower as `/health` and metrics show it. */
export interface FollowerStatus {
  state: FollowerState;
  /** When `state` last changed. */
  since: Date;
  /** The error behind a failure state; null in `ok`. */
  reason: string | null;
  chain: string | null;
  nodeHeight: number | null;
  indexed: TipRef | null;
  blocksApplied: number;
  reorgs: number;
  lastReorg: { fork: TipRef; depth: number; at: Date } | null;
  /** Rounds started by ZMQ notices (tips, gaps, reconnects), by the timer, and that failed. */
  rounds: { zmq: number; timer: number; failed: number };
  /** `run` is waiting for the next round with no notice pending: the index is as far as it gets now. */
  idle: boolean;
  zmq: ZmqStats | null;
}

/**
 * Follows the node's best chain into the database. ZMQ is only a doorbell: on start, on every block
 * notice, on every sequence gap or reconnect, and every `pollIntervalMs`, a round reconciles the
 * indexed tip with the node's chain over RPC: if the node's block at our tip height is not ours it
 * walks back to the last block both hold, rolls back above it (`rollbackTo`, logged in `reorgs`),
 * then applies the node's blocks up to its tip: several blocks per transaction while catching up
 * (`applyBlockBatch` with the same derived rows as `applyBlock`), one block as soon as it arrives
 * at the tip.
 *
 * Invariants: the database only ever holds a prefix of some chain the node had as best; a round
 * interrupted anywhere (crash, node gone, bad bytes) leaves it at a whole block, and the next round
 * starts from whatever is indexed. Lost, repeated and reordered notices only change when rounds run.
 */
export interface ChainFollower {
  /**
   * Refuses a node on another network than the database's (`NetworkMismatchError`), records the
   * network on an empty database and brings pool attributions up to the loaded pool set.
   */
  prepare(): Promise<PrepareResult>;
  /** One round: walk back if needed, then apply up to the node's tip. Call `prepare` first. */
  reconcile(signal?: AbortSignal): Promise<ReconcileResult>;
  /**
   * Prepares (retrying while the node is unreachable), starts the ZMQ doorbell, then reconciles
   * until `signal` aborts. Rejects only for what retrying cannot fix: another network
   * (`NetworkMismatchError`), refused credentials, an outdated schema.
   */
  run(signal: AbortSignal): Promise<void>;
  /** Starts a round now (or right after the current one). */
  poke(): void;
  status(): FollowerStatus;
  /** Prometheus text exposition of the status. */
  metrics(): string;
}

/** Heights compared per RPC batch while looking for the fork point. */
const WALK_BATCH = 32;

export function createChainFollower(deps: ChainFollowerDeps): ChainFollower {
  const { db, rpc, pools, zmq } = deps;
  const logger = deps.logger.child({ component: 'follow' });
  const pollIntervalMs = deps.config.pollIntervalMs;
  const retryInitialMs = deps.config.retryInitialMs ?? 500;
  const retryMaxMs = deps.config.retryMaxMs ?? 30_000;
  const prefetch = Math.max(1, deps.config.prefetch ?? 8);
  const batchBlocks = Math.max(1, deps.config.batchBlocks ?? 8);
  const decodeInWorker = deps.config.decodeInWorker === true;
  const batchTxs = Math.max(1, deps.config.batchTxs ?? 40_000);
  // Per block of a batch, in height order and inside its transaction: its payout rows. The blocks a
  // batch makes final are clustered in a transaction of their own, on another connection, while the
  // next batches are written (`createClusterCatchUp`); a round ends once clustering has caught up.
  // That work is about blocks FINALITY_DEPTH deep, so a new block at the tip is queryable without
  // waiting for it. `cluster_state.clustered_height` says how far clustering got; a crash in between
  // is caught up by the next call, which clusters every height not clustered yet.
  const derive = payoutsAfterBlock({
    payoutMaxHops: deps.config.apply?.payoutMaxHops ?? DEFAULT_PAYOUT_MAX_HOPS,
  });
  const finalityDepth = deps.config.apply?.finalityDepth ?? DEFAULT_FINALITY_DEPTH;
  // What the batches wrote, for clustering their blocks once final without reading them back.
  const clusterFeed = new ClusterFeed();
  // And the txids they wrote, which the next batches' inputs mostly spend.
  const recentTxids = new RecentTxids();
  // The tip height this process last clustered up to, so that a round with nothing new does not
  // open a transaction to learn that; null whenever a write or a failure may have left work.
  let clusteredFor: number | null = null;
  const clusterUpTo = async (tipHeight: number) => {
    clusteredFor = null;
    const done = await db
      .transaction()
      .execute((trx) => finalizeClusters(trx, tipHeight, finalityDepth, clusterFeed));
    if (done.clusteredHeight !== null) clusterFeed.prune(done.clusteredHeight);
    clusteredFor = tipHeight;
  };

  let chain: string | null = null;
  let network: Network | undefined;
  let state: FollowerState = 'starting';
  let since = new Date();
  let reason: string | null = null;
  let nodeHeight: number | null = null;
  let indexed: TipRef | null = null;
  let blocksApplied = 0;
  let reorgs = 0;
  let lastReorg: FollowerStatus['lastReorg'] = null;
  const rounds = { zmq: 0, timer: 0, failed: 0 };
  let running = false;
  let inRound = false;
  // A notice during a round must not be lost: the next pause then returns at once.
  let rang = false;
  let wake: (() => void) | undefined;

  const emit = (event: FollowerEvent) => {
    try {
      deps.onEvent?.(event);
    } catch (err) {
      logger.error({ err, event: event.type }, 'follower event listener threw');
    }
  };

  function setState(next: FollowerState, err?: unknown): void {
    const nextReason = err === undefined ? null : errorMessage(err);
    if (next === state) {
      reason = nextReason;
      return;
    }
    const previous = state;
    state = next;
    since = new Date();
    reason = nextReason;
    // One line per change of state, not per retry: a node down for an hour logs twice.
    if (next === 'ok' || next === 'stopped' || next === 'starting') {
      logger.info(
        { state: next, previous, node_height: nodeHeight, height: indexed?.height ?? null },
        `follower ${next}`,
      );
    } else {
      logger.warn({ state: next, previous, err }, `follower ${next}; retrying with backoff`);
    }
    emit({ type: 'state', state: next, previous, reason: nextReason });
  }

  async function prepare(): Promise<PrepareResult> {
    const info = await rpc.getBlockchainInfo();
    const stored = await getChainState(db);
    if (stored === undefined) {
      await db
        .insertInto('chain_state')
        .values({ id: true, network: info.chain, updated_at: new Date() })
        .onConflict((oc) => oc.column('id').doNothing())
        .execute();
    } else if (stored.network !== info.chain) {
      throw networkMismatch(info.chain, stored.network);
    }
    chain = info.chain;
    network = networkFromChain(info.chain);
    nodeHeight = info.blocks;
    indexed = tipOf(stored);
    const poolsResult = await syncPools(db, pools, {
      ...(deps.config.apply?.payoutMaxHops !== undefined
        ? { payoutMaxHops: deps.config.apply.payoutMaxHops }
        : {}),
    });
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

  async function reconcile(signal?: AbortSignal): Promise<ReconcileResult> {
    if (network === undefined || chain === null)
      throw new FollowerStateError('reconcile called before prepare');
    const info = await rpc.getBlockchainInfo();
    // The URL may now reach another node (a redeploy); never write its blocks here.
    if (info.chain !== chain) throw networkMismatch(info.chain, chain);
    nodeHeight = info.blocks;
    let tip = tipOf(await getChainState(db));
    let rolledBack = 0;

    if (tip !== null) {
      const fork = await findForkPoint(tip, info.blocks);
      if (
        fork.height === info.blocks &&
        fork.height < tip.height &&
        (info.initialblockdownload || info.headers > info.blocks)
      ) {
        // A node resyncing (or a fresh one on our chain) is not a reorg: rolling back to its height
        // would throw away blocks it is about to validate again.
        throw new NodeBehindError(
          `the node is at height ${info.blocks} (headers ${info.headers}), below the indexed tip ${tip.height}, and still syncing`,
        );
      }
      if (fork.height < tip.height) {
        const newTip = { height: info.blocks, hash: info.bestblockhash };
        clusteredFor = null;
        const result = await rollbackTo(db, fork.height, {
          newTip: { height: newTip.height, hash: hexToHashOrThrow(newTip.hash) },
        });
        if (result.status === 'rolled-back') {
          rolledBack = result.depth;
          reorgs += 1;
          lastReorg = { fork, depth: result.depth, at: new Date() };
          logger.warn(
            { ...describeRollback(result), new_tip_height: newTip.height, new_tip_hash: newTip.hash },
            'reorg: rolled back to the fork point',
          );
          emit({ type: 'reorg', fork, depth: result.depth, oldTip: tip, newTip });
        }
        tip = fork;
        indexed = fork;
      }
    }

    const { applied, txs, last } = await applyUpTo(tip, info.blocks, signal);
    if (last !== null) tip = last;
    indexed = tip;
    if (applied > 0) {
      // One info line per round: a block at a time when following, one line for a catch-up.
      logger.info(
        { height: tip?.height ?? null, blocks: applied, txs, node_height: info.blocks },
        'indexed to height',
      );
    }
    if (!signal?.aborted) emit({ type: 'synced', tip, nodeHeight: info.blocks });
    return { applied, txs, rolledBack, tip, nodeHeight: info.blocks };
  }

  /**
   * The highest indexed block that is also on the node's best chain, comparing our hashes with
   * `getblockhash` down from min(our tip, node height), a batch of heights per request.
   */
  async function findForkPoint(tip: TipRef, nodeTipHeight: number): Promise<TipRef> {
    let top = Math.min(tip.height, nodeTipHeight);
    if (top === tip.height) {
      // The common case, one call: the node still has our tip.
      if ((await movedOnNotFound(rpc.getBlockHash(top))) === tip.hash) return tip;
      top -= 1;
    }
    while (top >= 0) {
      const bottom = Math.max(0, top - WALK_BATCH + 1);
      const ours = await db
        .selectFrom('blocks')
        .select(['height', 'hash'])
        .where('height', '>=', bottom)
        .where('height', '<=', top)
        .orderBy('height', 'desc')
        .execute();
      if (ours.length === 0) break;
      const heights = ours.map((row) => row.height);
      const theirs = await rpc.batch<string>(heights.map((h) => ({ method: 'getblockhash', params: [h] })));
      for (let i = 0; i < ours.length; i++) {
        const reply = theirs[i]!;
        if (!reply.ok) {
          throw new ChainMovedError(`getblockhash ${heights[i]} failed while looking for the fork point`, {
            cause: reply.error,
          });
        }
        if (reply.result === hashToHex(ours[i]!.hash)) return { height: heights[i]!, hash: reply.result };
      }
      top = bottom - 1;
    }
    throw new ChainDivergedError(
      `none of the indexed blocks (tip ${tip.height} ${tip.hash}) is on the node's best chain; ` +
        'is this database for another chain?',
    );
  }

  /**
   * Fetches (a few ahead) and applies the node's blocks above `tip` up to `toHeight`: a batch of
   * blocks per transaction while catching up, a batch of one at the tip (`runBlockPipeline`).
   */
  async function applyUpTo(
    tip: TipRef | null,
    toHeight: number,
    signal?: AbortSignal,
  ): Promise<{ applied: number; txs: number; last: TipRef | null }> {
    let applied = 0;
    let txs = 0;
    let last: TipRef | null = null;
    // Clustering left behind by a crash (or a failure) after the last commit is caught up first.
    if (tip !== null && clusteredFor !== tip.height) await clusterUpTo(tip.height);
    const from = tip === null ? 0 : tip.height + 1;
    if (from > toHeight) return { applied, txs, last };
    let started = performance.now();
    const clustering = createClusterCatchUp(db, finalityDepth, clusterFeed);
    // Only for a catch-up: at the tip a block comes alone, and starting a thread would delay it.
    const decoder = decodeInWorker && toHeight - from + 1 > batchBlocks ? createWorkerDecoder() : undefined;
    try {
      await runBlockPipeline({
        db,
        pools,
        network: network!,
        from,
        to: toHeight,
        fetch: (height) => fetchNodeBlock(rpc, height),
        prefetch,
        batchBlocks,
        batchTxs,
        apply: { afterBlock: derive, clusterFeed, recentTxids },
        ...(signal !== undefined ? { signal } : {}),
        ...(decoder !== undefined ? { decoder } : {}),
        onBatch: ({ fetched, result }) => {
          const durationMs = Math.round(performance.now() - started);
          started = performance.now();
          result.blocks.forEach((block, i) => {
            const { height, hash } = fetched[i]!;
            applied += 1;
            blocksApplied += 1;
            // Progress is the proof of recovery: say so at once rather than after a long catch-up.
            if (state !== 'ok') setState('ok');
            txs += block.rows.txs.length;
            last = { height, hash };
            indexed = last;
            logger.debug(
              {
                height,
                block_hash: hash,
                txs: block.rows.txs.length,
                status: 'applied',
                pool_id: block.poolId,
                unresolved_inputs: block.unresolvedInputs,
                batch_blocks: result.blocks.length,
                duration_ms: durationMs,
              },
              'block indexed',
            );
            emit({ type: 'block', height, hash, txCount: block.rows.txs.length, status: 'applied' });
          });
          clustering.request(fetched[fetched.length - 1]!.height);
        },
      });
    } catch (err) {
      // The batch's error is the one reported; clustering settles first, whatever it did.
      await clustering.drain().catch(() => {});
      if (err instanceof BlockNotContiguousError) {
        // The node reorganized between our fork check and this fetch: start the round over.
        throw new ChainMovedError(`the node's chain moved at block ${err.details.blockHash}`, { cause: err });
      }
      throw err;
    } finally {
      await decoder?.close();
    }
    await clustering.drain();
    if (last !== null) clusteredFor = (last as TipRef).height;
    return { applied, txs, last };
  }

  function onNotice(notice: ZmqNotice): void {
    switch (notice.type) {
      case 'block':
      case 'gap':
      case 'connected':
        if (notice.type === 'gap') {
          logger.debug(
            {
              endpoint: notice.endpoint,
              topic: notice.topic,
              expected: notice.expected,
              received: notice.received,
            },
            'ZMQ sequence gap',
          );
        }
        rounds.zmq += 1;
        poke();
        break;
      case 'disconnected':
        logger.debug({ endpoint: notice.endpoint }, 'ZMQ disconnected');
        break;
      case 'duplicate':
      case 'mempool':
        break;
    }
  }

  async function run(signal: AbortSignal): Promise<void> {
    if (running) throw new FollowerStateError('the follower is already running');
    running = true;
    let retryMs = retryInitialMs;
    let movedInARow = 0;
    const failed = async (err: unknown) => {
      const error = parseDbError(err);
      if (isFatal(error)) {
        setState('stopped', error);
        throw error;
      }
      rounds.failed += 1;
      setState(classify(error), error);
      // Jitter spreads the retries of many followers restarting against one node.
      await pause(retryMs * (0.8 + Math.random() * 0.4), signal, false);
      retryMs = Math.min(retryMs * 2, retryMaxMs);
    };
    try {
      while (chain === null && !signal.aborted) {
        try {
          await prepare();
        } catch (err) {
          await failed(err);
        }
      }
      zmq?.start(onNotice);
      while (!signal.aborted) {
        rang = false;
        try {
          inRound = true;
          try {
            await reconcile(signal);
          } finally {
            inRound = false;
          }
          retryMs = retryInitialMs;
          movedInARow = 0;
          if (!signal.aborted) setState('ok');
          await pause(pollIntervalMs, signal, true);
        } catch (err) {
          // A chain that keeps moving under us (a reorg storm) falls back to the backoff.
          if (err instanceof ChainMovedError && ++movedInARow <= 3) {
            logger.debug({ err }, 'the node chain moved during the round; starting over');
            continue;
          }
          await failed(err);
        }
      }
    } finally {
      running = false;
      if (state !== 'stopped') setState('stopped');
    }
  }

  /** Waits `ms`; a doorbell ends the wait early when `wakeable` (never during a backoff). */
  function pause(ms: number, signal: AbortSignal, wakeable: boolean): Promise<void> {
    if (signal.aborted || (wakeable && rang)) return Promise.resolve();
    return new Promise((resolve) => {
      const done = (fromTimer: boolean) => {
        clearTimeout(timer);
        signal.removeEventListener('abort', onAbort);
        if (wake === onWake) wake = undefined;
        if (fromTimer && wakeable) rounds.timer += 1;
        resolve();
      };
      const onAbort = () => done(false);
      const onWake = () => done(false);
      const timer = setTimeout(() => done(true), ms);
      signal.addEventListener('abort', onAbort, { once: true });
      if (wakeable) wake = onWake;
    });
  }

  function poke(): void {
    rang = true;
    wake?.();
  }

  function status(): FollowerStatus {
    return {
      state,
      since,
      reason,
      chain,
      nodeHeight,
      indexed,
      blocksApplied,
      reorgs,
      lastReorg,
      rounds: { ...rounds },
      idle: running && !inRound && !rang,
      zmq: zmq?.stats() ?? null,
    };
  }

  function metrics(): string {
    const s = status();
    const lines = [
      '# HELP minetrace_follower_state The follower state: 1 for the current one, 0 for the others.',
      '# TYPE minetrace_follower_state gauge',
      ...FOLLOWER_STATES.map(
        (name) => `minetrace_follower_state{state="${name}"} ${name === s.state ? 1 : 0}`,
      ),
      '# HELP minetrace_follower_node_height Height of the node best chain as last seen.',
      '# TYPE minetrace_follower_node_height gauge',
      `minetrace_follower_node_height ${s.nodeHeight ?? 'NaN'}`,
      '# HELP minetrace_follower_indexed_height Height of the indexed tip.',
      '# TYPE minetrace_follower_indexed_height gauge',
      `minetrace_follower_indexed_height ${s.indexed?.height ?? 'NaN'}`,
      '# HELP minetrace_follower_blocks_applied_total Blocks written by this process.',
      '# TYPE minetrace_follower_blocks_applied_total counter',
      `minetrace_follower_blocks_applied_total ${s.blocksApplied}`,
      '# HELP minetrace_follower_reorgs_total Rollbacks made by this process.',
      '# TYPE minetrace_follower_reorgs_total counter',
      `minetrace_follower_reorgs_total ${s.reorgs}`,
      '# HELP minetrace_follower_failed_rounds_total Reconcile rounds that failed and were retried.',
      '# TYPE minetrace_follower_failed_rounds_total counter',
      `minetrace_follower_failed_rounds_total ${s.rounds.failed}`,
    ];
    if (s.zmq !== null) {
      lines.push(
        '# HELP minetrace_follower_zmq_gaps_total ZMQ sequence gaps seen (lost or reordered messages).',
        '# TYPE minetrace_follower_zmq_gaps_total counter',
        `minetrace_follower_zmq_gaps_total ${s.zmq.gaps}`,
        '# HELP minetrace_follower_zmq_messages_total ZMQ messages received.',
        '# TYPE minetrace_follower_zmq_messages_total counter',
        `minetrace_follower_zmq_messages_total ${s.zmq.messages}`,
      );
    }
    return `${lines.join('\n')}\n`;
  }

  return { prepare, reconcile, run, poke, status, metrics };
}

function tipOf(state: { tip_height: number | null; tip_hash: Buffer | null } | undefined): TipRef | null {
  if (state?.tip_height == null || state.tip_hash === null) return null;
  return { height: state.tip_height, hash: hashToHex(state.tip_hash) };
}

function hexToHashOrThrow(hex: string): Buffer {
  const hash = hexToHash(hex);
  if (hash === null) throw new ChainMovedError(`the node reported a malformed block hash ${hex}`);
  return hash;
}

function networkMismatch(nodeChain: string, dbChain: string): NetworkMismatchError {
  return new NetworkMismatchError(
    `the node is on ${nodeChain} but this database indexes ${dbChain}; ` +
      'point DATABASE_URL (or MINETRACE_DATA_DIR) at a database for this network, or BITCOIND_RPC_URL at a node on it',
  );
}

/** Errors retrying cannot fix: the follower stops and the process exits with the message. */
function isFatal(err: unknown): boolean {
  return (
    err instanceof NetworkMismatchError || err instanceof RpcAuthError || err instanceof SchemaOutdatedError
  );
}

function classify(err: unknown): FollowerState {
  if (err instanceof RpcUnavailableError) {
    if (err.details.code === -28) return 'warming-up';
    if (err.details.status === 503) return 'busy';
    return 'node-down';
  }
  if (err instanceof MalformedBlockError) return 'bad-block';
  if (err instanceof ChainDivergedError) return 'diverged';
  if (err instanceof NodeBehindError) return 'node-behind';
  if (err instanceof DbUnavailableError) return 'db-down';
  return 'error';
}

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
