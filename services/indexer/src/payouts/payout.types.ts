/**
 * Pool funds: an output the pool is taken to control, `hop` transactions after a coinbase (0 for the
 * coinbase's own outputs). Only outputs with `hop < maxHops` are followed further.
 */
export interface PoolFunds {
  poolId: number;
  hop: number;
}

/** An output as payout detection sees it. */
export interface PayoutTxOutput {
  n: number;
  value: bigint;
  /** Null for scripts without an address (nulldata, bare multisig, nonstandard): never a payout. */
  address: string | null;
}

/**
 * Whether `address` is one the pool controls, as far as the caller knows: the dataset's payout addresses
 * and the address of every pool output found so far (`poolOutputs`: coinbase outputs of its blocks, its
 * change, sweeps, recurring addresses). Must not count addresses of the pool's payouts.
 */
export type PoolKnown = (poolId: number, address: string) => boolean;

/** A payout found in a transaction: output `n` pays `value` to `address`, `hop` transactions after a coinbase. */
export interface DetectedPayout {
  poolId: number;
  n: number;
  address: string;
  value: bigint;
  hop: number;
}

/**
 * Why an output counts as the pool's own:
 * - `coinbase`: a coinbase output of the pool's block that is not a hop-0 payout;
 * - `known-address`: `PoolKnown` says the pool controls the address;
 * - `input-address`: the address also funds the transaction (change back to a spending address);
 * - `sweep`: every addressed output of the transaction pays this one address (consolidation, or a move
 *   between the pool's wallets);
 * - `recurring-address`: learned in this block from the pool's distributions (`recurringAddress`).
 */
export type PoolFundsReason = 'coinbase' | 'known-address' | 'input-address' | 'sweep' | 'recurring-address';

/** An output that stays pool funds: mark it so its spends are followed, and learn its address. */
export interface PoolOutput {
  poolId: number;
  n: number;
  address: string;
  value: bigint;
  hop: number;
  reason: PoolFundsReason;
}

/** Payout detection limits. */
export interface PayoutOptions {
  /**
   * How many transactions after a coinbase payouts are followed (`PAYOUT_MAX_HOPS`). 0 records only
   * coinbase (hop-0) payouts.
   */
  maxHops: number;
  /**
   * A coinbase paying at least this many distinct addresses the pool is not known to control pays its
   * miners directly (hop 0).
   * @defaultValue `COINBASE_PAYOUT_MIN_RECIPIENTS`
   */
  coinbaseMinRecipients?: number;
}
