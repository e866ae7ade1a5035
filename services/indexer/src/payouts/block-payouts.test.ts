import { describe, expect, it } from 'vitest';
import {
  type BlockPayoutsResult,
  detectBlockPayouts,
  type PayoutBlockTx,
  type PayoutDeps,
  type ResolvedPrevout,
} from './block-payouts.js';
import type { PoolFunds } from './payout.types.js';

const POOL = 4;
let counter = 0;
const newTxid = () => {
  counter++;
  const txid = Buffer.alloc(32);
  txid.writeUInt32BE(counter, 28);
  return txid;
};
type Out = PayoutBlockTx['outputs'][number];
const out = (n: number, value: bigint, address: string | null): Out => ({
  n,
  value,
  address,
  scriptType: address === null ? 'nulldata' : 'witness_v0_keyhash',
});
const coinbase = (outputs: Out[]): PayoutBlockTx => ({
  txid: newTxid(),
  isCoinbase: true,
  inputs: [{ prevTxid: Buffer.alloc(32), prevVout: 0xffffffff }],
  outputs,
});
const spend = (prevouts: Array<[Buffer, number]>, outputs: Out[]): PayoutBlockTx => ({
  txid: newTxid(),
  isCoinbase: false,
  inputs: prevouts.map(([prevTxid, prevVout]) => ({ prevTxid, prevVout })),
  outputs,
});
/** Outputs of earlier blocks: what the database would answer for prevouts. */
const store = () => {
  const rows = new Map<string, ResolvedPrevout>();
  return {
    add(value: bigint, address: string, poolFunds: PoolFunds | null): [Buffer, number] {
      const txid = newTxid();
      rows.set(`${txid.toString('hex')}:0`, { value, address, scriptType: 'witness_v0_keyhash', poolFunds });
      return [txid, 0];
    },
    deps(extra: Partial<PayoutDeps> = {}): PayoutDeps {
      return {
        prevout: (txid, vout) => rows.get(`${txid.toString('hex')}:${vout}`),
        poolKnown: () => false,
        ...extra,
      };
    },
  };
};
const payoutsOf = (result: BlockPayoutsResult) =>
  result.payouts.map((p) => [
    p.address,
    p.value,
    p.hop,
    p.payoutTxid.toString('hex'),
    p.sourceTxid.toString('hex'),
  ]);
const options = { maxHops: 3 };

describe('detectBlockPayouts', () => {
  it('follows coinbase → consolidation → batch payout within one block', () => {
    const db = store();
    const cbA = db.add(5_000_000_000n, 'pool-cb', { poolId: POOL, hop: 0 });
    const cbB = db.add(5_000_000_000n, 'pool-cb', { poolId: POOL, hop: 0 });
    const cb = coinbase([out(0, 5_000_000_000n, 'pool-cb'), out(1, 0n, null)]);
    const consolidation = spend([cbA, cbB], [out(0, 9_999_990_000n, 'hot')]);
    const batch = spend(
      [[consolidation.txid, 0]],
      [out(0, 3_000_000_000n, 'm1'), out(1, 2_000_000_000n, 'm2'), out(2, 4_999_980_000n, 'hot')],
    );
    const result = detectBlockPayouts({ poolId: POOL, txs: [cb, consolidation, batch] }, db.deps(), options);

    const hex = (txid: Buffer) => txid.toString('hex');
    expect(payoutsOf(result)).toEqual([
      ['m1', 3_000_000_000n, 2, hex(batch.txid), hex(consolidation.txid)],
      ['m2', 2_000_000_000n, 2, hex(batch.txid), hex(consolidation.txid)],
    ]);
    expect(result.poolOutputs.map((o) => [hex(o.txid), o.n, o.address, o.hop, o.reason])).toEqual([
      [hex(cb.txid), 0, 'pool-cb', 0, 'coinbase'],
      [hex(consolidation.txid), 0, 'hot', 1, 'sweep'],
      // Learned from the consolidation earlier in the same block.
      [hex(batch.txid), 2, 'hot', 2, 'known-address'],
    ]);
    expect(result.distributions).toEqual([
      {
        poolId: POOL,
        kind: 'spend',
        paid: [
          { address: 'm1', value: 3_000_000_000n },
          { address: 'm2', value: 2_000_000_000n },
          { address: 'hot', value: 4_999_980_000n },
        ],
      },
    ]);
  });

  it('resolves only the inputs of the transactions the caller says may spend pool funds', () => {
    const db = store();
    const cbA = db.add(5_000_000_000n, 'pool-cb', { poolId: POOL, hop: 0 });
    const cbB = db.add(5_000_000_000n, 'pool-cb', { poolId: POOL, hop: 0 });
    const elsewhere = db.add(70_000n, 'someone', null);
    const cb = coinbase([out(0, 5_000_000_000n, 'pool-cb'), out(1, 0n, null)]);
    const consolidation = spend([cbA, cbB], [out(0, 9_999_990_000n, 'hot')]);
    const unrelated = spend([elsewhere], [out(0, 60_000n, 'shop')]);
    const batch = spend(
      [[consolidation.txid, 0]],
      [out(0, 3_000_000_000n, 'm1'), out(1, 2_000_000_000n, 'm2'), out(2, 4_999_980_000n, 'hot')],
    );
    const txs = [cb, unrelated, consolidation, batch];
    const asked: string[] = [];
    const deps = db.deps();
    const counting: PayoutDeps = {
      ...deps,
      prevout: (txid, vout) => {
        asked.push(`${txid.toString('hex')}:${vout}`);
        return deps.prevout(txid, vout);
      },
    };

    const every = detectBlockPayouts({ poolId: POOL, txs }, counting, options);
    expect(asked).toContain(`${elsewhere[0].toString('hex')}:0`);
    asked.length = 0;
    const some = detectBlockPayouts({ poolId: POOL, txs, mayPayFromPoolFunds: [2, 3] }, counting, options);

    expect(payoutsOf(some)).toEqual(payoutsOf(every));
    expect(payoutsOf(some)).toHaveLength(2);
    expect(some.poolOutputs).toEqual(every.poolOutputs);
    expect(some.distributions).toEqual(every.distributions);
    // The unrelated transaction's prevout was never asked for; the consolidation's were.
    expect(asked).not.toContain(`${elsewhere[0].toString('hex')}:0`);
    expect(asked).toContain(`${cbA[0].toString('hex')}:0`);
  });

  it('learns a fixed change address from three batches of one block and applies it to all of them', () => {
    const db = store();
    const coins = [1, 2, 3].map(() => db.add(312_500_000n, 'pool-cb', { poolId: POOL, hop: 0 }));
    const batches = coins.map((coin, i) =>
      spend(coin === undefined ? [] : [coin], [
        out(0, 100_000_000n, `m${i}a`),
        out(1, 150_000_000n, `m${i}b`),
        out(2, 62_490_000n + BigInt(i), 'hot'),
      ]),
    );
    const result = detectBlockPayouts({ poolId: null, txs: batches }, db.deps(), options);
    expect(result.payouts.map((p) => p.address)).toEqual(['m0a', 'm0b', 'm1a', 'm1b', 'm2a', 'm2b']);
    expect(result.poolOutputs.map((o) => [o.address, o.value, o.hop, o.reason])).toEqual([
      ['hot', 62_490_000n, 1, 'recurring-address'],
      ['hot', 62_490_001n, 1, 'recurring-address'],
      ['hot', 62_490_002n, 1, 'recurring-address'],
    ]);
  });

  it('concludes nothing while a miner is paid in every batch beside the change address', () => {
    const db = store();
    const batches = [0, 1, 2].map((i) =>
      spend(
        [db.add(312_500_000n, 'pool-cb', { poolId: POOL, hop: 0 })],
        [out(0, 100_000_000n, 'loyal-miner'), out(1, 150_000_000n, `m${i}`), out(2, 62_490_000n, 'hot')],
      ),
    );
    const result = detectBlockPayouts({ poolId: null, txs: batches }, db.deps(), options);
    expect(result.payouts.filter((p) => p.address === 'hot')).toHaveLength(3);
    expect(result.poolOutputs).toEqual([]);
  });

  it('settles a tie with a miner that another pool has paid', () => {
    const db = store();
    const batches = [0, 1, 2].map((i) =>
      spend(
        [db.add(312_500_000n, 'pool-cb', { poolId: POOL, hop: 0 })],
        [
          out(0, 100_000_000n + BigInt(i) * 7_000_000n, 'loyal-miner'),
          out(1, 150_000_000n, `m${i}`),
          out(2, 62_490_000n - BigInt(i) * 7_000_000n, 'hot'),
        ],
      ),
    );
    const deps = db.deps({
      paidByOtherPool: (poolId, address) => poolId === POOL && address === 'loyal-miner',
    });
    const result = detectBlockPayouts({ poolId: null, txs: batches }, deps, options);
    expect(result.payouts.map((p) => p.address)).toEqual([
      'loyal-miner',
      'm0',
      'loyal-miner',
      'm1',
      'loyal-miner',
      'm2',
    ]);
    expect(result.poolOutputs.map((o) => o.reason)).toEqual([
      'recurring-address',
      'recurring-address',
      'recurring-address',
    ]);
  });

  it('uses earlier blocks’ distributions to learn an Ocean-style fee address', () => {
    const db = store();
    const paid = (...addresses: string[]) => addresses.map((address) => ({ address, value: 1_000n }));
    const earlier = [paid('fee', 'm1', 'm2', 'm3'), paid('m2', 'fee', 'm4', 'm5')];
    const cb = coinbase([
      out(0, 6_250_000n, 'fee'),
      out(1, 150_000_000n, 'm1'),
      out(2, 100_000_000n, 'm4'),
      out(3, 56_250_000n, 'm6'),
    ]);
    const deps = db.deps({
      recentDistributions: (poolId, kind) => (poolId === POOL && kind === 'coinbase' ? earlier : []),
    });
    const result = detectBlockPayouts({ poolId: POOL, txs: [cb] }, deps, options);
    expect(result.payouts.map((p) => [p.address, p.hop])).toEqual([
      ['m1', 0],
      ['m4', 0],
      ['m6', 0],
    ]);
    expect(result.poolOutputs.map((o) => [o.address, o.reason])).toEqual([['fee', 'recurring-address']]);
    expect(result.distributions.map((d) => [d.kind, d.paid.map((p) => p.address)])).toEqual([
      ['coinbase', ['fee', 'm1', 'm4', 'm6']],
    ]);

    // Without the earlier distributions the fee output is indistinguishable from a miner's.
    const alone = detectBlockPayouts({ poolId: POOL, txs: [cb] }, db.deps(), options);
    expect(alone.payouts.map((p) => p.address)).toEqual(['fee', 'm1', 'm4', 'm6']);
  });

  it('leaves out a CoinJoin-shaped transaction even when it spends pool funds', () => {
    const db = store();
    const pool = 1_000_000n;
    const inputs = [
      db.add(pool, 'p1', { poolId: POOL, hop: 0 }),
      db.add(pool, 'p2', null),
      db.add(pool + 5_000n, 'p3', null),
      db.add(pool + 5_000n, 'p4', null),
      db.add(pool + 5_000n, 'p5', null),
    ];
    const mix = spend(
      inputs,
      [0, 1, 2, 3, 4].map((i) => out(i, pool, `mixed${i}`)),
    );
    const result = detectBlockPayouts({ poolId: null, txs: [mix] }, db.deps(), options);
    expect(result.skippedCoinJoins).toEqual([mix.txid]);
    expect(result.payouts).toEqual([]);
  });

  it('attributes nothing in a block of unknown pool or to prevouts it cannot resolve', () => {
    const db = store();
    const cb = coinbase([out(0, 312_500_000n, 'someone'), out(1, 1n, 'other'), out(2, 1n, 'third')]);
    const unresolved = spend([[newTxid(), 3]], [out(0, 10n, 'a'), out(1, 20n, 'b')]);
    const result = detectBlockPayouts({ poolId: null, txs: [cb, unresolved] }, db.deps(), options);
    expect(result).toEqual({ payouts: [], poolOutputs: [], distributions: [], skippedCoinJoins: [] });
  });
});
