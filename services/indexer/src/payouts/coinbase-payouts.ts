import type { DetectedPayout, PayoutTxOutput, PoolKnown, PoolOutput } from './payout.types.js';

/**
 * A coinbase paying at least this many distinct addresses outside the pool's known ones pays miners
 * directly (Ocean, P2Pool: tens to hundreds of outputs). Pools that keep the reward pay one address,
 * sometimes two; three distinct unknown recipients is already far from that.
 */
export const COINBASE_PAYOUT_MIN_RECIPIENTS = 3;

/** What a coinbase of a pool's block holds: payouts to miners (hop 0) and the pool's own funds. */
export interface CoinbaseClassification {
  /** True when the coinbase pays miners directly (its unknown outputs are hop-0 payouts). */
  paysMiners: boolean;
  payouts: DetectedPayout[];
  poolOutputs: PoolOutput[];
}

/**
 * Splits the coinbase outputs of a block attributed to `poolId` into hop-0 payouts and pool funds.
 *
 * Outputs without an address (the witness commitment, merged-mining OP_RETURNs) or without value are
 * neither. Of the rest, those to addresses `poolKnown` says the pool controls are always pool funds.
 * The others are hop-0 payouts when the coinbase pays miners directly, i.e. when either
 * - they go to at least `coinbaseMinRecipients` distinct addresses (Ocean, P2Pool style), or
 * - the pool's known addresses receive less than half of the paid value: the pool takes a fee and
 *   hands the reward to someone else (solo-mining services such as solo.ckpool pay the block finder
 *   ~99.5% and themselves the rest);
 * otherwise they are pool funds too (a pool keeping the reward at an address not yet known to be its).
 */
export function classifyCoinbase(
  outputs: readonly PayoutTxOutput[],
  poolId: number,
  poolKnown: PoolKnown,
  options: { coinbaseMinRecipients?: number } = {},
): CoinbaseClassification {
  const minRecipients = options.coinbaseMinRecipients ?? COINBASE_PAYOUT_MIN_RECIPIENTS;
  const paid = outputs.filter(
    (output): output is PayoutTxOutput & { address: string } => output.address !== null && output.value > 0n,
  );
  const known = new Set<number>();
  const recipients = new Set<string>();
  let knownValue = 0n;
  let totalValue = 0n;
  for (const output of paid) {
    totalValue += output.value;
    if (poolKnown(poolId, output.address)) {
      known.add(output.n);
      knownValue += output.value;
    } else {
      recipients.add(output.address);
    }
  }
  const paysMiners =
    recipients.size > 0 &&
    (recipients.size >= minRecipients || (knownValue > 0n && knownValue * 2n < totalValue));

  const result: CoinbaseClassification = { paysMiners, payouts: [], poolOutputs: [] };
  for (const output of paid) {
    const { n, address, value } = output;
    if (paysMiners && !known.has(n)) {
      result.payouts.push({ poolId, n, address, value, hop: 0 });
    } else {
      result.poolOutputs.push({ poolId, n, address, value, hop: 0, reason: 'coinbase' });
    }
  }
  return result;
}
