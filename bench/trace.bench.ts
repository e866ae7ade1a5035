/**
 * A 4-hop forward haircut trace from 100 source outputs on an indexed mainnet-like chain: wall time
 * of `runTrace`, nodes per second, and the process's peak memory.
 *
 * The sources are 100 payout outputs when the chain has that many; the mainnet-like chain has no pool
 * payouts of its own, so otherwise the first 100 spent outputs of its first mainnet-like block stand in
 * for them (outputs that move on, as payouts do).
 *
 * Environment: BENCH_TRACE_BLOCKS (10) mainnet-like blocks of BENCH_TXS (1000) txs, BENCH_SEED;
 * BENCH_TRACE_RUNS (5) timed runs after one warm-up; TEST_DATABASE_URL as for the integration tests.
 * Goal: under 1 s per trace.
 */
import { runTrace } from '@minetrace/api';
import { buildMainnetLike, createDevnetChain } from '@minetrace/devnet';
import { applyBlock, syncPools } from '@minetrace/indexer';
import { decodeBlock } from '@minetrace/shared/chain';
import { createTestDatabase } from '@minetrace/shared/db/testing';
import { loadPools } from '@minetrace/shared/pools';
import { sql } from 'kysely';
import { benchEnv } from './mainnet-like-devnet.js';

const BLOCKS = Number(benchEnv('BENCH_TRACE_BLOCKS', '10'));
const TXS = Number(benchEnv('BENCH_TXS', '1000'));
const SEED = benchEnv('BENCH_SEED', 'minetrace');
const RUNS = Number(benchEnv('BENCH_TRACE_RUNS', '5'));
const SOURCES = 100;
const GOAL_MS = 1000;

const out = (line = '') => process.stdout.write(`${line}\n`);
const fmt = (n: number, digits = 0) =>
  n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });

export async function run(): Promise<void> {
  const chain = createDevnetChain();
  const built = performance.now();
  const { stats } = buildMainnetLike(chain, { seed: SEED, blocks: BLOCKS, txsPerBlock: TXS });
  out(
    `chain: ${stats.preludeHeight} prelude + ${BLOCKS} blocks of ${TXS} txs built in ${fmt(performance.now() - built)} ms`,
  );

  const test = await createTestDatabase('postgres', { name: 'bench_trace' });
  try {
    const pools = loadPools();
    await syncPools(test.db, pools);
    const indexed = performance.now();
    for (let height = 0; height <= chain.tipHeight(); height++) {
      const rows = decodeBlock(chain.getBlock(chain.hashAtHeight(height)!)!.raw, 'regtest');
      await applyBlock(test.db, rows, pools, { height, payoutMaxHops: 3, finalityDepth: 6 });
    }
    out(`indexed ${chain.tipHeight() + 1} blocks in ${fmt(performance.now() - indexed)} ms`);
    // A live database has statistics (autovacuum analyzes after bulk writes); a fresh one has none and
    // the planner would pick plans for empty tables.
    await sql`ANALYZE`.execute(test.db);

    const payouts = await sql<{ txid: Buffer; n: number }>`
      SELECT t.txid, p.n FROM payouts p JOIN txs t ON t.id = p.payout_tx_id
      ORDER BY p.payout_tx_id, p.n LIMIT ${SOURCES}`.execute(test.db);
    let sources = payouts.rows;
    let what = 'payout outputs';
    if (sources.length < SOURCES) {
      const stand = await sql<{ txid: Buffer; n: number }>`
        SELECT t.txid, o.n FROM outputs o JOIN txs t ON t.id = o.tx_id
        WHERE t.height = ${stats.preludeHeight + 1}::int4 AND NOT t.is_coinbase AND o.spent_by_tx_id IS NOT NULL
        ORDER BY o.tx_id, o.n LIMIT ${SOURCES}`.execute(test.db);
      sources = stand.rows;
      what = `spent outputs of block ${stats.preludeHeight + 1} (only ${payouts.rows.length} payouts)`;
    }
    const request = {
      from: { outpoints: sources.map((s) => ({ txid: s.txid.toString('hex'), n: s.n })) },
      direction: 'forward' as const,
      policy: 'haircut' as const,
      maxHops: 4,
      minValue: 0n,
      maxNodes: 10_000,
      stopAt: ['exchange'],
    };
    out(`sources: ${sources.length} ${what}`);

    await runTrace(test.db, request);
    const times: number[] = [];
    let peak = process.memoryUsage().rss;
    let result = await runTrace(test.db, request);
    for (let i = 0; i < RUNS; i++) {
      const started = performance.now();
      result = await runTrace(test.db, request);
      times.push(performance.now() - started);
      peak = Math.max(peak, process.memoryUsage().rss);
    }
    times.sort((a, b) => a - b);
    const median = times[Math.floor(times.length / 2)]!;
    const s = result.summary;
    out(
      `trace: ${result.nodes.length} nodes, ${result.edges.length} edges, truncated ${result.truncated}; ` +
        `source ${s.sourceValue} = reached ${s.reachedValue} + unspent ${s.unspentValue} + fee ${s.feeValue} + cut off ${s.cutOffValue}`,
    );
    out(
      `wall time: median ${fmt(median, 1)} ms (min ${fmt(times[0]!, 1)}, max ${fmt(times[times.length - 1]!, 1)}) over ${RUNS} runs; ` +
        `${fmt(result.nodes.length / (median / 1000))} nodes/s`,
    );
    out(`peak memory: rss ${fmt(Math.max(peak, process.resourceUsage().maxRSS * 1024) / 2 ** 20)} MiB`);
    out(`goal < ${GOAL_MS} ms: ${median < GOAL_MS ? 'met' : 'NOT met'}`);
  } finally {
    await test.close();
  }
}
