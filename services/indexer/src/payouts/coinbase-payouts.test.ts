import { describe, expect, it } from 'vitest';
import { classifyCoinbase } from './coinbase-payouts.js';
import type { PayoutTxOutput, PoolKnown } from './payout.types.js';

const POOL = 7;
const knownOnly =
  (...addresses: string[]): PoolKnown =>
  (poolId, address) =>
    poolId === POOL && addresses.includes(address);
const out = (n: number, value: bigint, address: string | null): PayoutTxOutput => ({ n, value, address });
const commitment = (n: number) => out(n, 0n, null);

describe('classifyCoinbase', () => {
  it('keeps a custodial pool’s single reward output as pool funds, whether or not its address is known yet', () => {
    for (const known of [knownOnly('pool-a'), knownOnly()]) {
      const result = classifyCoinbase([out(0, 312_500_000n, 'pool-a'), commitment(1)], POOL, known);
      expect(result.paysMiners).toBe(false);
      expect(result.payouts).toEqual([]);
      expect(result.poolOutputs).toEqual([
        { poolId: POOL, n: 0, address: 'pool-a', value: 312_500_000n, hop: 0, reason: 'coinbase' },
      ]);
    }
  });

  it('pays each miner at hop 0 in an Ocean-style coinbase, keeping the pool’s known fee output', () => {
    const outputs = [
      out(0, 6_250_000n, 'ocean-fee'),
      out(1, 100_000_000n, 'miner-1'),
      out(2, 90_000_000n, 'miner-2'),
      out(3, 60_000_000n, 'miner-3'),
      out(4, 56_250_000n, 'miner-4'),
      commitment(5),
    ];
    const result = classifyCoinbase(outputs, POOL, knownOnly('ocean-fee'));
    expect(result.paysMiners).toBe(true);
    expect(result.payouts.map((p) => [p.n, p.address, p.value, p.hop])).toEqual([
      [1, 'miner-1', 100_000_000n, 0],
      [2, 'miner-2', 90_000_000n, 0],
      [3, 'miner-3', 60_000_000n, 0],
      [4, 'miner-4', 56_250_000n, 0],
    ]);
    expect(result.poolOutputs.map((o) => o.address)).toEqual(['ocean-fee']);
  });

  it('counts a not-yet-known fee output of a many-recipient coinbase as a payout too', () => {
    const outputs = [out(0, 1_000n, 'fee'), out(1, 2_000n, 'm1'), out(2, 3_000n, 'm2'), out(3, 4_000n, 'm3')];
    const result = classifyCoinbase(outputs, POOL, knownOnly());
    expect(result.payouts.map((p) => p.address)).toEqual(['fee', 'm1', 'm2', 'm3']);
    expect(result.poolOutputs).toEqual([]);
  });

  it('takes two unknown outputs for a pool splitting its reward between its own wallets', () => {
    const result = classifyCoinbase(
      [out(0, 200_000_000n, 'x'), out(1, 112_500_000n, 'y')],
      POOL,
      knownOnly(),
    );
    expect(result.paysMiners).toBe(false);
    expect(result.poolOutputs.map((o) => o.address)).toEqual(['x', 'y']);
  });

  it('pays the block finder of a solo service that keeps only a small fee at its known address', () => {
    const result = classifyCoinbase(
      [out(0, 311_000_000n, 'finder'), out(1, 1_500_000n, 'solo-fee')],
      POOL,
      knownOnly('solo-fee'),
    );
    expect(result.payouts).toEqual([{ poolId: POOL, n: 0, address: 'finder', value: 311_000_000n, hop: 0 }]);
    expect(result.poolOutputs.map((o) => o.address)).toEqual(['solo-fee']);
  });

  it('keeps an unknown minority output of a pool that keeps most of the reward at its known address', () => {
    const result = classifyCoinbase(
      [out(0, 300_000_000n, 'pool-a'), out(1, 12_500_000n, 'other')],
      POOL,
      knownOnly('pool-a'),
    );
    expect(result.payouts).toEqual([]);
    expect(result.poolOutputs.map((o) => o.address)).toEqual(['pool-a', 'other']);
  });

  it('counts distinct recipients, not outputs, against the threshold, and honours the option', () => {
    const twoRecipients = [out(0, 10n, 'a'), out(1, 10n, 'a'), out(2, 10n, 'b'), out(3, 10n, 'b')];
    expect(classifyCoinbase(twoRecipients, POOL, knownOnly()).paysMiners).toBe(false);
    expect(
      classifyCoinbase(twoRecipients, POOL, knownOnly(), { coinbaseMinRecipients: 2 }).payouts,
    ).toHaveLength(4);
  });
});
