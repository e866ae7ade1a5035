export {
  type BackfillProgress,
  type BackfillRangeOptions,
  type BackfillRangeResult,
  backfillRange,
} from './backfill-range.js';
export type { CommittedBatch, FetchedBlock, PipelineTimings } from './block-pipeline.js';
export {
  type ChainFollower,
  type ChainFollowerConfig,
  type ChainFollowerDeps,
  createChainFollower,
  FOLLOWER_STATES,
  type FollowerEvent,
  type FollowerState,
  type FollowerStatus,
  type PrepareResult,
  type ReconcileResult,
  type TipRef,
} from './chain-follower.js';
export {
  BackfillRangeError,
  ChainDivergedError,
  ChainMovedError,
  FollowerStateError,
  MalformedBlockError,
} from './follow.errors.js';
export { RpcAuthError, RpcError, RpcProtocolError, RpcUnavailableError } from './rpc.errors.js';
export {
  BitcoindRpcClient,
  type BlockchainInfo,
  type RpcBatchResult,
  type RpcClientOptions,
} from './rpc-client.js';
export {
  BLOCK_TOPICS,
  type BlockTopic,
  type ZmqNotice,
  type ZmqStats,
  ZmqSubscriber,
} from './zmq-subscriber.js';
