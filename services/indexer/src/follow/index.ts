export {
  createLinearSync,
  type LinearSync,
  type LinearSyncDeps,
  type PrepareResult,
  type SyncRound,
  type SyncStatus,
} from './linear-sync.js';
export { RpcAuthError, RpcError, RpcProtocolError, RpcUnavailableError } from './rpc.errors.js';
export {
  BitcoindRpcClient,
  type BlockchainInfo,
  type RpcBatchResult,
  type RpcClientOptions,
} from './rpc-client.js';
