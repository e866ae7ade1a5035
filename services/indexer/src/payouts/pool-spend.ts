import type {
  DetectedPayout,
  PayoutOptions,
  PayoutTxOutput,
  PoolFunds,
  PoolFundsReason,
  PoolKnown,
  PoolOutput,
} from './payout.types.js';

/** An input with its prevout resolved: its value, address, and pool funds marker if it carries one. */
export interface PoolSpendInput {
  value: bigint;
  address: string | null;
  poolFunds: PoolFunds | null;
}

/** A non-coinbase transaction, inputs and outputs in transaction order. */
export interface PoolSpendTx {
  inputs: readonly PoolSpendInput[];
  outputs: readonly PayoutTxOutput[];
}

/**
 * A transaction spending pool funds: whose (`poolId`), how far from a coinbase (`hop`, one more than
 * the nearest pool-funds input), which input that nearest one is (`sourceInput`, so the caller can
 * name the source transaction), what it pays out and what stays with the pool.
 */
export interface PoolSpend {
  poolId: number;
  hop: number;
  sourceInput: number;
  payouts: DetectedPayout[];
  poolOutputs: PoolOutput[];
}

/**
 * Classifies a transaction that may spend pool funds. Null when no input carries pool funds that are
 * still followed (`hop < maxHops`).
 *
 * Ownership: a transaction spending pool funds is taken to be entirely the pool's, whatever else it
 * spends (common-input ownership, as clustering assumes): pools do not co-sign with others, so the
 * other inputs are the pool's older coins (change past the hop limit, funds that came from elsewhere).
 * Payouts are therefore whole output values, not shares. When inputs carry funds of several pools, the
 * pool with the most value among them owns the transaction (ties: nearest hop, then lower id). The caller
 * leaves CoinJoin-shaped transactions out (see `detectBlockPayouts`).
 *
 * Outputs the pool keeps, in order of the rules tried (the first that holds names the reason):
 * 1. `known-address`: `poolKnown` says the pool controls the address.
 * 2. `input-address`: the address also funds this transaction (address reuse: change back to self).
 * 3. `sweep`: all addressed outputs pay one address: a consolidation or a move between the pool's own wallets. It
 *    advances the hop like any transaction, which bounds how far a sweep that was in fact a payment to
 *    one party can lead.
 * Every other addressed output with value is a payout; outputs without an address or value are neither.
 * Change to an address the pool has never used before is not recognised here: a pool's first payout to
 * a new miner address looks the same. `detectBlockPayouts` learns a pool's fixed change address from
 * its recurring distributions instead.
 */
export function classifyPoolSpend(
  tx: PoolSpendTx,
  poolKnown: PoolKnown,
  options: PayoutOptions,
): PoolSpend | null {
  const owner = pickOwner(tx, options.maxHops);
  if (owner === null) return null;
  const { poolId, sourceInput } = owner;
  const hop = tx.inputs[sourceInput]!.poolFunds!.hop + 1;

  const inputAddresses = new Set<string>();
  for (const input of tx.inputs) if (input.address !== null) inputAddresses.add(input.address);

  const paid = tx.outputs.filter(
    (output): output is PayoutTxOutput & { address: string } => output.address !== null && output.value > 0n,
  );
  const kept = new Map<number, PoolFundsReason>();
  for (const output of paid) {
    if (poolKnown(poolId, output.address)) kept.set(output.n, 'known-address');
    else if (inputAddresses.has(output.address)) kept.set(output.n, 'input-address');
  }
  if (new Set(paid.map((output) => output.address)).size === 1) {
    for (const output of paid) if (!kept.has(output.n)) kept.set(output.n, 'sweep');
  }

  const result: PoolSpend = { poolId, hop, sourceInput, payouts: [], poolOutputs: [] };
  for (const { n, address, value } of paid) {
    const reason = kept.get(n);
    if (reason === undefined) result.payouts.push({ poolId, n, address, value, hop });
    else result.poolOutputs.push({ poolId, n, address, value, hop, reason });
  }
  return result;
}

function pickOwner(tx: PoolSpendTx, maxHops: number): { poolId: number; sourceInput: number } | null {
  const byPool = new Map<number, { value: bigint; hop: number; sourceInput: number }>();
  tx.inputs.forEach((input, index) => {
    const funds = input.poolFunds;
    if (funds === null || funds.hop >= maxHops) return;
    const entry = byPool.get(funds.poolId);
    if (entry === undefined) {
      byPool.set(funds.poolId, { value: input.value, hop: funds.hop, sourceInput: index });
      return;
    }
    entry.value += input.value;
    if (funds.hop < entry.hop) {
      entry.hop = funds.hop;
      entry.sourceInput = index;
    }
  });
  let best: { poolId: number; value: bigint; hop: number; sourceInput: number } | null = null;
  for (const [poolId, entry] of byPool) {
    if (
      best === null ||
      entry.value > best.value ||
      (entry.value === best.value &&
        (entry.hop < best.hop || (entry.hop === best.hop && poolId < best.poolId)))
    ) {
      best = { poolId, ...entry };
    }
  }
  return best === null ? null : { poolId: best.poolId, sourceInput: best.sourceInput };
}
