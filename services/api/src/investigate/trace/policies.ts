import type { TracePolicy } from '../trace.types.js';

/**
 * Taint inside one amount of satoshis, as half-open ranges `[start, end)` of its satoshi positions,
 * sorted and disjoint. The range policies (fifo, lifo) keep real positions; the amount policies
 * (poison, haircut, tiho) only keep how much, as the single range `[0, amount)`.
 */
export type Range = readonly [start: bigint, end: bigint];
export type Ranges = readonly Range[];

/** One input of a split: its value and the taint it carries (ranges within `[0, value)`). */
export interface SplitInput {
  value: bigint;
  taint: Ranges;
}

/**
 * Taint already on the outputs and the fee from earlier arrivals at the same transaction. The
 * amount policies fill only what is left (`value - already`); the range policies need no such
 * account, because disjoint input ranges always land on disjoint output ranges.
 */
export interface SplitAlready {
  outputs: readonly bigint[];
  fee: bigint;
}

/** Where the inputs' taint goes: per output (same order as given) and to the fee. */
export interface TaintSplit {
  outputs: Ranges[];
  fee: Ranges;
}

/** The policies that track satoshi positions rather than amounts. */
export const RANGE_POLICIES: ReadonlySet<TracePolicy> = new Set(['fifo', 'lifo']);

export const rangesTotal = (ranges: Ranges): bigint => ranges.reduce((sum, [a, b]) => sum + (b - a), 0n);

/** `[0, amount)`, or nothing for 0. */
export const amountRanges = (amount: bigint): Ranges => (amount > 0n ? [[0n, amount]] : []);

/** Union of two sorted disjoint range lists, adjacent ranges merged. */
export function unionRanges(a: Ranges, b: Ranges): Ranges {
  const all = [...a, ...b].sort((x, y) => (x[0] < y[0] ? -1 : x[0] > y[0] ? 1 : 0));
  const out: Array<[bigint, bigint]> = [];
  for (const [start, end] of all) {
    const last = out[out.length - 1];
    if (last !== undefined && start <= last[1]) {
      if (end > last[1]) last[1] = end;
    } else out.push([start, end]);
  }
  return out;
}

/** The parts of `a` not in `b`. */
export function subtractRanges(a: Ranges, b: Ranges): Ranges {
  let rest: Array<[bigint, bigint]> = a.map(([s, e]) => [s, e]);
  for (const [bs, be] of b) {
    const next: Array<[bigint, bigint]> = [];
    for (const [s, e] of rest) {
      if (be <= s || bs >= e) next.push([s, e]);
      else {
        if (s < bs) next.push([s, bs]);
        if (be < e) next.push([be, e]);
      }
    }
    rest = next;
  }
  return rest;
}

/** The parts of `ranges` inside `[start, end)`, shifted so that `start` becomes 0. */
function slice(ranges: Ranges, start: bigint, end: bigint): Ranges {
  const out: Array<[bigint, bigint]> = [];
  for (const [s, e] of ranges) {
    const lo = s > start ? s : start;
    const hi = e < end ? e : end;
    if (lo < hi) out.push([lo - start, hi - start]);
  }
  return out;
}

const sum = (values: readonly bigint[]) => values.reduce((total, v) => total + v, 0n);

/**
 * Splits the taint of a transaction's inputs over its outputs and its fee by `policy`. The fee is
 * `sum(inputs) - sum(outputs)` and must not be negative. Invariant (the property test checks it for
 * every policy): the satoshis out equal the satoshis in, `sum(outputs) + fee = sum(input taint)`,
 * and no output (with `already`) carries more taint than its value.
 *
 * Poison is split like haircut here: this is the split of the source's satoshis (the conserved
 * mass, see docs/tracing.md); the walk marks every output of a poisoned transaction on top of it.
 */
export function splitTaint(
  policy: TracePolicy,
  inputs: readonly SplitInput[],
  outputValues: readonly bigint[],
  already?: SplitAlready,
): TaintSplit {
  const inTotal = sum(inputs.map((input) => input.value));
  const fee = inTotal - sum(outputValues);
  if (fee < 0n) throw new RangeError(`outputs (${sum(outputValues)}) exceed inputs (${inTotal})`);
  switch (policy) {
    case 'fifo':
      return fifo(inputs, outputValues, fee);
    case 'lifo': {
      // The last input's satoshis go to the last output first: FIFO over both lists reversed. The
      // fee still comes last in that order, so it takes the first input's first satoshis.
      const split = fifo([...inputs].reverse(), [...outputValues].reverse(), fee);
      return { outputs: split.outputs.reverse(), fee: split.fee };
    }
    case 'poison':
    case 'haircut':
      return haircut(inputs, outputValues, fee, inTotal, already);
    case 'tiho':
      return tiho(inputs, outputValues, fee, already);
  }
}

function fifo(inputs: readonly SplitInput[], outputValues: readonly bigint[], fee: bigint): TaintSplit {
  // One stream of satoshis: inputs in order, each input's ranges shifted to its offset.
  const stream: Array<[bigint, bigint]> = [];
  let offset = 0n;
  for (const input of inputs) {
    for (const [s, e] of input.taint) stream.push([offset + s, offset + e]);
    offset += input.value;
  }
  const outputs: Ranges[] = [];
  let start = 0n;
  for (const value of outputValues) {
    outputs.push(slice(stream, start, start + value));
    start += value;
  }
  return { outputs, fee: slice(stream, start, start + fee) };
}

/** Fills each party up to its capacity, in the given order, with `amount`; returns what is left. */
function fill(
  shares: bigint[],
  capacity: readonly bigint[],
  order: readonly number[],
  amount: bigint,
): bigint {
  let left = amount;
  for (const i of order) {
    if (left === 0n) break;
    const room = capacity[i]! - shares[i]!;
    if (room <= 0n) continue;
    // biome-ignore lint/complexity/useMathMinMax: Math.min does not take bigint
    const take = room < left ? room : left;
    shares[i]! += take;
    left -= take;
  }
  return left;
}

/** The parties of an amount split: the outputs in order, then the fee; with their free capacity. */
function parties(outputValues: readonly bigint[], fee: bigint, already?: SplitAlready) {
  const values = [...outputValues, fee];
  const capacity = values.map(
    (value, i) => value - (i < outputValues.length ? (already?.outputs[i] ?? 0n) : (already?.fee ?? 0n)),
  );
  return { values, capacity };
}

function toSplit(shares: readonly bigint[]): TaintSplit {
  return {
    outputs: shares.slice(0, -1).map(amountRanges),
    fee: amountRanges(shares[shares.length - 1]!),
  };
}

/**
 * Proportional split with exact integers: each party's quota is `taint * value / inputs`; every
 * party gets the floor, and the satoshis the floors leave over go one each to the largest
 * remainders (ties to the earlier party, the fee last): the largest-remainder method, whose shares
 * add up to the taint exactly. A share above a party's free capacity (only possible when taint
 * arrives at the same transaction twice) is moved to the next parties with room, in order.
 */
function haircut(
  inputs: readonly SplitInput[],
  outputValues: readonly bigint[],
  fee: bigint,
  inTotal: bigint,
  already?: SplitAlready,
): TaintSplit {
  const taint = sum(inputs.map((input) => rangesTotal(input.taint)));
  const { values, capacity } = parties(outputValues, fee, already);
  if (taint === 0n || inTotal === 0n) return toSplit(values.map(() => 0n));
  const shares = values.map((value) => (taint * value) / inTotal);
  const remainders = values.map((value) => (taint * value) % inTotal);
  let left = taint - sum(shares);
  const byRemainder = values
    .map((_, i) => i)
    .sort((a, b) => (remainders[b]! > remainders[a]! ? 1 : remainders[b]! < remainders[a]! ? -1 : a - b));
  for (const i of byRemainder) {
    if (left === 0n) break;
    shares[i]! += 1n;
    left -= 1n;
  }
  let excess = 0n;
  for (let i = 0; i < shares.length; i++) {
    if (shares[i]! > capacity[i]!) {
      excess += shares[i]! - capacity[i]!;
      shares[i] = capacity[i]!;
    }
  }
  const rest = fill(
    shares,
    capacity,
    values.map((_, i) => i),
    excess,
  );
  if (rest !== 0n) throw new RangeError('taint exceeds the free capacity of the outputs and the fee');
  return toSplit(shares);
}

/**
 * Tainted satoshis first, into the highest-value outputs first (ties to the lower index), the fee
 * last; each filled up to its free capacity.
 */
function tiho(
  inputs: readonly SplitInput[],
  outputValues: readonly bigint[],
  fee: bigint,
  already?: SplitAlready,
): TaintSplit {
  const taint = sum(inputs.map((input) => rangesTotal(input.taint)));
  const { values, capacity } = parties(outputValues, fee, already);
  const order = outputValues
    .map((_, i) => i)
    .sort((a, b) => (values[b]! > values[a]! ? 1 : values[b]! < values[a]! ? -1 : a - b));
  order.push(outputValues.length);
  const shares = values.map(() => 0n);
  const rest = fill(shares, capacity, order, taint);
  if (rest !== 0n) throw new RangeError('taint exceeds the free capacity of the outputs and the fee');
  return toSplit(shares);
}
