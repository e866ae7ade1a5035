export { type ApplyBlockOptions, type ApplyBlockResult, applyBlock } from './block-ingest.js';
export { blockSubsidy, halvingInterval } from './block-subsidy.js';
export { BlockNotContiguousError, NetworkMismatchError } from './ingest.errors.js';
export { type SyncPoolsResult, syncPools } from './pool-sync.js';
