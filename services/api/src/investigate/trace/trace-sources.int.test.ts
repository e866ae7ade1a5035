import type { GroundTruth, GroundTruthPayout } from '@minetrace/devnet';
import type { TxRow } from '@minetrace/shared/chain';
import { createTestDatabase, type TestDatabase } from '@minetrace/shared/db/testing';
import { loadPools } from '@minetrace/shared/pools';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { indexDemoChain, suspectTraceSummary } from '../../testing/index.js';
import type { TraceDirection, TracePolicy, TraceRequest, TraceResult } from '../trace.types.js';
import { runTrace, TraceInputError } from './run-trace.js';

const pools = loadPools();
const POLICIES: TracePolicy[] = ['poison', 'haircut', 'fifo', 'lifo', 'tiho'];
const DIRECTIONS: TraceDirection[] = ['forward', 'backward'];

const sum = (values: readonly bigint[]) => values.reduce((a, b) => a + b, 0n);
const payoutKey = (p: { payoutTxid: string; vout: number }) => `${p.payoutTxid}:${p.vout}`;
const conserved = (result: TraceResult) => {
  const s = result.summary;
  expect(s.reachedValue + s.unspentValue + s.feeValue + s.cutOffValue).toBe(s.sourceValue);
};

/**
 * The two trace sources that need more than an address: every payout of a pool (`from.payoutsOfPool`)
 * and the time window (`fromTime`/`toTime`), on the demo scenario indexed from its blocks. Expected
 * figures come from the scenario's ground truth and the blocks it built (payouts with their values and
 * heights, block times, the suspect's transactions), never from a trace engine.
 */
describe('trace sources: pool payouts and the time window (postgres)', () => {
  let test: TestDatabase;
  let truth: GroundTruth;
  /** Header time of every active block, by height, as the devnet stamped it. */
  const blockTime = new Map<number, number>();
  /** Every active transaction as built, with the time of the block that confirmed it. */
  const txs = new Map<string, TxRow & { time: number }>();
  /**
   * The pools whose payouts the index holds exactly as the ground truth has them (by output and value).
   * Payout recovery is a heuristic (docs/heuristics.md): e.g. OCEAN's coinbase fee output is recorded as
   * a payout in blocks mined before the index knows that address. A trace starts from the index's
   * payouts, so figures worked out from the ground truth are compared on these pools only.
   */
  let exactPools: string[] = [];

  beforeAll(async () => {
    test = await createTestDatabase('postgres');
    truth = await indexDemoChain(test.db, {
      onBlock: (block, rows) => {
        blockTime.set(block.height, block.time);
        for (const tx of rows.txs) txs.set(tx.txid.toString('hex'), { ...tx, time: block.time });
      },
    });
    const indexed = await sql<{ slug: string; txid: Buffer; n: number; value: bigint }>`
      SELECT s.slug, t.txid, p.n, p.value FROM payouts p
      JOIN pools s ON s.id = p.pool_id JOIN txs t ON t.id = p.payout_tx_id`.execute(test.db);
    const outputsOf = (rows: Array<{ pool: string; key: string }>, slug: string) =>
      rows
        .filter((r) => r.pool === slug)
        .map((r) => r.key)
        .sort();
    const fromIndex = indexed.rows.map((r) => ({
      pool: r.slug,
      key: `${r.txid.toString('hex')}:${r.n}:${r.value}`,
    }));
    const fromTruth = truth.payouts.map((p) => ({ pool: p.pool, key: `${payoutKey(p)}:${p.value}` }));
    exactPools = truth.pools
      .map((p) => p.slug)
      .filter((slug) => {
        const [a, b] = [outputsOf(fromIndex, slug), outputsOf(fromTruth, slug)];
        return a.length === b.length && a.every((key, i) => key === b[i]);
      });
    // Four of the demo's five pools: all but OCEAN (see above).
    expect(exactPools.length).toBeGreaterThanOrEqual(4);
  }, 240_000);
  afterAll(async () => {
    await test?.close();
  });

  const timeOf = (p: GroundTruthPayout) => blockTime.get(p.height)!;
  const txTime = (txid: string) => txs.get(txid)!.time;
  const payoutsOf = (slug: string) => truth.payouts.filter((p) => p.pool === slug);
  const within = (time: number, from?: number, to?: number) =>
    (from === undefined || time >= from) && (to === undefined || time < to);
  const payoutSum = (payouts: readonly GroundTruthPayout[], from?: number, to?: number) =>
    sum(payouts.filter((p) => within(timeOf(p), from, to)).map((p) => BigInt(p.value)));
  /** The distinct times of a pool's payout blocks, in order. */
  const payoutTimes = (slug: string) => [...new Set(payoutsOf(slug).map(timeOf))].sort((a, b) => a - b);

  const trace = (overrides: Partial<TraceRequest>) =>
    runTrace(test.db, {
      from: {},
      direction: 'forward',
      policy: 'haircut',
      maxHops: 1,
      minValue: 0n,
      maxNodes: 10_000,
      stopAt: [],
      ...overrides,
    });

  /**
   * Every walked transaction, and every edge (its time is the walked transaction's), lies in [from, to).
   * Address nodes may not: backward, the address that funded a walked tx was paid before it.
   */
  const drawnWithin = (result: TraceResult, from?: number, to?: number) => {
    for (const node of result.nodes.filter((n) => n.kind === 'tx')) {
      expect(within(node.time!, from, to), `${node.id} at ${node.time}`).toBe(true);
    }
    for (const e of result.edges) expect(within(e.time!, from, to), `${e.from} -> ${e.to}`).toBe(true);
  };

  describe('from.payoutsOfPool', () => {
    it('starts from every payout the pool made, each recipient at hop 0', async () => {
      for (const slug of exactPools) {
        const payouts = payoutsOf(slug);
        expect(payouts.length, slug).toBeGreaterThan(0);
        const result = await trace({ from: { payoutsOfPool: slug } });
        expect(result.summary.sourceValue, slug).toBe(payoutSum(payouts));
        const recipients = new Set(
          payouts.filter((p) => p.value !== '0').map((p) => `address:${p.recipient}`),
        );
        expect(new Set(result.nodes.filter((n) => n.hop === 0).map((n) => n.id)), slug).toEqual(recipients);
        conserved(result);
      }
    });

    it('walks back from payouts paid from a coinbase to the coinbase that mined them, under every policy', async () => {
      // Payouts at hop 0 are coinbase outputs; at hop 1 the payout tx spent one coinbase output and
      // nothing else. Backward, every satoshi reaches its coinbase after hop + 1 transactions and is
      // booked as unspent (its origin); one transaction fewer and it is cut off.
      const direct = exactPools.filter((slug) => payoutsOf(slug).every((p) => p.hop <= 1));
      expect(direct.length).toBeGreaterThanOrEqual(2);
      for (const slug of direct) {
        for (const p of payoutsOf(slug)) {
          expect(txs.get(p.sourceTxid)?.isCoinbase, payoutKey(p)).toBe(true);
          if (p.hop === 1) expect(txs.get(p.payoutTxid)!.inputs, payoutKey(p)).toHaveLength(1);
        }
        const total = payoutSum(payoutsOf(slug));
        const hop = Math.max(...payoutsOf(slug).map((p) => p.hop));
        for (const policy of POLICIES) {
          const back = (maxHops: number) =>
            trace({ from: { payoutsOfPool: slug }, direction: 'backward', policy, maxHops });
          const origin = await back(hop + 1);
          expect(origin.summary, `${slug} ${policy}`).toMatchObject({
            sourceValue: total,
            unspentValue: total,
            cutOffValue: 0n,
            reachedValue: 0n,
            feeValue: 0n,
          });
          if (hop > 0) {
            const short = await back(hop);
            expect(short.summary, `${slug} ${policy}`).toMatchObject({
              unspentValue: 0n,
              cutOffValue: total,
            });
          }
        }
      }
    });

    it('counts a payout named twice once: with the recipients’ addresses or the outpoints', async () => {
      const flow = truth.suspectFlow!;
      const suspect = new Set(flow.payoutAddresses);
      for (const slug of exactPools) {
        // The suspect's payout addresses received nothing but payouts (ground truth), from two pools.
        const union = truth.payouts.filter((p) => p.pool === slug || suspect.has(p.recipient));
        const withAddresses = await trace({ from: { payoutsOfPool: slug, addresses: flow.payoutAddresses } });
        expect(withAddresses.summary.sourceValue, slug).toBe(payoutSum(union));
        conserved(withAddresses);
        const named = payoutsOf(slug)
          .slice(0, 7)
          .map((p) => ({ txid: p.payoutTxid, n: p.vout }));
        const withOutpoints = await trace({ from: { payoutsOfPool: slug, outpoints: named } });
        expect(withOutpoints.summary.sourceValue, slug).toBe(payoutSum(payoutsOf(slug)));
      }
      const suspectPools = new Set(truth.payouts.filter((p) => suspect.has(p.recipient)).map((p) => p.pool));
      expect(suspectPools.size).toBeGreaterThanOrEqual(2);
    });

    it('gives an empty result for a known pool that paid nothing, and refuses an unknown pool', async () => {
      const idle = [...pools.bySlug.keys()].find((slug) => !truth.payouts.some((p) => p.pool === slug))!;
      const result = await trace({ from: { payoutsOfPool: idle } });
      expect(result).toMatchObject({
        nodes: [],
        edges: [],
        truncated: false,
        summary: { sourceValue: 0n, unspentValue: 0n, cutOffValue: 0n, byCluster: [], byCategory: [] },
      });
      await expect(trace({ from: { payoutsOfPool: 'no-such-pool' } })).rejects.toThrow(TraceInputError);
      await expect(trace({ from: { payoutsOfPool: 'no-such-pool' } })).rejects.toThrow(
        'unknown pool "no-such-pool"',
      );
      // Named with other sources, an unknown pool is still refused rather than ignored.
      await expect(
        trace({ from: { payoutsOfPool: 'no-such-pool', addresses: truth.suspectFlow!.payoutAddresses } }),
      ).rejects.toThrow(/unknown pool/);
    });
  });

  describe('the time window', () => {
    /** A window from one payout block of the pool (inclusive) to a later one (exclusive). */
    const windowOf = (slug: string) => {
      const times = payoutTimes(slug);
      expect(times.length, slug).toBeGreaterThanOrEqual(4);
      const fromTime = times[1]!;
      const toTime = times[times.length - 2]!;
      const inside = payoutSum(payoutsOf(slug), fromTime, toTime);
      // Some payouts are inside, some before, some at toTime or after: both bounds matter.
      expect(inside, slug).toBeGreaterThan(0n);
      expect(payoutSum(payoutsOf(slug), undefined, fromTime), slug).toBeGreaterThan(0n);
      expect(payoutSum(payoutsOf(slug), toTime), slug).toBeGreaterThan(0n);
      return { fromTime, toTime, inside };
    };

    for (const direction of DIRECTIONS) {
      for (const policy of POLICIES) {
        it(`${direction} ${policy}: starts from the payouts in [fromTime, toTime) only, walks only inside it, and accounts for every satoshi`, async () => {
          for (const slug of exactPools) {
            const { fromTime, toTime, inside } = windowOf(slug);
            const result = await trace({
              from: { payoutsOfPool: slug },
              direction,
              policy,
              maxHops: 4,
              fromTime,
              toTime,
            });
            expect(result.summary.sourceValue, slug).toBe(inside);
            expect(result.truncated).toBe(false);
            conserved(result);
            drawnWithin(result, fromTime, toTime);
            // One bound at a time.
            const after = await trace({ from: { payoutsOfPool: slug }, direction, policy, fromTime });
            expect(after.summary.sourceValue, slug).toBe(payoutSum(payoutsOf(slug), fromTime));
            conserved(after);
            const before = await trace({ from: { payoutsOfPool: slug }, direction, policy, toTime });
            expect(before.summary.sourceValue, slug).toBe(payoutSum(payoutsOf(slug), undefined, toTime));
            conserved(before);
          }
        });
      }
    }

    it('windows every source kind named together, without counting a payout twice', async () => {
      const flow = truth.suspectFlow!;
      const suspect = new Set(flow.payoutAddresses);
      const slug = 'antpool';
      expect(exactPools).toContain(slug);
      const { fromTime, toTime } = windowOf(slug);
      const union = truth.payouts.filter((p) => p.pool === slug || suspect.has(p.recipient));
      const named = payoutsOf(slug).map((p) => ({ txid: p.payoutTxid, n: p.vout }));
      const result = await trace({
        from: { payoutsOfPool: slug, addresses: flow.payoutAddresses, outpoints: named },
        fromTime,
        toTime,
      });
      expect(result.summary.sourceValue).toBe(payoutSum(union, fromTime, toTime));
      conserved(result);
    });

    it('backward, cuts off the walk at a coinbase mined before fromTime and books the others as their origin', async () => {
      // The pools that pay straight from a coinbase output (AntPool and ViaBTC).
      const direct = exactPools.filter((slug) => payoutsOf(slug).every((p) => p.hop === 1));
      expect(direct.length).toBeGreaterThanOrEqual(2);
      for (const slug of direct) {
        const payouts = payoutsOf(slug);
        expect(payouts.every((p) => txs.get(p.sourceTxid)?.isCoinbase)).toBe(true);
        const times = payoutTimes(slug);
        const fromTime = times[Math.floor(times.length / 2)]!;
        const sources = payouts.filter((p) => timeOf(p) >= fromTime);
        const mined = (inWindow: boolean) =>
          sum(
            sources.filter((p) => txTime(p.sourceTxid) >= fromTime === inWindow).map((p) => BigInt(p.value)),
          );
        expect(mined(true), slug).toBeGreaterThan(0n);
        expect(mined(false), slug).toBeGreaterThan(0n);
        for (const policy of POLICIES) {
          const result = await trace({
            from: { payoutsOfPool: slug },
            direction: 'backward',
            policy,
            maxHops: 5,
            fromTime,
          });
          expect(result.summary, `${slug} ${policy}`).toMatchObject({
            sourceValue: payoutSum(payouts, fromTime),
            unspentValue: mined(true),
            cutOffValue: mined(false),
            reachedValue: 0n,
            feeValue: 0n,
          });
          drawnWithin(result, fromTime);
        }
      }
    });

    describe("the suspect's payouts, forward to the exchange", () => {
      const flow = () => truth.suspectFlow!;
      const suspectPayouts = () => truth.payouts.filter((p) => p.entity === 'suspect');
      const base = (policy: TracePolicy, window: { fromTime?: number; toTime?: number }) => {
        const expected = flow().trace;
        return trace({
          from: { addresses: expected.from.addresses },
          direction: expected.direction,
          policy,
          maxHops: expected.maxHops,
          minValue: BigInt(expected.minValue),
          stopAt: expected.stopAt,
          ...window,
        });
      };
      /** The payouts the consolidation spent, and its one output. */
      const consolidation = () => {
        const tx = txs.get(flow().consolidationTxid)!;
        const spent = new Set(tx.inputs.map((i) => `${i.prevTxid.toString('hex')}:${i.prevVout}`));
        expect(tx.outputs).toHaveLength(1);
        return { time: tx.time, spent, output: tx.outputs[0]!.value };
      };

      for (const policy of POLICIES) {
        it(`${policy}: a spend at or after toTime stops the walk and its satoshis count as cut off`, async () => {
          const { time, spent } = consolidation();
          const sources = suspectPayouts().filter((p) => timeOf(p) < time);
          const consolidated = sum(
            sources.filter((p) => spent.has(payoutKey(p))).map((p) => BigInt(p.value)),
          );
          expect(consolidated).toBeGreaterThan(0n);
          const result = await base(policy, { toTime: time });
          // Every consolidated payout is older than the consolidation; the others are unspent.
          expect(sources.filter((p) => spent.has(payoutKey(p)))).toHaveLength(spent.size);
          expect(result.summary).toMatchObject({
            sourceValue: payoutSum(sources),
            reachedValue: 0n,
            unspentValue: payoutSum(sources) - consolidated,
            feeValue: 0n,
            cutOffValue: consolidated,
          });
          conserved(result);
          expect(result.nodes.filter((n) => n.kind === 'tx')).toEqual([]);
          expect(result.edges).toEqual([]);
          // Payouts confirmed in the consolidation's own block are outside [.., toTime): not sources.
          const sameBlock = suspectPayouts().filter((p) => timeOf(p) === time);
          expect(sameBlock.length).toBeGreaterThan(0);
        });

        it(`${policy}: walks the spends inside the window and cuts off the first one after it`, async () => {
          const { time, spent, output } = consolidation();
          const coinjoinTime = txTime(flow().coinjoinTxid);
          expect(coinjoinTime).toBeGreaterThan(time);
          const sources = suspectPayouts().filter((p) => timeOf(p) < coinjoinTime);
          const consolidated = sum(
            sources.filter((p) => spent.has(payoutKey(p))).map((p) => BigInt(p.value)),
          );
          const fee = consolidated - output;
          const unspent = payoutSum(sources) - consolidated;
          // The consolidation spends only source satoshis: every policy taints its output and fee in full;
          // the CoinJoin spending that output is at toTime, outside the window.
          const result = await base(policy, { toTime: coinjoinTime });
          expect(result.summary).toMatchObject({
            sourceValue: payoutSum(sources),
            reachedValue: 0n,
            unspentValue: unspent,
            feeValue: fee,
            cutOffValue: output,
          });
          conserved(result);
          expect(result.nodes.filter((n) => n.kind === 'tx').map((n) => n.txid)).toEqual([
            flow().consolidationTxid,
          ]);
          if (policy === 'poison') {
            expect(result.summary.poisoned).toEqual({
              reachedValue: 0n,
              unspentValue: unspent,
              feeValue: fee,
              cutOffValue: output,
            });
          }
        });

        it(`${policy}: a window holding the whole chain gives the ground-truth figures`, async () => {
          const result = await base(policy, {
            fromTime: blockTime.get(0)!,
            toTime: blockTime.get(truth.tip.height)! + 1,
          });
          expect(result.summary).toMatchObject(suspectTraceSummary(truth, policy));
          conserved(result);
        });
      }

      it('starts only from the payouts at or after fromTime: the consolidated ones are not sources', async () => {
        const { time, spent } = consolidation();
        const sources = suspectPayouts().filter((p) => timeOf(p) >= time);
        expect(sources.some((p) => spent.has(payoutKey(p)))).toBe(false);
        expect(sources.length).toBeGreaterThan(0);
        const result = await base('haircut', { fromTime: time });
        // The demo's suspect spends nothing but the consolidated payouts: the later ones stay unspent.
        expect(result.summary).toMatchObject({
          sourceValue: payoutSum(sources),
          unspentValue: payoutSum(sources),
          cutOffValue: 0n,
          feeValue: 0n,
          reachedValue: 0n,
        });
      });
    });

    it('gives an empty result for a window without a source output', async () => {
      const [first] = payoutTimes('antpool');
      const tip = blockTime.get(truth.tip.height)!;
      for (const window of [
        { fromTime: first!, toTime: first! },
        { fromTime: tip + 1 },
        { toTime: blockTime.get(0)! },
      ]) {
        for (const direction of DIRECTIONS) {
          const result = await trace({ from: { payoutsOfPool: 'antpool' }, direction, ...window });
          expect(result, JSON.stringify(window)).toMatchObject({
            nodes: [],
            edges: [],
            truncated: false,
            summary: {
              sourceValue: 0n,
              reachedValue: 0n,
              unspentValue: 0n,
              feeValue: 0n,
              cutOffValue: 0n,
              byCluster: [],
              byCategory: [],
            },
          });
        }
      }
    });

    it('refuses fromTime after toTime', async () => {
      const [first, second] = payoutTimes('antpool');
      await expect(
        trace({ from: { payoutsOfPool: 'antpool' }, fromTime: second!, toTime: first! }),
      ).rejects.toThrow(TraceInputError);
      await expect(
        trace({ from: { payoutsOfPool: 'antpool' }, fromTime: first! + 1, toTime: first! }),
      ).rejects.toThrow('fromTime must not be after toTime');
    });
  });
});
