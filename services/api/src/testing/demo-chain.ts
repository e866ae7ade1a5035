import {
  createDevnetChain,
  type DevnetChain,
  type GroundTruth,
  runScenario,
  type StoredBlock,
} from '@minetrace/devnet';
import { applyBlock, syncPools } from '@minetrace/indexer';
import { type BlockRows, decodeBlock } from '@minetrace/shared/chain';
import type { Db } from '@minetrace/shared/db';
import { loadPools } from '@minetrace/shared/pools';
import { storeTags } from '@minetrace/shared/tags';
import type { TracePolicy, TraceRequest, TraceSummary } from '../investigate/trace.types.js';

export interface IndexChainOptions {
  /** The first height indexed: outputs of the blocks below it stay unknown. @defaultValue 0 */
  from?: number;
  /** Sees each block and its decoded rows before the block is applied. */
  onBlock?: (block: StoredBlock, rows: BlockRows) => void;
}

/**
 * Indexes a devnet chain into `db` block by block up to its tip, as the follower would (payouts and
 * clusters included, with the default `PAYOUT_MAX_HOPS` and `FINALITY_DEPTH`), after syncing the pools.
 */
export async function indexChain(db: Db, chain: DevnetChain, options: IndexChainOptions = {}): Promise<void> {
  const pools = loadPools();
  await syncPools(db, pools);
  for (let height = options.from ?? 0; height <= chain.tipHeight(); height++) {
    const block = chain.getBlock(chain.hashAtHeight(height)!)!;
    const rows = decodeBlock(block.raw, 'regtest');
    options.onBlock?.(block, rows);
    await applyBlock(db, rows, pools, { height });
  }
}

export interface IndexDemoChainOptions extends Omit<IndexChainOptions, 'from'> {
  /** The scenario's seed. @defaultValue 'minetrace' */
  seed?: string;
  /** An empty chain to build the scenario on, for a test that indexes it again. @defaultValue a new one */
  chain?: DevnetChain;
  /** Whether the tags the scenario publishes are stored (created by `demo scenario`). @defaultValue true */
  tags?: boolean;
}

/**
 * Builds the demo scenario's chain, indexes it block by block into `db` (`indexChain`) and stores the
 * tags the scenario publishes. Returns the scenario's ground truth.
 */
export async function indexDemoChain(db: Db, options: IndexDemoChainOptions = {}): Promise<GroundTruth> {
  const chain = options.chain ?? createDevnetChain();
  const truth = runScenario('demo', chain, { seed: options.seed ?? 'minetrace' });
  await indexChain(db, chain, options.onBlock === undefined ? {} : { onBlock: options.onBlock });
  if (options.tags !== false) await storeTags(db, truth.tags, 'demo scenario');
  return truth;
}

/** The suspect's forward trace into the exchange as the ground truth states it, with one policy. */
export function suspectTraceRequest(truth: GroundTruth, policy: TracePolicy): TraceRequest {
  const expected = truth.suspectFlow!.trace;
  return {
    from: { addresses: expected.from.addresses },
    direction: expected.direction,
    policy,
    maxHops: expected.maxHops,
    minValue: BigInt(expected.minValue),
    maxNodes: 10_000,
    stopAt: expected.stopAt,
  };
}

/** The figures the ground truth gives for `suspectTraceRequest(truth, policy)`'s summary. */
export function suspectTraceSummary(
  truth: GroundTruth,
  policy: TracePolicy,
): Pick<TraceSummary, 'sourceValue' | 'reachedValue' | 'unspentValue' | 'feeValue' | 'cutOffValue'> {
  const expected = truth.suspectFlow!.trace;
  const figures = expected.byPolicy[policy];
  return {
    sourceValue: BigInt(expected.sourceValue),
    reachedValue: BigInt(figures.reachedValue),
    unspentValue: BigInt(figures.unspentValue),
    feeValue: BigInt(figures.feeValue),
    cutOffValue: BigInt(figures.cutOffValue),
  };
}
