import { describe, expect, it } from 'vitest';
import { blockSubsidy } from './block-subsidy.js';

describe('blockSubsidy', () => {
  it('follows the mainnet schedule (50, 25, 12.5, 6.25, 3.125 BTC)', () => {
    expect(blockSubsidy(0, 'main')).toBe(5_000_000_000n);
    expect(blockSubsidy(209_999, 'main')).toBe(5_000_000_000n);
    expect(blockSubsidy(210_000, 'main')).toBe(2_500_000_000n);
    expect(blockSubsidy(420_000, 'main')).toBe(1_250_000_000n);
    expect(blockSubsidy(630_000, 'main')).toBe(625_000_000n);
    expect(blockSubsidy(840_000, 'main')).toBe(312_500_000n);
  });

  it('halves every 150 blocks on regtest', () => {
    expect(blockSubsidy(149, 'regtest')).toBe(5_000_000_000n);
    expect(blockSubsidy(150, 'regtest')).toBe(2_500_000_000n);
    expect(blockSubsidy(300, 'regtest')).toBe(1_250_000_000n);
  });

  it('is zero after 64 halvings instead of wrapping', () => {
    expect(blockSubsidy(64 * 210_000, 'main')).toBe(0n);
    expect(blockSubsidy(33 * 210_000, 'main')).toBe(0n);
    expect(blockSubsidy(32 * 210_000, 'main')).toBe(1n);
  });
});
