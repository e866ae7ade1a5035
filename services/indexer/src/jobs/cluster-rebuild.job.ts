import type { Db } from '@minetrace/shared/db';
import { clusterRebuildSchema, type JobHandler, type JobPayloadOf } from '@minetrace/shared/queue';
import { rebuildClusters } from '../cluster/cluster-store.js';

export interface ClusterRebuildJobDeps {
  db: Db;
  /** `FINALITY_DEPTH`: blocks this far below the tip are clustered. */
  finalityDepth: number;
}

/**
 * `cluster.rebuild`: recomputes every cluster from the stored chain (after a reorg deeper than the
 * finality depth, or a change of heuristics). `rebuildClusters` runs in one transaction, so a job
 * killed or cancelled midway leaves the previous clusters in place and a retry starts over.
 */
export function createClusterRebuildHandler(
  deps: ClusterRebuildJobDeps,
): JobHandler<JobPayloadOf<'cluster.rebuild'>> {
  return {
    kind: 'cluster.rebuild',
    schema: clusterRebuildSchema,
    async run(ctx) {
      ctx.progress({ percent: 0, message: 'clustering the final blocks' });
      const result = await rebuildClusters(deps.db, deps.finalityDepth);
      ctx.progress({ done: result.blocks, total: result.blocks, message: 'clustered' });
      return {
        data: { blocks: result.blocks, merges: result.merges, clusteredHeight: result.clusteredHeight },
      };
    },
  };
}
