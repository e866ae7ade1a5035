import { type BlockRows, decodeBlock } from '@minetrace/shared/chain';
import { identifyPool, loadPools } from '@minetrace/shared/pools';
import { beforeAll, describe, expect, it } from 'vitest';
import type { DevnetChain } from '../chain/chain.types.js';
import { createDevnetChain } from '../chain/index.js';
import { type GroundTruth, groundTruthToJson } from './ground-truth.types.js';
import { runScenario } from './scenario-runner.js';

let chain: DevnetChain;
let truth: GroundTruth;
let buildMs: number;
/** Every active block decoded by the project's own decoder, by height. */
const decoded = new Map<number, BlockRows>();

beforeAll(() => {
  chain = createDevnetChain();
  const started = performance.now();
  truth = runScenario('demo', chain, { seed: 'test-seed' });
  buildMs = performance.now() - started;
  for (let h = 0; h <= chain.tipHeight(); h++) {
    decoded.set(h, decodeBlock(chain.getBlock(chain.hashAtHeight(h)!)!.raw, 'regtest'));
  }
});

const txOf = (height: number, txid: string) => {
  const tx = decoded.get(height)!.txs.find((t) => t.txid.toString('hex') === txid);
  if (!tx) throw new Error(`tx ${txid} not in block ${height}`);
  return tx;
};

/** Finds a confirmed tx anywhere on the active chain. */
const findTx = (txid: string) => {
  for (const [height, block] of decoded) {
    const tx = block.txs.find((t) => t.txid.toString('hex') === txid);
    if (tx) return { height, tx };
  }
  throw new Error(`tx ${txid} not on the active chain`);
};

describe('demo scenario', () => {
  it('builds in a few seconds', () => {
    expect(buildMs).toBeLessThan(8000);
    expect(truth.tip.height).toBeGreaterThanOrEqual(400);
  });

  it('is deterministic: the same seed gives the same chain and ground truth, another seed does not', () => {
    const again = createDevnetChain();
    expect(groundTruthToJson(runScenario('demo', again, { seed: 'test-seed' }))).toBe(
      groundTruthToJson(truth),
    );
    expect(again.tipHash()).toBe(chain.tipHash());
    const other = createDevnetChain();
    runScenario('demo', other, { seed: 'another-seed' });
    expect(other.tipHash()).not.toBe(chain.tipHash());
  });

  it('lists every active block, and the dataset attributes each to the pool the ground truth names', () => {
    const pools = loadPools();
    expect(truth.blocks.map((b) => b.height)).toEqual([...Array(truth.tip.height + 1).keys()]);
    for (const block of truth.blocks) {
      const rows = decoded.get(block.height)!;
      expect(rows.header.hash.toString('hex')).toBe(block.hash);
      if (block.height === 0) continue;
      const coinbase = rows.txs[0]!;
      const match = identifyPool(
        { tag: rows.coinbase.tag, addresses: coinbase.outputs.map((o) => o.address) },
        pools,
      );
      expect(match.pool?.slug ?? null).toBe(block.pool);
      expect(rows.coinbase.height).toBe(block.height);
    }
    const perPool = new Set(truth.blocks.map((b) => b.pool));
    expect(perPool).toEqual(new Set([null, 'foundry-usa', 'antpool', 'f2pool', 'viabtc', 'ocean']));
  });

  it('spreads blocks an hour apart over more than two weeks', () => {
    const first = decoded.get(1)!.header.time;
    const last = decoded.get(truth.tip.height)!.header.time;
    expect(new Date(first * 1000).toISOString().slice(0, 10)).toBe('2024-03-01');
    expect(last - first).toBeGreaterThan(14 * 86400);
  });

  it('pays each recorded payout on chain: recipient, value, source and hop agree with the blocks', () => {
    const owner = new Map<string, string>();
    for (const e of truth.entities) for (const a of e.addresses) owner.set(a, e.name);
    const isCoinbase = (txid: string) => findTx(txid).tx.isCoinbase;
    expect(truth.payouts.length).toBeGreaterThan(500);
    for (const p of truth.payouts) {
      const tx = txOf(p.height, p.payoutTxid);
      const out = tx.outputs[p.vout]!;
      expect(out.address).toBe(p.recipient);
      expect(out.value.toString()).toBe(p.value);
      expect(owner.get(p.recipient)).toBe(p.entity);
      expect(p.entity).not.toBe(p.pool);
      if (p.hop === 0) {
        expect(tx.isCoinbase).toBe(true);
        expect(p.sourceTxid).toBe(p.payoutTxid);
        continue;
      }
      // The payout spends a pool-owned output of its source.
      const spent = tx.inputs.filter((i) => i.prevTxid.toString('hex') === p.sourceTxid);
      expect(spent).toHaveLength(1);
      const source = findTx(p.sourceTxid).tx;
      expect(owner.get(source.outputs[spent[0]!.prevVout]!.address!)).toBe(p.pool);
      if (p.hop === 1) expect(source.isCoinbase).toBe(true);
      if (p.hop === 2) {
        expect(source.isCoinbase).toBe(false);
        expect(source.inputs.some((i) => isCoinbase(i.prevTxid.toString('hex')))).toBe(true);
      }
    }
    const hops = new Set(truth.payouts.map((p) => `${p.pool}:${p.hop}`));
    expect(hops).toEqual(new Set(['ocean:0', 'antpool:1', 'viabtc:1', 'foundry-usa:2', 'f2pool:2']));
  });

  it('sums income per entity, pool and day to exactly the payouts', () => {
    const expected = new Map<string, { value: bigint; count: number }>();
    for (const p of truth.payouts) {
      const day = new Date(decoded.get(p.height)!.header.time * 1000).toISOString().slice(0, 10);
      const key = `${p.entity}|${p.pool}|${day}`;
      const bucket = expected.get(key) ?? { value: 0n, count: 0 };
      bucket.value += BigInt(p.value);
      bucket.count += 1;
      expected.set(key, bucket);
    }
    expect(truth.income).toHaveLength(expected.size);
    for (const i of truth.income) {
      expect(expected.get(`${i.entity}|${i.pool}|${i.day}`)).toEqual({
        value: BigInt(i.value),
        count: i.payoutCount,
      });
    }
    const suspectPools = new Set(truth.income.filter((i) => i.entity === 'suspect').map((i) => i.pool));
    expect(suspectPools).toEqual(new Set(['foundry-usa', 'antpool']));
  });

  it('gives every address to one entity, and the suspect addresses of every script type', () => {
    const seen = new Set<string>();
    for (const e of truth.entities) {
      for (const a of e.addresses) {
        expect(seen.has(a)).toBe(false);
        seen.add(a);
      }
    }
    const suspect = truth.entities.find((e) => e.name === 'suspect')!;
    const types = new Set<string>();
    for (const [, block] of decoded) {
      for (const tx of block.txs) {
        for (const o of tx.outputs)
          if (o.address && suspect.addresses.includes(o.address)) types.add(o.scriptType);
      }
    }
    expect(types).toEqual(
      new Set([
        'witness_v0_keyhash',
        'witness_v1_taproot',
        'pubkeyhash',
        'scripthash',
        'witness_v0_scripthash',
      ]),
    );
  });

  it('follows the suspect through consolidation, CoinJoin and a peel chain into exchange sweeps', () => {
    const flow = truth.suspectFlow!;
    const owner = new Map<string, string>();
    for (const e of truth.entities) for (const a of e.addresses) owner.set(a, e.name);
    const addressOf = (txid: string, vout: number) => findTx(txid).tx.outputs[vout]!.address!;

    const consolidation = findTx(flow.consolidationTxid).tx;
    expect(consolidation.inputs.length).toBeGreaterThan(5);
    for (const i of consolidation.inputs)
      expect(owner.get(addressOf(i.prevTxid.toString('hex'), i.prevVout))).toBe('suspect');

    const coinjoin = findTx(flow.coinjoinTxid).tx;
    const equal = coinjoin.outputs.filter((o) => o.value.toString() === flow.coinjoinDenomination);
    expect(equal).toHaveLength(5);
    expect(coinjoin.inputs).toHaveLength(5);
    expect(coinjoin.inputs.some((i) => i.prevTxid.toString('hex') === flow.consolidationTxid)).toBe(true);
    expect(equal.map((o) => o.address)).toContain(flow.coinjoinOutputAddress);

    let previous = flow.coinjoinTxid;
    flow.peelTxids.forEach((txid, hop) => {
      const peel = findTx(txid).tx;
      expect(peel.inputs.map((i) => i.prevTxid.toString('hex'))).toEqual([previous]);
      expect(owner.get(peel.outputs[0]!.address!)).toBe('exchange');
      expect(peel.outputs[0]!.address).toBe(flow.depositAddresses[hop]);
      previous = txid;
    });
    expect(flow.peelTxids.length).toBeGreaterThanOrEqual(5);
    expect(flow.sweepTxids.length).toBeGreaterThan(0);
    for (const txid of flow.sweepTxids) expect(findTx(txid).tx.inputs.length).toBeGreaterThan(1);
  });

  it('tags the sanctioned suspect address and the whole exchange wallet', () => {
    const flow = truth.suspectFlow!;
    const exchange = truth.entities.find((e) => e.name === 'exchange')!;
    const sanctioned = truth.tags.filter((t) => t.category === 'sanctioned');
    expect(sanctioned.map((t) => t.address)).toEqual([flow.sanctionedAddress]);
    expect(flow.payoutAddresses).toContain(flow.sanctionedAddress);
    const exchangeTagged = truth.tags.filter((t) => t.category === 'exchange').map((t) => t.address);
    expect(new Set(exchangeTagged)).toEqual(new Set(exchange.addresses));
    for (const deposit of flow.depositAddresses) expect(exchangeTagged).toContain(deposit);
    // The sanctioned address funded the consolidation: its coins are among the consolidation's inputs.
    const consolidation = findTx(flow.consolidationTxid).tx;
    const spentFrom = consolidation.inputs.map(
      (i) => findTx(i.prevTxid.toString('hex')).tx.outputs[i.prevVout]!.address,
    );
    expect(spentFrom).toContain(flow.sanctionedAddress);
  });

  it('records trace figures that follow from the built transactions', () => {
    const flow = truth.suspectFlow!;
    const { trace } = flow;
    const value = (txid: string, vout: number) => findTx(txid).tx.outputs[vout]!.value;
    const suspectPayouts = truth.payouts.filter((p) => p.entity === 'suspect');
    const source = suspectPayouts.reduce((sum, p) => sum + BigInt(p.value), 0n);
    expect(BigInt(trace.sourceValue)).toBe(source);
    expect(new Set(trace.from.addresses)).toEqual(new Set(suspectPayouts.map((p) => p.recipient)));
    expect(trace.maxHops).toBe(2 + flow.peelTxids.length);

    // The peel chain starts from one CoinJoin output of the denomination D and pays 500 sats per hop.
    const D = BigInt(flow.coinjoinDenomination);
    const deposits = flow.peelTxids.map((txid) => value(txid, 0));
    const depositTotal = deposits.reduce((a, b) => a + b, 0n);
    expect(depositTotal).toBe(D - 500n * BigInt(flow.peelTxids.length));

    // FIFO and LIFO carry the whole suspect output to the deposits, and poison marks all of it; the
    // participants bring as much as the suspect, so the haircut (and poison's conserved flow) carries
    // half; TIHO puts the suspect's sats into its change.
    expect(BigInt(trace.poisoned.reachedValue)).toBe(depositTotal);
    expect(trace.byPolicy.poison).toEqual(trace.byPolicy.haircut);
    expect(BigInt(trace.byPolicy.fifo.reachedValue)).toBe(depositTotal);
    expect(BigInt(trace.byPolicy.lifo.reachedValue)).toBe(depositTotal);
    expect(BigInt(trace.byPolicy.haircut.reachedValue) * 2n).toBe(depositTotal);
    expect(trace.byPolicy.tiho.reachedValue).toBe('0');

    // Fees: the consolidation's in every policy; 5 × 2,000 CoinJoin and 500 per peel in full (poison),
    // halved (haircut), only the peels (FIFO/LIFO), none of them (TIHO).
    const consolidation = findTx(flow.consolidationTxid).tx;
    const consolidated = consolidation.inputs.reduce(
      (sum, i) => sum + value(i.prevTxid.toString('hex'), i.prevVout),
      0n,
    );
    const S = consolidation.outputs[0]!.value;
    const feeC = consolidated - S;
    const peelFees = 500n * BigInt(flow.peelTxids.length);
    expect(BigInt(trace.poisoned.feeValue)).toBe(feeC + 10_000n + peelFees);
    expect(BigInt(trace.byPolicy.haircut.feeValue)).toBe(feeC + 5_000n + peelFees / 2n);
    expect(BigInt(trace.byPolicy.fifo.feeValue)).toBe(feeC + peelFees);
    expect(BigInt(trace.byPolicy.tiho.feeValue)).toBe(feeC);
    for (const policy of ['poison', 'haircut', 'fifo', 'lifo', 'tiho'] as const) {
      const f = trace.byPolicy[policy];
      const total =
        BigInt(f.reachedValue) + BigInt(f.unspentValue) + BigInt(f.feeValue) + BigInt(f.cutOffValue);
      expect(total).toBe(source);
    }

    // Screening: each deposit owes half of itself to the consolidation, whose output owes A / I to the
    // sanctioned address: share A / 2I, the first deposit three transactions away.
    const fromSanctioned = consolidation.inputs
      .filter(
        (i) => findTx(i.prevTxid.toString('hex')).tx.outputs[i.prevVout]!.address === flow.sanctionedAddress,
      )
      .reduce((sum, i) => sum + value(i.prevTxid.toString('hex'), i.prevVout), 0n);
    expect(flow.exposure.map((e) => e.address)).toEqual(flow.depositAddresses);
    flow.exposure.forEach((e, i) => {
      expect(e.hops).toBe(3 + i);
      expect(BigInt(e.receivedValue)).toBe(deposits[i]);
      expect(BigInt(e.share.numerator) * 2n * consolidated).toBe(
        fromSanctioned * BigInt(e.share.denominator),
      );
      expect(BigInt(e.value.numerator) * 2n * consolidated).toBe(
        deposits[i]! * fromSanctioned * BigInt(e.value.denominator),
      );
      expect(e.path).toEqual([
        ...flow.peelTxids.slice(0, i + 1).reverse(),
        flow.coinjoinTxid,
        flow.consolidationTxid,
      ]);
    });
  });

  it('describes the final chain after a two-block reorg', () => {
    expect(truth.reorg).toMatchObject({ depth: 2, newTip: chain.tipHash() });
    expect(chain.getBlock(truth.reorg!.oldTip)!.active).toBe(false);
    expect(truth.tip).toEqual({ height: chain.tipHeight(), hash: chain.tipHash() });
    expect(chain.mempoolTxids()).toEqual([]);
  });
});
