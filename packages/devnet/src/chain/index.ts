/** Devnet chain state: `createDevnetChain()` and the contract the RPC/REST/ZMQ servers read through. */
export {
  ChainError,
  type ChainEvent,
  type DevnetChain,
  type MempoolEntryInfo,
  type MineOptions,
  type StoredBlock,
  type Utxo,
  type UtxoSetInfo,
} from './chain.types.js';
export {
  COINBASE_MATURITY,
  createDevnetChain,
  type DevnetChainOptions,
  MIN_RELAY_FEE_RATE,
  RpcCode,
} from './devnet-chain.js';
