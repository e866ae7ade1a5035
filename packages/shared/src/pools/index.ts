export { PoolDefinitionError } from './pool.errors.js';
export type { CoinbaseEvidence, Pool, PoolMatch, PoolSet } from './pool.types.js';
export { DATASET_SOURCE, type LoadPoolsOptions, loadPools, parseMinetracePools } from './pool-loader.js';
export { identifyPool } from './pool-matcher.js';
export { createPoolSet, POOL_MATCHING_VERSION } from './pool-set.js';
