import type { ScriptType } from '@minetrace/shared/chain';
import { describe, expect, it } from 'vitest';
import {
  type CoinJoinTx,
  type CoinJoinTxIo,
  isCoinJoinShaped,
  WASABI2_DENOMINATIONS,
} from './coinjoin-shape.js';

let addressCounter = 0;
/** A fresh, never reused address. */
const fresh = (): string => `bc1qfresh${++addressCounter}`;
const io = (
  value: bigint,
  address: string = fresh(),
  scriptType: ScriptType = 'witness_v0_keyhash',
): CoinJoinTxIo => ({
  value,
  address,
  scriptType,
});
const tx = (inputs: CoinJoinTxIo[], outputs: CoinJoinTxIo[]): CoinJoinTx => ({ inputs, outputs });
const times = <T>(n: number, make: (i: number) => T): T[] => Array.from({ length: n }, (_, i) => make(i));
const byValueDescending = (a: CoinJoinTxIo, b: CoinJoinTxIo) =>
  a.value < b.value ? 1 : a.value > b.value ? -1 : 0;

describe('isCoinJoinShaped: CoinJoin shapes', () => {
  it('recognises a Whirlpool 0.01 BTC mix: 2 remixes, 3 premixes carrying their fee share', () => {
    const pool = 1_000_000n;
    const mix = tx(
      [io(pool), io(pool), io(pool + 5_250n), io(pool + 6_100n), io(pool + 4_900n)],
      times(5, () => io(pool)),
    );
    expect(isCoinJoinShaped(mix)).toEqual({ kind: 'whirlpool' });
  });

  it('recognises an 8-participant Whirlpool 0.05 BTC mix', () => {
    const pool = 5_000_000n;
    const mix = tx(
      times(8, (i) => io(i < 3 ? pool : pool + 3_000n + BigInt(i))),
      times(8, () => io(pool)),
    );
    expect(isCoinJoinShaped(mix)?.kind).toBe('whirlpool');
  });

  it('recognises a Wasabi 2 round: sorted P2WPKH/P2TR inputs, mostly standard-denomination outputs', () => {
    // 60 participants' inputs of assorted sizes, mixed script types, sorted by value descending.
    const inputs = times(60, (i) =>
      io(
        3_000_000n + BigInt((i * 7_919) % 50) * 137_000n,
        fresh(),
        i % 3 === 0 ? 'witness_v1_taproot' : 'witness_v0_keyhash',
      ),
    ).sort(byValueDescending);
    // 70 outputs in WabiSabi denominations (1-2-5, powers of 2 and 3), plus 8 unique change amounts.
    const denominations = [4_782_969n, 2_000_000n, 1_594_323n, 1_048_576n, 1_000_000n, 524_288n, 500_000n];
    for (const d of denominations) expect(WASABI2_DENOMINATIONS.has(d)).toBe(true);
    const outputs = [
      ...times(70, (i) => io(denominations[i % denominations.length]!)),
      ...times(8, (i) => io(123_457n + BigInt(i) * 1_001n)),
    ].sort(byValueDescending);
    expect(isCoinJoinShaped(tx(inputs, outputs))).toEqual({ kind: 'wasabi2' });
  });

  it('recognises a Wasabi 1 round: 50 outputs of ≈0.1 BTC, changes and the coordinator fee', () => {
    const base = 9_978_231n;
    const inputs = times(65, (i) => io(10_200_000n + BigInt((i * 104_729) % 900_000)));
    const outputs = [
      ...times(50, () => io(base)),
      ...times(40, (i) => io(150_000n + BigInt(i) * 3_331n)),
      io(1_503_004n), // coordinator fee
    ];
    expect(isCoinJoinShaped(tx(inputs, outputs))).toEqual({ kind: 'wasabi1' });
  });

  it('recognises a JoinMarket CoinJoin: taker + 4 makers, 5 equal outputs, 4 changes (taker sweeps)', () => {
    const amount = 12_345_678n;
    const inputs = [
      io(12_400_000n),
      io(15_000_000n),
      io(9_000_000n),
      io(9_000_000n),
      io(20_000_000n),
      io(14_000_000n),
      io(16_800_000n),
    ];
    const outputs = [
      ...times(5, () => io(amount)),
      io(2_660_000n),
      io(5_655_000n),
      io(7_755_000n),
      io(4_455_000n),
    ];
    expect(isCoinJoinShaped(tx(inputs, outputs))).toEqual({ kind: 'joinmarket' });
  });

  it("falls back to BlockSci's rule for an equal-output mix with a second repeated value", () => {
    // 4 participants, 7 outputs: 4 equal, then changes of which two happen to be equal.
    const inputs = times(4, (i) => io(6_000_000n + BigInt(i) * 10_000n));
    const outputs = [...times(4, () => io(5_000_000n)), io(777_000n), io(777_000n), io(1_234_567n)];
    expect(isCoinJoinShaped(tx(inputs, outputs))).toEqual({ kind: 'blocksci' });
  });
});

describe('isCoinJoinShaped: near misses of each rule', () => {
  it('a 5 × 0.01 BTC batch from one wallet whose inputs are far larger than the pool is not Whirlpool', () => {
    const wallet = fresh();
    const batch = tx(
      times(5, () => io(3_000_000n, wallet)),
      times(5, () => io(1_000_000n)),
    );
    expect(isCoinJoinShaped(batch)).toBeNull();
  });

  it('equal outputs of a size that is no Whirlpool pool are not Whirlpool', () => {
    const mix = tx(
      times(5, () => io(2_000_000n)),
      times(5, () => io(2_000_000n)),
    );
    expect(isCoinJoinShaped(mix)?.kind).not.toBe('whirlpool');
  });

  it('a Whirlpool-sized mix with a legacy input is not Whirlpool', () => {
    const pool = 1_000_000n;
    const mix = tx(
      [io(pool), io(pool, fresh(), 'pubkeyhash'), io(pool + 5_000n), io(pool + 5_000n), io(pool + 5_000n)],
      times(5, () => io(pool)),
    );
    expect(isCoinJoinShaped(mix)).toBeNull();
  });

  it('an equal-output shape where one input exceeds the equal amount plus any change is not JoinMarket', () => {
    const amount = 12_345_678n;
    const inputs = times(6, (i) => io(i === 0 ? 90_000_000n : 13_000_000n));
    const outputs = [...times(3, () => io(amount)), io(600_000n), io(650_000n), io(700_000n)];
    expect(isCoinJoinShaped(tx(inputs, outputs))?.kind).not.toBe('joinmarket');
  });

  it("BlockSci's rule ignores dust-valued equal outputs (546 sats)", () => {
    const inputs = times(4, (i) => io(6_000_000n + BigInt(i) * 10_000n));
    const outputs = [...times(4, () => io(546n)), io(777_000n), io(777_000n), io(1_234_567n)];
    expect(isCoinJoinShaped(tx(inputs, outputs))).toBeNull();
  });
});

describe('isCoinJoinShaped: look-alikes whose inputs must still merge', () => {
  it('a batch payout with several equal outputs but one input', () => {
    const batch = tx([io(90_000_000n)], [...times(10, () => io(2_500_000n)), io(64_990_000n)]);
    expect(isCoinJoinShaped(batch)).toBeNull();
  });

  it('a 2-input transaction with 2 equal outputs', () => {
    const payment = tx([io(3_000_000n), io(1_500_000n)], [io(2_000_000n), io(2_000_000n)]);
    expect(isCoinJoinShaped(payment)).toBeNull();
  });

  it('a consolidation of 40 sorted P2WPKH inputs into one round amount', () => {
    const inputs = times(40, (i) => io(1_000_000n - BigInt(i) * 1_000n)).sort(byValueDescending);
    // 0.2 BTC is a WabiSabi standard denomination: the trap for the Wasabi 2 rule.
    expect(WASABI2_DENOMINATIONS.has(20_000_000n)).toBe(true);
    expect(isCoinJoinShaped(tx(inputs, [io(20_000_000n)]))).toBeNull();
  });

  it('a consolidation into a few standard-denomination outputs with 25 sorted inputs', () => {
    const inputs = times(25, (i) => io(5_000_000n - BigInt(i) * 10_000n)).sort(byValueDescending);
    const outputs = [io(50_000_000n), io(20_000_000n), io(10_000_000n), io(1_000_000n)];
    expect(isCoinJoinShaped(tx(inputs, outputs))).toBeNull();
  });

  it('an exchange withdrawal batch with a few equal amounts among varied ones', () => {
    const hot = [fresh(), fresh()];
    const inputs = [io(150_000_000n, hot[0]), io(40_000_000n, hot[1]), io(25_000_000n, hot[0])];
    const outputs = [
      ...times(3, () => io(1_000_000n)),
      io(500_000n),
      io(500_000n),
      io(3_210_000n),
      io(7_777_777n),
      io(12_000_000n),
      io(254_310n),
      io(98_765n),
      io(45_000_000n),
      io(1_350_000n),
      io(2_200_000n),
      io(610_000n),
      io(137_400_000n), // change
    ];
    expect(isCoinJoinShaped(tx(inputs, outputs))).toBeNull();
  });

  it('an exchange batch paying 3 equal amounts and 3 others from 4 inputs of its 2 hot addresses', () => {
    const hot = [fresh(), fresh()];
    const inputs = [
      io(500_000_000n, hot[0]),
      io(1_000_000n, hot[1]),
      io(2_000_000n, hot[0]),
      io(900_000n, hot[1]),
    ];
    const outputs = [...times(3, () => io(1_000_000n)), io(4_400_000n), io(9_100_000n), io(487_000_000n)];
    expect(isCoinJoinShaped(tx(inputs, outputs))).toBeNull();
  });

  it('a payroll batch of 12 × 0.1 BTC from 12 inputs of one address', () => {
    const wallet = fresh();
    const inputs = times(12, () => io(11_000_000n, wallet));
    const outputs = [...times(12, () => io(10_000_000n)), io(11_990_000n)];
    expect(isCoinJoinShaped(tx(inputs, outputs))).toBeNull();
  });

  it('an ordinary payment with change', () => {
    expect(isCoinJoinShaped(tx([io(5_000_000n), io(2_000_000n)], [io(6_000_000n), io(990_000n)]))).toBeNull();
  });
});
