import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { TracePolicy } from '../trace.types.js';
import {
  amountRanges,
  type Ranges,
  rangesTotal,
  type SplitInput,
  splitTaint,
  subtractRanges,
  unionRanges,
} from './policies.js';

const POLICIES: TracePolicy[] = ['poison', 'haircut', 'fifo', 'lifo', 'tiho'];
const totals = (split: { outputs: Ranges[]; fee: Ranges }) => ({
  outputs: split.outputs.map(rangesTotal),
  fee: rangesTotal(split.fee),
});

/**
 * Inputs A = 60 (all tainted) then B = 40 (clean); outputs 50, 30, 15; fee 100 - 95 = 5.
 */
const A: SplitInput = { value: 60n, taint: [[0n, 60n]] };
const B: SplitInput = { value: 40n, taint: [] };
const OUTS = [50n, 30n, 15n];

describe('splitTaint on a hand-built transaction', () => {
  it('haircut: each output and the fee carry 60% of their value', () => {
    // 50*60/100 = 30, 30*60/100 = 18, 15*60/100 = 9, fee 5*60/100 = 3; 30+18+9+3 = 60.
    expect(totals(splitTaint('haircut', [A, B], OUTS))).toEqual({ outputs: [30n, 18n, 9n], fee: 3n });
  });

  it('haircut: the leftover satoshis go to the largest remainders', () => {
    // Inputs 7 (tainted) + 3 (clean), outputs 3, 3, 3, fee 1; taint 7 of 10.
    // Quotas 21/10 = 2 r1 (three times) and fee 7/10 = 0 r7: floors give 6, the 1 left goes to the
    // fee, the largest remainder (7).
    const split = splitTaint(
      'haircut',
      [
        { value: 7n, taint: [[0n, 7n]] },
        { value: 3n, taint: [] },
      ],
      [3n, 3n, 3n],
    );
    expect(totals(split)).toEqual({ outputs: [2n, 2n, 2n], fee: 1n });
  });

  it('haircut: ties between equal remainders go to the earlier output', () => {
    // Inputs 1 (tainted) + 2 (clean), outputs 1, 1, 1, no fee: quotas 1/3 each, remainder 1 each,
    // floors 0: the one tainted satoshi goes to output 0.
    const split = splitTaint(
      'haircut',
      [
        { value: 1n, taint: [[0n, 1n]] },
        { value: 2n, taint: [] },
      ],
      [1n, 1n, 1n],
    );
    expect(totals(split)).toEqual({ outputs: [1n, 0n, 0n], fee: 0n });
  });

  it('haircut with taint already on an output moves the overflow to the next output with room', () => {
    // Taint 60 of 100 arrives; output 0 (50) already carries 45, so only 5 fit there. Quotas are
    // 30, 18, 9, fee 3; output 0 keeps 5 and 25 overflow; output 1 has room 30-18 = 12, output 2
    // has 15-9 = 6, the fee 5-3 = 2: 12 + 6 + 2 = 20 < 25, so this arrival is inconsistent and fails.
    expect(() => splitTaint('haircut', [A, B], OUTS, { outputs: [45n, 0n, 0n], fee: 0n })).toThrow(
      RangeError,
    );
    // With 20 already on output 0: quotas 30 → room 30, no overflow; with 40 already: room 10,
    // overflow 20 → output 1 takes 12 (to 30), output 2 takes 6 (to 15), the fee 2 (to 5).
    expect(
      totals(
        splitTaint('haircut', [{ value: 60n, taint: [[0n, 60n]] }, B], OUTS, {
          outputs: [40n, 0n, 0n],
          fee: 0n,
        }),
      ),
    ).toEqual({ outputs: [10n, 30n, 15n], fee: 5n });
  });

  it('poison splits the mass like haircut', () => {
    expect(totals(splitTaint('poison', [A, B], OUTS))).toEqual({ outputs: [30n, 18n, 9n], fee: 3n });
  });

  it('fifo: the first 60 satoshis (tainted) fill output 0 and 10 of output 1', () => {
    // Stream [0,60) tainted, [60,100) clean; output 0 = [0,50), output 1 = [50,80) holds [50,60),
    // output 2 = [80,95) and the fee [95,100) are clean.
    const split = splitTaint('fifo', [A, B], OUTS);
    expect(split.outputs).toEqual([[[0n, 50n]], [[0n, 10n]], []]);
    expect(split.fee).toEqual([]);
  });

  it('fifo keeps the exact ranges of partly tainted inputs', () => {
    // Input 0: 10 sats with [2,5) tainted; input 1: 10 sats with [0,4) tainted → stream [2,5) and
    // [10,14). Outputs 4, 8, fee 8: output 0 = [0,4) holds [2,4); output 1 = [4,12) holds [4,5) and
    // [10,12) → [0,1) and [6,8); fee = [12,20) holds [12,14) → [0,2).
    const split = splitTaint(
      'fifo',
      [
        { value: 10n, taint: [[2n, 5n]] },
        { value: 10n, taint: [[0n, 4n]] },
      ],
      [4n, 8n],
    );
    expect(split.outputs).toEqual([
      [[2n, 4n]],
      [
        [0n, 1n],
        [6n, 8n],
      ],
    ]);
    expect(split.fee).toEqual([[0n, 2n]]);
  });

  it('lifo: the last input goes to the last output first, the fee takes the first input last', () => {
    // Reversed: B (clean 40) then A (tainted 60) → tainted stream [40,100); reversed outputs 15, 30,
    // 50, then the fee 5. Output 2 = [0,15) clean; output 1 = [15,45) holds [40,45) → [25,30);
    // output 0 = [45,95) all tainted; fee = [95,100) tainted. 0 + 5 + 50 + 5 = 60.
    const split = splitTaint('lifo', [A, B], OUTS);
    expect(split.outputs).toEqual([[[0n, 50n]], [[25n, 30n]], []]);
    expect(split.fee).toEqual([[0n, 5n]]);
  });

  it('tiho: the 60 tainted satoshis fill the highest-value outputs first', () => {
    // Outputs by value: 50 (takes 50), 30 (takes the last 10), 15 (nothing); fee nothing.
    expect(totals(splitTaint('tiho', [A, B], OUTS))).toEqual({ outputs: [50n, 10n, 0n], fee: 0n });
  });

  it('tiho reaches the fee only when every output is full', () => {
    // Inputs 100 tainted, outputs 50, 30, 15: 95 fill the outputs, the remaining 5 go to the fee.
    expect(totals(splitTaint('tiho', [{ value: 100n, taint: [[0n, 100n]] }], OUTS))).toEqual({
      outputs: [50n, 30n, 15n],
      fee: 5n,
    });
  });

  it('refuses outputs above the inputs', () => {
    expect(() => splitTaint('haircut', [B], [41n])).toThrow(RangeError);
  });
});

describe('range helpers', () => {
  it('unions and subtracts', () => {
    expect(
      unionRanges(
        [
          [0n, 2n],
          [5n, 6n],
        ],
        [[2n, 4n]],
      ),
    ).toEqual([
      [0n, 4n],
      [5n, 6n],
    ]);
    expect(subtractRanges([[0n, 10n]], [[3n, 5n]])).toEqual([
      [0n, 3n],
      [5n, 10n],
    ]);
    expect(amountRanges(0n)).toEqual([]);
  });
});

/** A random input: value and a random set of tainted ranges inside it (or an amount). */
const inputArb = fc.bigInt({ min: 0n, max: 10_000n }).chain((value) =>
  fc
    .array(fc.tuple(fc.bigInt({ min: 0n, max: value }), fc.bigInt({ min: 0n, max: value })), { maxLength: 4 })
    .map((pairs) => {
      const ranges = pairs
        .filter(([a, b]) => a !== b)
        .map(([a, b]) => (a < b ? [a, b] : [b, a]) as [bigint, bigint]);
      return { value, taint: ranges.reduce<Ranges>((acc, r) => unionRanges(acc, [r]), []) };
    }),
);

/** A random transaction: inputs, and outputs whose sum does not exceed them (the rest is the fee). */
const txArb = fc.array(inputArb, { minLength: 1, maxLength: 6 }).chain((inputs) => {
  const total = inputs.reduce((s, i) => s + i.value, 0n);
  return fc.array(fc.bigInt({ min: 0n, max: 1_000_000n }), { minLength: 1, maxLength: 6 }).chain((weights) =>
    fc.bigInt({ min: 0n, max: total }).map((outTotal) => {
      const weightSum = weights.reduce((s, w) => s + w, 0n) || 1n;
      const outputs = weights.map((w) => (outTotal * w) / weightSum);
      return { inputs, outputs };
    }),
  );
});

/** The amount policies only see amounts: turn ranges into `[0, amount)` for them. */
const asAmounts = (inputs: SplitInput[]) =>
  inputs.map((i) => ({ value: i.value, taint: amountRanges(rangesTotal(i.taint)) }));

describe('conservation on random transactions', () => {
  for (const policy of POLICIES) {
    it(`${policy}: outputs plus fee carry exactly the input taint, each within its value`, () => {
      fc.assert(
        fc.property(txArb, ({ inputs, outputs }) => {
          const given = policy === 'fifo' || policy === 'lifo' ? inputs : asAmounts(inputs);
          const split = splitTaint(policy, given, outputs);
          const taintIn = inputs.reduce((s, i) => s + rangesTotal(i.taint), 0n);
          const fee = inputs.reduce((s, i) => s + i.value, 0n) - outputs.reduce((s, o) => s + o, 0n);
          const out = split.outputs.map(rangesTotal);
          expect(out.reduce((s, v) => s + v, 0n) + rangesTotal(split.fee)).toBe(taintIn);
          for (const [i, v] of out.entries()) expect(v <= outputs[i]!).toBe(true);
          expect(rangesTotal(split.fee) <= fee).toBe(true);
          for (const ranges of [...split.outputs, split.fee]) {
            for (const [a, b] of ranges) expect(a < b).toBe(true);
          }
        }),
        { numRuns: 300 },
      );
    });

    it(`${policy}: taint arriving in two parts still fits and is conserved`, () => {
      fc.assert(
        fc.property(txArb, ({ inputs, outputs }) => {
          // Split the taint of each input into a first and a second arrival (disjoint ranges).
          const first = inputs.map((i) => ({ value: i.value, taint: i.taint.slice(0, 1) }));
          const second = inputs.map((i) => ({ value: i.value, taint: i.taint.slice(1) }));
          const prep = (list: SplitInput[]) =>
            policy === 'fifo' || policy === 'lifo' ? list : asAmounts(list);
          const one = splitTaint(policy, prep(first), outputs);
          const already = { outputs: one.outputs.map(rangesTotal), fee: rangesTotal(one.fee) };
          const two = splitTaint(policy, prep(second), outputs, already);
          const fee = inputs.reduce((s, i) => s + i.value, 0n) - outputs.reduce((s, o) => s + o, 0n);
          const taintIn = inputs.reduce((s, i) => s + rangesTotal(i.taint), 0n);
          // Range policies: the two arrivals land on disjoint ranges, so the union holds both in full.
          const add = (a: Ranges, b: Ranges) =>
            policy === 'fifo' || policy === 'lifo'
              ? rangesTotal(unionRanges(a, b))
              : rangesTotal(a) + rangesTotal(b);
          const combined = outputs.map((_, i) => add(one.outputs[i]!, two.outputs[i]!));
          const combinedFee = add(one.fee, two.fee);
          expect(combined.reduce((s, v) => s + v, 0n) + combinedFee).toBe(taintIn);
          for (const [i, v] of combined.entries()) expect(v <= outputs[i]!).toBe(true);
          expect(combinedFee <= fee).toBe(true);
        }),
        { numRuns: 300 },
      );
    });
  }
});
