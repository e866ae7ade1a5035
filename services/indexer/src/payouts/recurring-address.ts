/** An address a distribution paid, with the value it received there (its outputs summed). */
export interface PaidAddress {
  address: string;
  value: bigint;
}

/**
 * A pool's distribution: the addresses paid by one of its transactions that pay several parties at once
 * (a coinbase paying miners directly, or a spend of pool funds with at least two addressed outputs),
 * payouts and pool outputs alike. Kept per pool and kind, because a pool may keep a different address in
 * its coinbases than in its payout batches.
 */
export interface Distribution {
  poolId: number;
  kind: 'coinbase' | 'spend';
  paid: PaidAddress[];
}

/** Distributions needed before a recurring address is believed: one or two may share a miner by chance. */
export const RECURRING_MIN_DISTRIBUTIONS = 3;
/** How many of the most recent distributions are intersected, so a pool that moves its wallet is re-learned. */
export const RECURRING_WINDOW = 8;
/**
 * A share of a distribution's total counts as constant when its largest and smallest values over the
 * window differ by at most this ratio (num/den = 1.02): a pool's fee is a fixed percentage of the reward.
 */
export const STABLE_SHARE_TOLERANCE = { num: 102n, den: 100n } as const;

export interface RecurringAddressOptions {
  /** Addresses that cannot be the pool's own: those another pool has paid. */
  excluded?: (address: string) => boolean;
  /** @defaultValue `RECURRING_MIN_DISTRIBUTIONS` */
  minDistributions?: number;
  /** @defaultValue `RECURRING_WINDOW` */
  window?: number;
}

/**
 * The pool's own address among its recent distributions, if one stands out. Candidates are the addresses
 * paid by every one of the last `window` distributions (at least `minDistributions` of them), less the
 * `excluded` ones: a pool's own wallet is not paid by its competitors, a miner often is. One candidate
 * left is the answer. Among several, the only one whose share of each distribution is constant
 * (`STABLE_SHARE_TOLERANCE`) is: a fee taken as a fixed percentage, where miners' shares move with their
 * work. Otherwise nothing is concluded.
 *
 * Why it holds: a pool that sends batch change to a fixed hot-wallet address, or takes its fee at a fixed
 * address in coinbases that pay miners (Ocean), pays that address every time; a miner is paid only when
 * owed, often at rotating addresses. When doubt remains (a miner paid in every batch beside the pool,
 * several steady shares), a payout too many is a smaller error than following the pool's funds into a
 * miner's wallet.
 */
export function recurringAddress(
  history: readonly (readonly PaidAddress[])[],
  options: RecurringAddressOptions = {},
): string | null {
  const minDistributions = options.minDistributions ?? RECURRING_MIN_DISTRIBUTIONS;
  const recent = history.slice(-(options.window ?? RECURRING_WINDOW));
  if (recent.length < minDistributions) return null;
  let candidates = new Set(recent[0]!.map((paid) => paid.address));
  for (const distribution of recent.slice(1)) {
    const next = new Set(distribution.map((paid) => paid.address));
    candidates = new Set([...candidates].filter((address) => next.has(address)));
  }
  const excluded = options.excluded;
  if (excluded !== undefined) candidates = new Set([...candidates].filter((address) => !excluded(address)));
  if (candidates.size <= 1) return candidates.size === 1 ? [...candidates][0]! : null;
  const stable = [...candidates].filter((address) => hasStableShare(address, recent));
  return stable.length === 1 ? stable[0]! : null;
}

function hasStableShare(address: string, distributions: readonly (readonly PaidAddress[])[]): boolean {
  // Shares compared as fractions value/total, cross-multiplied to stay in integers.
  let min: { value: bigint; total: bigint } | null = null;
  let max: { value: bigint; total: bigint } | null = null;
  for (const distribution of distributions) {
    let total = 0n;
    let value = 0n;
    for (const paid of distribution) {
      total += paid.value;
      if (paid.address === address) value += paid.value;
    }
    if (total === 0n || value === 0n) return false;
    const share = { value, total };
    if (min === null || value * min.total < min.value * total) min = share;
    if (max === null || value * max.total > max.value * total) max = share;
  }
  if (min === null || max === null) return false;
  const { num, den } = STABLE_SHARE_TOLERANCE;
  // max/min ≤ num/den  ⇔  max.value · min.total · den ≤ num · min.value · max.total
  return max.value * min.total * den <= num * min.value * max.total;
}
