import { type Db, getChainState } from '@minetrace/shared/db';
import type { PoolSet } from '@minetrace/shared/pools';
import {
  indexBackfillSchema,
  type JobHandler,
  type JobPayloadOf,
  JobWaitError,
} from '@minetrace/shared/queue';
import { backfillRange } from '../follow/backfill-range.js';
import type { BitcoindRpcClient } from '../follow/rpc-client.js';
import type { DeriveOptions } from '../ingest/derived-rows.js';

export interface IndexBackfillJobDeps {
  db: Db;
  rpc: BitcoindRpcClient;
  pools: PoolSet;
  /** Payout hops and finality depth, as the follower applies blocks. */
  derive: DeriveOptions;
  /** Most blocks per transaction. @defaultValue backfillRange's */
  batchBlocks?: number;
  /** Blocks fetched ahead, in parallel. @defaultValue backfillRange's */
  prefetch?: number;
  /** Decode in a worker thread (`INDEX_DECODE_WORKER`). @defaultValue false */
  decodeInWorker?: boolean;
  /** How long a job whose range is not next waits before looking again. @defaultValue 2000 */
  waitMs?: number;
}

/**
 * `index.backfill`: indexes heights `from..to` from the node with `backfillRange` (several blocks
 * per transaction, derived rows included), strictly in height order. A range that does not start
 * right above the indexed tip, or that ends above the node's tip, waits (`JobWaitError`, no attempt
 * spent) and looks again, so the chunks of one backfill may be queued at once on any number of
 * workers. Heights already indexed are skipped, so a job retried after a crash resumes after its last
 * committed batch, and a range entirely below the tip is done at once.
 */
export function createIndexBackfillHandler(
  deps: IndexBackfillJobDeps,
): JobHandler<JobPayloadOf<'index.backfill'>> {
  const waitMs = deps.waitMs ?? 2000;
  return {
    kind: 'index.backfill',
    schema: indexBackfillSchema,
    async run(ctx) {
      const { from, to } = ctx.payload;
      const total = to - from + 1;
      const tip = (await getChainState(deps.db))?.tip_height ?? null;
      const next = tip === null ? 0 : tip + 1;
      ctx.progress({
        done: Math.min(total, Math.max(0, next - from)),
        total,
        message: `tip ${tip ?? 'none'}`,
      });
      if (next < from) {
        throw new JobWaitError(
          `waiting for the indexed tip to reach ${from - 1} (it is at ${tip ?? 'none'})`,
          waitMs,
        );
      }
      if (next <= to) {
        const info = await deps.rpc.getBlockchainInfo();
        if (info.blocks < to)
          throw new JobWaitError(`the node is at height ${info.blocks}, below ${to}`, waitMs * 5);
      }
      const result = await backfillRange({
        db: deps.db,
        rpc: deps.rpc,
        pools: deps.pools,
        from,
        to,
        signal: ctx.signal,
        payoutMaxHops: deps.derive.payoutMaxHops,
        finalityDepth: deps.derive.finalityDepth,
        ...(deps.batchBlocks === undefined ? {} : { batchBlocks: deps.batchBlocks }),
        ...(deps.prefetch === undefined ? {} : { prefetch: deps.prefetch }),
        ...(deps.decodeInWorker === undefined ? {} : { decodeInWorker: deps.decodeInWorker }),
        onProgress: (progress) =>
          ctx.progress({
            done: progress.height - from + 1,
            total,
            message: `height ${progress.height} of ${to}`,
          }),
      });
      return {
        data: {
          from,
          to,
          applied: result.applied,
          alreadyIndexed: result.skipped,
          txs: result.txs,
          tip: result.tip?.height ?? null,
        },
      };
    },
  };
}
