export {
  type ApplyBlockBatchOptions,
  type ApplyBlockBatchResult,
  applyBlockBatch,
  type BatchBlock,
} from './batch-ingest.js';
export { type ApplyBlockOptions, type ApplyBlockResult, applyBlock } from './block-ingest.js';
export {
  describeRollback,
  type RollbackOptions,
  type RollbackResult,
  rollbackTo,
} from './block-rollback.js';
export { blockSubsidy, halvingInterval } from './block-subsidy.js';
export { type RollbackDerivedResult, rollbackDerived } from './derived-rollback.js';
export {
  type ApplyDerivedResult,
  applyDerived,
  DEFAULT_PAYOUT_MAX_HOPS,
  type DerivedBlock,
  type DeriveOptions,
  deriveAfterBatch,
  deriveAfterBlock,
  deriveBlock,
  loadDerivedBlock,
  recomputePayouts,
} from './derived-rows.js';
export {
  BlockNotContiguousError,
  NetworkMismatchError,
  RollbackError,
} from './ingest.errors.js';
export { type SyncPoolsOptions, type SyncPoolsResult, syncPools } from './pool-sync.js';
export { RecentTxids } from './recent-txids.js';
