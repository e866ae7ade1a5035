import DataLoader from 'dataloader';

/**
 * A loader shared by every request of a server: the loads that reach it in one turn of the event
 * loop go to `batch` together, and nothing is cached (each request sees the database as it is).
 * It dispatches after the turn's I/O phase, not after the current promise jobs: requests read in
 * the same turn reach their loads in different jobs and would otherwise each go alone.
 */
export function createTurnBatcher<K, V, C = K>(
  batch: DataLoader.BatchLoadFn<K, V>,
  options: { maxBatchSize?: number } = {},
): DataLoader<K, V, C> {
  return new DataLoader<K, V, C>(batch, {
    cache: false,
    batchScheduleFn: (dispatch) => setImmediate(dispatch),
    ...options,
  });
}
