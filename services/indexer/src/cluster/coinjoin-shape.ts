import type { ScriptType } from '@minetrace/shared/chain';

/**
 * CoinJoin shapes recognised on chain. A transaction of one of these shapes is built by several
 * owners, so the multi-input (common-input-ownership) heuristic must not merge its inputs.
 *
 * Sources, beside each rule below:
 * - BlockSci (Kalodner et al., "BlockSci: Design and applications of a blockchain analysis platform",
 *   `isCoinjoin` in its chain heuristics).
 * - Dumplings (the Wasabi/Samourai CoinJoin scanner, `Scanning/Scanner.cs`, maintained by the authors of
 *   "Pinpointing and Measuring Wasabi and Samourai CoinJoins in the Bitcoin Ecosystem", Stockinger et al.
 *   2021, and of "CoinJoin ecosystem insights for Wasabi 1.x, Wasabi 2.x and Whirlpool", PETS 2025).
 * - Wasabi Wallet's WabiSabi standard denominations (`StandardDenomination.cs`).
 */
export type CoinJoinKind = 'whirlpool' | 'wasabi2' | 'wasabi1' | 'joinmarket' | 'blocksci';

/** The shape `isCoinJoinShaped` recognised. */
export interface CoinJoinMatch {
  kind: CoinJoinKind;
}

/** One side of a spend as the detector needs it: an input's resolved prevout, or an output. */
export interface CoinJoinTxIo {
  value: bigint;
  /**
   * The address, or anything standing for it one to one (its id): the shapes only compare addresses.
   * Null for scripts without an address (nulldata, bare multisig, nonstandard).
   */
  address: string | number | null;
  scriptType: ScriptType;
}

/** A non-coinbase transaction with its inputs' prevouts resolved. Outputs in transaction order. */
export interface CoinJoinTx {
  inputs: readonly CoinJoinTxIo[];
  outputs: readonly CoinJoinTxIo[];
}

/** Whirlpool pool sizes in sats: Samourai's 0.001/0.01/0.05/0.5 BTC and Ashigaru's 0.025/0.25 BTC. */
export const WHIRLPOOL_DENOMINATIONS: ReadonlySet<bigint> = new Set([
  100_000n,
  1_000_000n,
  2_500_000n,
  5_000_000n,
  25_000_000n,
  50_000_000n,
]);
/** A Whirlpool mix has as many inputs as outputs: 5 at launch, up to 10 later (Dumplings). */
export const WHIRLPOOL_MIN_PARTICIPANTS = 5;
export const WHIRLPOOL_MAX_PARTICIPANTS = 10;
/**
 * A fresh (premix) input carries the pool size plus its share of the miner fee, at most 0.0011 BTC
 * above it (Dumplings' Samourai detection rule); remixed inputs carry exactly the pool size.
 */
export const WHIRLPOOL_PREMIX_FEE_MAX = 110_000n;

/** Wasabi 2 (WabiSabi) rounds: at least this many inputs (50 at launch, 20 for later coordinators; Dumplings). */
export const WASABI2_MIN_INPUTS = 20;
/**
 * Not in Dumplings: every participant leaves with at least one output, so a real round has many. Requiring
 * some keeps a sorted consolidation into one round amount (a standard denomination) merging.
 */
export const WASABI2_MIN_OUTPUTS = 10;
/** More than this share of the outputs are standard denominations (Dumplings: 0.8), as a ratio num/den. */
export const WASABI2_DENOMINATION_SHARE = { num: 4n, den: 5n } as const;
/** Smallest and largest standard denomination a Wasabi 2 round pays (Dumplings' port of WabiSabi's list). */
export const WASABI2_MIN_DENOMINATION = 5_000n;
export const WASABI2_MAX_DENOMINATION = 134_375_000_000n;

/** Wasabi 1 (ZeroLink): at least this many equal outputs at the base denomination (Dumplings). */
export const WASABI1_MIN_EQUAL_OUTPUTS = 10;
/** Wasabi 1's base denomination drifted around 0.1 BTC; Dumplings accepts 0.1 ± 0.02 BTC. */
export const WASABI1_BASE_DENOMINATION = 10_000_000n;
export const WASABI1_DENOMINATION_TOLERANCE = 2_000_000n;
/** At least one change and the coordinator fee output carry values nobody else has (Dumplings). */
export const WASABI1_MIN_UNIQUE_OUTPUTS = 2;

/** JoinMarket: the taker and at least two makers, each with one equal-valued output. */
export const JOINMARKET_MIN_PARTICIPANTS = 3;
/**
 * No participant's input may exceed the equal amount plus the largest change by less than this margin
 * (Dumplings' cheap stand-in for subset-sum matching): an exchange batch spends one large input, which
 * fails it.
 */
export const JOINMARKET_INPUT_MARGIN = 10_000n;

/** Output values BlockSci leaves out of its rule: 546 and 2730 sats are common dust amounts, not mixes. */
export const BLOCKSCI_DUST_VALUES: ReadonlySet<bigint> = new Set([546n, 2_730n]);

/** Wasabi 2's standard denominations within [`WASABI2_MIN_DENOMINATION`, `WASABI2_MAX_DENOMINATION`]. */
export const WASABI2_DENOMINATIONS: ReadonlySet<bigint> = buildWasabi2Denominations();

function buildWasabi2Denominations(): Set<bigint> {
  const out = new Set<bigint>();
  const series = (base: bigint, factor: bigint) => {
    for (let power = 1n; power * factor <= WASABI2_MAX_DENOMINATION; power *= base) {
      const value = power * factor;
      if (value >= WASABI2_MIN_DENOMINATION) out.add(value);
    }
  };
  series(2n, 1n);
  series(3n, 1n);
  series(3n, 2n);
  series(10n, 1n);
  series(10n, 2n);
  series(10n, 5n);
  return out;
}

/**
 * Recognises CoinJoin-shaped transactions. Rules are tried from the most specific (a coordinator's exact
 * shape) to BlockSci's generic one, and the first that matches is reported. Coinbases and single-input
 * transactions are never CoinJoins. Whirlpool's Tx0 is not reported: it is one user's own transaction,
 * whose inputs may merge.
 */
export function isCoinJoinShaped(tx: CoinJoinTx): CoinJoinMatch | null {
  if (tx.inputs.length < 2 || tx.outputs.length < 2) return null;
  const counts = valueCounts(tx.outputs);
  if (isWhirlpool(tx)) return { kind: 'whirlpool' };
  if (isWasabi2(tx)) return { kind: 'wasabi2' };
  if (isWasabi1(tx, counts)) return { kind: 'wasabi1' };
  if (isJoinMarket(tx, counts)) return { kind: 'joinmarket' };
  if (isBlockSciCoinJoin(tx, counts)) return { kind: 'blocksci' };
  return null;
}

function valueCounts(outputs: readonly CoinJoinTxIo[]): Map<bigint, number> {
  const counts = new Map<bigint, number>();
  for (const output of outputs) counts.set(output.value, (counts.get(output.value) ?? 0) + 1);
  return counts;
}

/** Value and count of the most frequent output value; ties go to the larger value (deterministic). */
function mostFrequent(counts: Map<bigint, number>): { value: bigint; count: number } {
  let best = { value: -1n, count: 0 };
  for (const [value, count] of counts) {
    if (count > best.count || (count === best.count && value > best.value)) best = { value, count };
  }
  return best;
}

function distinctAddresses(items: readonly CoinJoinTxIo[]): number {
  const seen = new Set<string | number>();
  for (const item of items) if (item.address !== null) seen.add(item.address);
  return seen.size;
}

function allOfType(items: readonly CoinJoinTxIo[], types: readonly ScriptType[]): boolean {
  return items.every((item) => types.includes(item.scriptType));
}

function isNonIncreasing(items: readonly CoinJoinTxIo[]): boolean {
  for (let i = 1; i < items.length; i++) if (items[i]!.value > items[i - 1]!.value) return false;
  return true;
}

/**
 * Whirlpool mix (Dumplings, after Stockinger et al.'s SCDH): n inputs and n outputs (5 ≤ n ≤ 10), all
 * outputs exactly one pool size, P2WPKH only, at least one remixed input of exactly the pool size and the
 * others at most `WHIRLPOOL_PREMIX_FEE_MAX` above it.
 */
function isWhirlpool(tx: CoinJoinTx): boolean {
  const n = tx.outputs.length;
  if (tx.inputs.length !== n || n < WHIRLPOOL_MIN_PARTICIPANTS || n > WHIRLPOOL_MAX_PARTICIPANTS)
    return false;
  if (!allOfType(tx.inputs, ['witness_v0_keyhash']) || !allOfType(tx.outputs, ['witness_v0_keyhash'])) {
    return false;
  }
  const pool = tx.outputs[0]!.value;
  if (!WHIRLPOOL_DENOMINATIONS.has(pool) || tx.outputs.some((output) => output.value !== pool)) return false;
  let remixes = 0;
  for (const input of tx.inputs) {
    if (input.value === pool) remixes++;
    else if (input.value < pool || input.value > pool + WHIRLPOOL_PREMIX_FEE_MAX) return false;
  }
  return remixes >= 1;
}

/**
 * Wasabi 2 round (Dumplings): ≥ `WASABI2_MIN_INPUTS` P2WPKH/P2TR inputs, inputs and outputs ordered by
 * value descending (the coordinator sorts them), and more than 80% of outputs standard denominations;
 * plus `WASABI2_MIN_OUTPUTS`.
 */
function isWasabi2(tx: CoinJoinTx): boolean {
  if (tx.inputs.length < WASABI2_MIN_INPUTS || tx.outputs.length < WASABI2_MIN_OUTPUTS) return false;
  if (!allOfType(tx.inputs, ['witness_v0_keyhash', 'witness_v1_taproot'])) return false;
  if (!isNonIncreasing(tx.inputs) || !isNonIncreasing(tx.outputs)) return false;
  const standard = tx.outputs.filter((output) => WASABI2_DENOMINATIONS.has(output.value)).length;
  const { num, den } = WASABI2_DENOMINATION_SHARE;
  return BigInt(standard) * den > BigInt(tx.outputs.length) * num;
}

/**
 * Wasabi 1 round (Dumplings, after the coordinator addresses stopped being fixed): P2WPKH only, at least
 * `WASABI1_MIN_EQUAL_OUTPUTS` outputs of one value within 0.1 ± 0.02 BTC, at least as many inputs, and at
 * least two outputs whose values are unique (a change and the coordinator fee).
 */
function isWasabi1(tx: CoinJoinTx, counts: Map<bigint, number>): boolean {
  if (!allOfType(tx.inputs, ['witness_v0_keyhash']) || !allOfType(tx.outputs, ['witness_v0_keyhash'])) {
    return false;
  }
  const top = mostFrequent(counts);
  if (top.count < WASABI1_MIN_EQUAL_OUTPUTS || tx.inputs.length < top.count) return false;
  const distance = top.value - WASABI1_BASE_DENOMINATION;
  if (distance > WASABI1_DENOMINATION_TOLERANCE || -distance > WASABI1_DENOMINATION_TOLERANCE) return false;
  let unique = 0;
  for (const count of counts.values()) if (count === 1) unique++;
  return unique >= WASABI1_MIN_UNIQUE_OUTPUTS;
}

/**
 * JoinMarket (Dumplings' "other equal-output CoinJoin" rule): exactly one repeated output value, occurring
 * k ≥ `JOINMARKET_MIN_PARTICIPANTS` times; k or k − 1 other outputs (each participant's change, the taker
 * may sweep without one); at least k distinct input and output addresses; and no input larger than the
 * equal amount plus the largest change minus `JOINMARKET_INPUT_MARGIN`.
 */
function isJoinMarket(tx: CoinJoinTx, counts: Map<bigint, number>): boolean {
  const repeated = [...counts].filter(([, count]) => count > 1);
  if (repeated.length !== 1) return false;
  const [amount, k] = repeated[0]!;
  if (k < JOINMARKET_MIN_PARTICIPANTS) return false;
  const others = tx.outputs.length - k;
  if (others !== k && others !== k - 1) return false;
  if (distinctAddresses(tx.outputs) < k || distinctAddresses(tx.inputs) < k) return false;
  let largestChange = 0n;
  for (const output of tx.outputs) {
    if (output.value !== amount && output.value > largestChange) largestChange = output.value;
  }
  const ceiling = amount + largestChange - JOINMARKET_INPUT_MARGIN;
  return tx.inputs.every((input) => input.value <= ceiling);
}

/**
 * BlockSci's rule: ≥ 2 inputs and ≥ 3 outputs; participants p = ⌊(outputs + 1) / 2⌋ (each brings a mixed
 * output and a change) is at most the input count and the distinct input addresses; the most common output
 * value occurs exactly p times and is not a dust amount in `BLOCKSCI_DUST_VALUES`.
 */
function isBlockSciCoinJoin(tx: CoinJoinTx, counts: Map<bigint, number>): boolean {
  if (tx.inputs.length < 2 || tx.outputs.length < 3) return false;
  const participants = Math.floor((tx.outputs.length + 1) / 2);
  if (participants > tx.inputs.length || participants > distinctAddresses(tx.inputs)) return false;
  const top = mostFrequent(counts);
  if (top.count !== participants) return false;
  // With a tie for most common, any non-dust value of that count qualifies.
  for (const [value, count] of counts) {
    if (count === participants && !BLOCKSCI_DUST_VALUES.has(value)) return true;
  }
  return false;
}
