export {
  type BlockPayout,
  type BlockPayoutsResult,
  type BlockPoolOutput,
  detectBlockPayouts,
  type PayoutBlock,
  type PayoutBlockTx,
  type PayoutDeps,
  type ResolvedPrevout,
} from './block-payouts.js';
export {
  COINBASE_PAYOUT_MIN_RECIPIENTS,
  type CoinbaseClassification,
  classifyCoinbase,
} from './coinbase-payouts.js';
export type {
  DetectedPayout,
  PayoutOptions,
  PayoutTxOutput,
  PoolFunds,
  PoolFundsReason,
  PoolKnown,
  PoolOutput,
} from './payout.types.js';
export { classifyPoolSpend, type PoolSpend, type PoolSpendInput, type PoolSpendTx } from './pool-spend.js';
export {
  type Distribution,
  type PaidAddress,
  RECURRING_MIN_DISTRIBUTIONS,
  RECURRING_WINDOW,
  type RecurringAddressOptions,
  recurringAddress,
  STABLE_SHARE_TOLERANCE,
} from './recurring-address.js';
