import { describe, expect, it } from 'vitest';
import { type PaidAddress, recurringAddress } from './recurring-address.js';

/** A distribution paying each address the given value (1 sat by default). */
const dist = (...entries: Array<string | [string, bigint]>): PaidAddress[] =>
  entries.map((entry) =>
    typeof entry === 'string' ? { address: entry, value: 1n } : { address: entry[0], value: entry[1] },
  );

describe('recurringAddress', () => {
  it('needs at least three distributions', () => {
    expect(recurringAddress([dist('hot', 'a'), dist('hot', 'b')])).toBeNull();
    expect(recurringAddress([dist('hot', 'a'), dist('hot', 'b'), dist('hot', 'c')])).toBe('hot');
  });

  it('concludes nothing while a second address recurs as well', () => {
    const three = [dist('hot', 'loyal', 'a'), dist('loyal', 'hot', 'b'), dist('c', 'hot', 'loyal')];
    expect(recurringAddress(three)).toBeNull();
    expect(recurringAddress([...three, dist('hot', 'd')])).toBe('hot');
  });

  it('concludes nothing when no address recurs', () => {
    expect(recurringAddress([dist('a', 'b'), dist('b', 'c'), dist('c', 'a')])).toBeNull();
  });

  it('drops candidates another pool has paid, which settles a tie and refuses a lone miner', () => {
    const tie = [dist('hot', 'loyal', 'a'), dist('loyal', 'hot', 'b'), dist('c', 'hot', 'loyal')];
    const paidElsewhere = (address: string) => address === 'loyal';
    expect(recurringAddress(tie, { excluded: paidElsewhere })).toBe('hot');
    const onlyMiner = [dist('loyal', 'a'), dist('loyal', 'b'), dist('loyal', 'c')];
    expect(recurringAddress(onlyMiner, { excluded: paidElsewhere })).toBeNull();
  });

  it('settles a tie by the one constant share: a fee taken as a fixed percentage', () => {
    // The fee is 2% of every coinbase; the loyal miner's share moves with its work.
    const coinbases = [
      dist(['fee', 2_000n], ['loyal', 30_000n], ['a', 68_000n]),
      dist(['fee', 4_000n], ['loyal', 100_000n], ['b', 96_000n]),
      dist(['fee', 1_000n], ['loyal', 9_000n], ['c', 40_000n]),
    ];
    expect(recurringAddress(coinbases)).toBe('fee');
    // Two steady shares: no way to tell which is the pool's.
    const steady = coinbases.map((d) => d.map((p) => (p.address === 'loyal' ? { ...p, value: p.value } : p)));
    steady[0]![1]!.value = 10_000n;
    steady[1]![1]!.value = 20_000n;
    steady[2]![1]!.value = 5_000n;
    expect(recurringAddress(steady)).toBeNull();
  });

  it('looks only at the most recent window, so a pool that moves its wallet is re-learned', () => {
    const old = Array.from({ length: 6 }, (_, i) => dist('old-hot', `m${i}`));
    const moved = Array.from({ length: 3 }, (_, i) => dist('new-hot', `n${i}`));
    expect(recurringAddress([...old, ...moved], { window: 3 })).toBe('new-hot');
    expect(recurringAddress([...old, ...moved], { window: 8 })).toBeNull();
  });
});
