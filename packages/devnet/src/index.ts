export {
  type BuildBlockParams,
  type BuiltBlock,
  blockSubsidy,
  buildBlock,
  type CoinbaseOutput,
} from './block/block-builder.js';
export { REGTEST_GENESIS_HASH } from './block/regtest-genesis.js';
export type { ChainEvent, DevnetChain, MineOptions, StoredBlock, Utxo } from './chain/chain.types.js';
export { ChainError } from './chain/chain.types.js';
export { COINBASE_MATURITY, createDevnetChain } from './chain/index.js';
export { type DevnetNode, type DevnetNodeOptions, startDevnetNode } from './devnet-node.js';
export type { FaultSettings, Faults } from './rpc/rpc-faults.js';
export {
  buildMainnetLike,
  createMainnetLikeGenerator,
  DEMO_POOLS,
  type EntityKind,
  type ExpectedTraceFigures,
  type ExposureExpectation,
  type GroundTruth,
  type GroundTruthEntity,
  type GroundTruthIncome,
  type GroundTruthPayout,
  type GroundTruthTag,
  type GroundTruthTracePolicy,
  groundTruthToJson,
  type MainnetLikeGenerator,
  type MainnetLikeOptions,
  type MainnetLikeScriptKind,
  type MainnetLikeStats,
  type Ratio,
  runScenario,
  SCENARIO_NAMES,
  ScenarioError,
  type ScenarioName,
  type ScenarioOptions,
  type SuspectFlow,
  type SuspectTraceExpectation,
} from './scenarios/index.js';
export {
  ADDRESS_TYPES,
  type AddressType,
  createWallet,
  type OwnedAddress,
  type SendRequest,
  type SignedTx,
  type Wallet,
} from './wallet/index.js';
export { ZMQ_TOPICS, type ZmqPublisher, type ZmqTopic } from './zmq/zmq-publisher.js';
