export { type ClusterBlockIo, ClusterFeed, ClusterIoBuilder } from './cluster-feed.js';
export {
  type ClusterBlockResult,
  type ClusterSkipReason,
  type ClusterTx,
  type ClusterTxInput,
  clusterBlockTxs,
  clusterMergesForTx,
} from './cluster-merges.js';
export {
  type ClusterLink,
  DEFAULT_FINALITY_DEPTH,
  type FinalizeClustersResult,
  finalizeClusters,
  findClusterLink,
  rebuildClusters,
  rollbackClusters,
} from './cluster-store.js';
export {
  BLOCKSCI_DUST_VALUES,
  type CoinJoinKind,
  type CoinJoinMatch,
  type CoinJoinTx,
  type CoinJoinTxIo,
  isCoinJoinShaped,
  JOINMARKET_INPUT_MARGIN,
  JOINMARKET_MIN_PARTICIPANTS,
  WASABI1_BASE_DENOMINATION,
  WASABI1_DENOMINATION_TOLERANCE,
  WASABI1_MIN_EQUAL_OUTPUTS,
  WASABI1_MIN_UNIQUE_OUTPUTS,
  WASABI2_DENOMINATION_SHARE,
  WASABI2_DENOMINATIONS,
  WASABI2_MAX_DENOMINATION,
  WASABI2_MIN_DENOMINATION,
  WASABI2_MIN_INPUTS,
  WASABI2_MIN_OUTPUTS,
  WHIRLPOOL_DENOMINATIONS,
  WHIRLPOOL_MAX_PARTICIPANTS,
  WHIRLPOOL_MIN_PARTICIPANTS,
  WHIRLPOOL_PREMIX_FEE_MAX,
} from './coinjoin-shape.js';
export { type ClusterKey, type ClusterMerge, createUnionFind, type UnionFind } from './union-find.js';
