import { createDevnetChain, type GroundTruth, runScenario } from '@minetrace/devnet';
import { applyBlock, syncPools } from '@minetrace/indexer';
import { decodeBlock } from '@minetrace/shared/chain';
import type { Db } from '@minetrace/shared/db';
import { loadPools } from '@minetrace/shared/pools';
import { storeTags } from '@minetrace/shared/tags';
import type { TracePolicy, TraceRequest } from '../investigate/trace.types.js';

/**
 * Builds the demo scenario's chain, indexes it block by block into `db` (as the follower would,
 * clusters included) and stores the tags the scenario publishes. Returns the scenario's ground truth.
 */
export async function indexDemoChain(db: Db, seed = 'minetrace'): Promise<GroundTruth> {
  const chain = createDevnetChain();
  const truth = runScenario('demo', chain, { seed });
  const pools = loadPools();
  await syncPools(db, pools);
  for (let height = 0; height <= chain.tipHeight(); height++) {
    const rows = decodeBlock(chain.getBlock(chain.hashAtHeight(height)!)!.raw, 'regtest');
    await applyBlock(db, rows, pools, { height, payoutMaxHops: 3, finalityDepth: 6 });
  }
  await storeTags(db, truth.tags, 'demo scenario');
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
