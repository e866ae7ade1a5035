import type { Db } from '@minetrace/shared/db';
import type { ClusterFeed } from './cluster-feed.js';
import { finalizeClusters } from './cluster-store.js';

/**
 * Clustering that runs beside a backfill: each committed batch asks it to catch up to the new tip
 * (`request`), and it clusters the blocks made final in a transaction of its own, on another
 * connection, while the next batches are written.
 */
export interface ClusterCatchUp {
  /** Clusters up to `tipHeight - finalityDepth` as soon as the round in flight (if any) is done. */
  request(tipHeight: number): void;
  /** Waits until every requested height is clustered; rejects with the first failure. */
  drain(): Promise<void>;
}

/**
 * Why clustering may run beside the writes: they share no row. Batch ingest inserts addresses and
 * outputs, marks spends and moves `chain_state`; clustering reads only committed blocks at least
 * `finalityDepth` deep and writes `address_clusters`, `clusters`, `cluster_merges` and
 * `cluster_state`. Its progress is `cluster_state.clustered_height`, committed
 * with its rows, so a crash in between is caught up by the next round (`finalizeClusters` clusters
 * every height not clustered yet) and a rollback below it (which locks `cluster_state`) marks it stale.
 *
 * At most one round is in flight; requests meanwhile collapse into one more round to the highest tip.
 * After a failure, later requests are ignored and `drain` rejects with it.
 *
 * With the writer's `feed`, blocks it kept are clustered from memory (`finalizeClusters`), and those
 * clustered are forgotten once the round commits.
 */
export function createClusterCatchUp(db: Db, finalityDepth: number, feed?: ClusterFeed): ClusterCatchUp {
  let running: Promise<void> | null = null;
  let wanted: number | null = null;
  let failure: { error: unknown } | null = null;

  const loop = async () => {
    while (wanted !== null && failure === null) {
      const tipHeight = wanted;
      wanted = null;
      try {
        const done = await db
          .transaction()
          .execute((trx) => finalizeClusters(trx, tipHeight, finalityDepth, feed));
        if (done.clusteredHeight !== null) feed?.prune(done.clusteredHeight);
      } catch (error) {
        failure = { error };
      }
    }
    running = null;
  };

  return {
    request(tipHeight) {
      if (failure !== null) return;
      wanted = Math.max(wanted ?? tipHeight, tipHeight);
      if (running === null) running = loop();
    },
    async drain() {
      while (running !== null) await running;
      if (failure !== null) throw failure.error;
    },
  };
}
