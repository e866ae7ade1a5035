import { describe, expect, it } from 'vitest';
import type { PayoutTxOutput, PoolFunds, PoolKnown } from './payout.types.js';
import { classifyPoolSpend, type PoolSpendInput } from './pool-spend.js';

const POOL = 3;
const knownNone: PoolKnown = () => false;
const knownOnly =
  (...addresses: string[]): PoolKnown =>
  (poolId, address) =>
    poolId === POOL && addresses.includes(address);
const funds = (hop: number, poolId = POOL): PoolFunds => ({ poolId, hop });
const input = (
  value: bigint,
  address: string | null,
  poolFunds: PoolFunds | null = null,
): PoolSpendInput => ({
  value,
  address,
  poolFunds,
});
const out = (n: number, value: bigint, address: string | null): PayoutTxOutput => ({ n, value, address });
const options = { maxHops: 3 };

describe('classifyPoolSpend', () => {
  it('ignores transactions without pool funds, or whose pool funds are past the hop limit', () => {
    const outputs = [out(0, 1_000n, 'a'), out(1, 2_000n, 'b')];
    expect(classifyPoolSpend({ inputs: [input(5_000n, 'x')], outputs }, knownNone, options)).toBeNull();
    expect(
      classifyPoolSpend({ inputs: [input(5_000n, 'x', funds(3))], outputs }, knownNone, options),
    ).toBeNull();
    expect(
      classifyPoolSpend({ inputs: [input(5_000n, 'x', funds(0))], outputs }, knownNone, { maxHops: 0 }),
    ).toBeNull();
  });

  it('pays out a batch from a coinbase output at hop 1, with change back to the spending address', () => {
    const result = classifyPoolSpend(
      {
        inputs: [input(312_500_000n, 'pool-cb', funds(0))],
        outputs: [
          out(0, 40_000_000n, 'm1'),
          out(1, 25_000_000n, 'm2'),
          out(2, 0n, null),
          out(3, 247_490_000n, 'pool-cb'),
          out(4, 10_000n, 'm3'),
        ],
      },
      knownNone,
      options,
    );
    expect(result).toEqual({
      poolId: POOL,
      hop: 1,
      sourceInput: 0,
      payouts: [
        { poolId: POOL, n: 0, address: 'm1', value: 40_000_000n, hop: 1 },
        { poolId: POOL, n: 1, address: 'm2', value: 25_000_000n, hop: 1 },
        { poolId: POOL, n: 4, address: 'm3', value: 10_000n, hop: 1 },
      ],
      poolOutputs: [
        { poolId: POOL, n: 3, address: 'pool-cb', value: 247_490_000n, hop: 1, reason: 'input-address' },
      ],
    });
  });

  it('keeps change to an address the pool is known to control', () => {
    const result = classifyPoolSpend(
      { inputs: [input(100_000n, 'cb', funds(1))], outputs: [out(0, 60_000n, 'm1'), out(1, 39_000n, 'hot')] },
      knownOnly('hot'),
      options,
    )!;
    expect(result.hop).toBe(2);
    expect(result.payouts.map((p) => p.address)).toEqual(['m1']);
    expect(result.poolOutputs.map((o) => [o.address, o.reason])).toEqual([['hot', 'known-address']]);
  });

  it('treats a consolidation of coinbase outputs into one output as a sweep that stays pool funds', () => {
    const result = classifyPoolSpend(
      {
        inputs: [input(50n, 'cb', funds(0)), input(60n, 'cb', funds(0)), input(70n, 'cb', funds(0))],
        outputs: [out(0, 175n, 'fresh-hot'), out(1, 0n, null)],
      },
      knownNone,
      options,
    )!;
    expect(result.payouts).toEqual([]);
    expect(result.poolOutputs).toEqual([
      { poolId: POOL, n: 0, address: 'fresh-hot', value: 175n, hop: 1, reason: 'sweep' },
    ]);
  });

  it('treats a split of pool funds into several outputs to one address as a sweep too', () => {
    const result = classifyPoolSpend(
      { inputs: [input(1_000n, 'cb', funds(0))], outputs: [out(0, 500n, 'cold'), out(1, 490n, 'cold')] },
      knownNone,
      options,
    )!;
    expect(result.payouts).toEqual([]);
    expect(result.poolOutputs.map((o) => [o.n, o.reason])).toEqual([
      [0, 'sweep'],
      [1, 'sweep'],
    ]);
  });

  it('takes the hop from the input nearest to a coinbase and names that input as the source', () => {
    const result = classifyPoolSpend(
      {
        inputs: [input(500n, 'hot', funds(2)), input(300n, 'cb', funds(0)), input(200n, 'cb2', funds(0))],
        outputs: [out(0, 400n, 'm1'), out(1, 590n, 'm2')],
      },
      knownNone,
      options,
    )!;
    expect(result.hop).toBe(1);
    expect(result.sourceInput).toBe(1);
    expect(result.payouts.map((p) => p.hop)).toEqual([1, 1]);
  });

  it('treats a mixed transaction as wholly the pool’s: full-value payouts, change to any input address', () => {
    const result = classifyPoolSpend(
      {
        inputs: [input(1_000n, 'cb', funds(0)), input(9_000n, 'older-pool-coin')],
        outputs: [out(0, 6_000n, 'm1'), out(1, 3_900n, 'older-pool-coin')],
      },
      knownNone,
      options,
    )!;
    expect(result.payouts).toEqual([{ poolId: POOL, n: 0, address: 'm1', value: 6_000n, hop: 1 }]);
    expect(result.poolOutputs.map((o) => [o.address, o.reason])).toEqual([
      ['older-pool-coin', 'input-address'],
    ]);
  });

  it('gives a transaction spending two pools’ funds to the pool with more value in it', () => {
    const result = classifyPoolSpend(
      {
        inputs: [
          input(1_000n, 'a', funds(0, 1)),
          input(800n, 'b', funds(0, 2)),
          input(700n, 'c', funds(1, 2)),
        ],
        outputs: [out(0, 1_200n, 'm1'), out(1, 1_200n, 'm2')],
      },
      knownNone,
      options,
    )!;
    expect(result.poolId).toBe(2);
    expect(result.sourceInput).toBe(1);
    expect(result.payouts.every((p) => p.poolId === 2)).toBe(true);
  });

  it('follows only pool funds still under the hop limit', () => {
    const result = classifyPoolSpend(
      {
        inputs: [input(1_000n, 'old', funds(3)), input(1_000n, 'cb', funds(2))],
        outputs: [out(0, 1_200n, 'm1'), out(1, 700n, 'm2')],
      },
      knownNone,
      options,
    )!;
    expect(result.hop).toBe(3);
    expect(result.sourceInput).toBe(1);
  });

  it('counts change to a brand-new address as a payout (a new miner address looks the same)', () => {
    const result = classifyPoolSpend(
      {
        inputs: [input(10_000n, 'cb', funds(0))],
        outputs: [out(0, 4_000n, 'm1'), out(1, 5_900n, 'new-change')],
      },
      knownNone,
      options,
    )!;
    expect(result.payouts.map((p) => p.address)).toEqual(['m1', 'new-change']);
  });
});
