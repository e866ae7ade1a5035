/** Pure regtest block building: `buildBlock`, subsidy, BIP34 height, header/PoW helpers, the regtest genesis. */
export {
  type BuildBlockParams,
  type BuiltBlock,
  blockSubsidy,
  buildBlock,
  COIN,
  type CoinbaseOutput,
  DEFAULT_BLOCK_VERSION,
  encodeBip34Height,
  REGTEST_HALVING_INTERVAL,
  serializeHeader,
  witnessCommitment,
} from './block-builder.js';
export {
  fromDisplayHex,
  meetsTarget,
  merkleRoot,
  REGTEST_BITS,
  sha256d,
  solveHeader,
  toDisplayHex,
} from './block-hash.js';
export { REGTEST_GENESIS_HASH, REGTEST_GENESIS_TIME, regtestGenesisBlock } from './regtest-genesis.js';
