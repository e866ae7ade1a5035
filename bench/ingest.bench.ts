/**
 * Historical sync of mainnet-like blocks from a devnet node over RPC/REST into Postgres, through
 * the indexer's follower catching up (fetch ahead, decode, `applyBlockBatch` with the derived rows)
 * and through `backfillRange` (the same pipeline, commits not waiting for the WAL flush), beside the
 * floor Postgres allows: `COPY` of the very rows the sync wrote into empty tables of the same schema
 * (same indexes), the chain's and those derived from it (payouts, clusters and their merges), in one
 * transaction. The chain's tables alone are timed too, and printed beside it.
 *
 * Environment: BENCH_BLOCKS (30; 200 for the full run) mainnet-like blocks of BENCH_TXS (3000) txs,
 * BENCH_SEED; BENCH_FOLLOWER=0 skips the follower's sync and measures `backfillRange` only;
 * BENCH_BATCH (8) blocks per transaction and BENCH_AHEAD (8) blocks fetched ahead in the pipeline;
 * BENCH_DECODE_WORKER=1 decodes in a worker thread (`INDEX_DECODE_WORKER=on`);
 * BENCH_EXPLAIN=1 logs plans of statements slower than BENCH_EXPLAIN_MS (300) to the server log
 * (auto_explain);
 * TEST_DATABASE_URL as for the integration tests. Serialized blocks are cached under the OS temp
 * directory, keyed by seed and sizes, so reruns skip generating them.
 *
 * Anchors: mainnet holds ≈1.32 billion txs; a Rust indexer into Postgres reports ≈30,000 tx/s in
 * bulk mode; Blockbook needs 24–36 hours for mainnet. Goals on this 2-core machine: ≥ 30,000 tx/s
 * over ≥ 200 blocks and ≥ 50% of the COPY floor.
 */
import { availableParallelism } from 'node:os';
import { constants, type PerformanceEntry, PerformanceObserver } from 'node:perf_hooks';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import {
  type BackfillRangeResult,
  BitcoindRpcClient,
  backfillRange,
  createChainFollower,
} from '@minetrace/indexer';
import { decodeBlock } from '@minetrace/shared/chain';
import { type Database, openPostgres } from '@minetrace/shared/db';
import { createTestDatabase } from '@minetrace/shared/db/testing';
import { createLogger } from '@minetrace/shared/log';
import { loadPools, type PoolSet } from '@minetrace/shared/pools';
import type { Kysely } from 'kysely';
import pg from 'pg';
import { from as copyFrom, to as copyTo } from 'pg-copy-streams';
import { type CpuReading, cpuSince, readCpu } from './machine-cpu.js';
import { benchEnv, startMainnetLikeDevnet } from './mainnet-like-devnet.js';

const BLOCKS = Number(benchEnv('BENCH_BLOCKS', '30'));
const TXS = Number(benchEnv('BENCH_TXS', '3000'));
const SEED = benchEnv('BENCH_SEED', 'minetrace');
const GOAL_TX_S = 30_000;
const MAINNET_TXS = 1.32e9;
const FOLLOWER = benchEnv('BENCH_FOLLOWER', '1') !== '0';
/** Blocks per transaction and blocks fetched ahead (in parallel) of decoding. */
const BATCH = Number(benchEnv('BENCH_BATCH', '8'));
const AHEAD = Number(benchEnv('BENCH_AHEAD', '8'));
const DECODE_WORKER = benchEnv('BENCH_DECODE_WORKER', '0') === '1';
/** The chain's tables, then those of the rows derived from it (payouts, clusters): all the sync writes. */
const CHAIN_TABLES = ['blocks', 'txs', 'addresses', 'tx_outputs', 'spends'] as const;
const DERIVED_TABLES = [
  'pool_outputs',
  'pool_known_addresses',
  'distributions',
  'payouts',
  'clusters',
  'address_clusters',
  'cluster_merges',
] as const;
const COPY_TABLES = [...CHAIN_TABLES, ...DERIVED_TABLES] as const;

const fmt = (n: number, digits = 0) =>
  n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
const out = (line = '') => process.stdout.write(`${line}\n`);

/** The database as `openPostgres` opens it for the indexer, logging each statement's duration. */
function openTimedDb(url: string, onQuery: (sql: string, ms: number) => void): Kysely<Database> {
  return openPostgres(url, { log: (event) => onQuery(event.query.sql, event.queryDurationMillis) });
}

/**
 * A short label for a statement: its verb and table, then what tells apart statements sharing them
 * (the start of a SELECT's column list, of an UPDATE's or DELETE's WHERE clause).
 */
function statementLabel(sql: string): string {
  // Without the comment naming a prepared statement or marking a COPY.
  const s = sql
    .replace(/^\s*\/\*.*?\*\//, '')
    .replace(/\s+/g, ' ')
    .trim()
    .toLowerCase();
  const copy = /^copy (\w+)/.exec(s);
  if (copy !== null) return `copy ${copy[1]}`;
  const clip = (text: string) => (text.length > 34 ? `${text.slice(0, 33)}…` : text);
  const write = /^(insert into|update|delete from) "?(\w+)"?/.exec(s);
  if (write !== null) {
    const verb = write[1]!.split(' ')[0]!;
    const where = verb === 'insert' ? null : / where (.*)$/.exec(s);
    return `${verb} ${write[2]}${where ? ` [${clip(where[1]!)}]` : ''}`;
  }
  const read = /^select (.*?) from "?(\w+)"?/.exec(s);
  if (read !== null) return `select ${read[2]} [${clip(read[1]!)}]`;
  return clip(s);
}

interface BackfillFigures {
  result: BackfillRangeResult;
  peakRss: number;
  /** CPU time over the backfill (µs): the machine's and Postgres's (null without /proc), this process's. */
  cpu: CpuReading | null;
  selfMicros: number;
  /** The main thread's garbage-collection pauses over the backfill: young generation, and full. */
  gc: { minorMs: number; minor: number; majorMs: number; major: number };
}

/**
 * Watches the main thread's garbage-collection pauses until `stop()`. A batch's rows live until it
 * commits, so every scavenge meanwhile copies them: the pauses say what allocating less would save.
 */
function watchGc(): { stop(): BackfillFigures['gc'] } {
  const gc = { minorMs: 0, minor: 0, majorMs: 0, major: 0 };
  const count = (entries: readonly PerformanceEntry[]) => {
    for (const entry of entries) {
      const kind = (entry as PerformanceEntry & { detail?: { kind?: number } }).detail?.kind;
      if (kind === constants.NODE_PERFORMANCE_GC_MINOR) {
        gc.minorMs += entry.duration;
        gc.minor += 1;
      } else if (kind === constants.NODE_PERFORMANCE_GC_MAJOR) {
        gc.majorMs += entry.duration;
        gc.major += 1;
      }
    }
  };
  const observer = new PerformanceObserver((list) => count(list.getEntries()));
  observer.observe({ entryTypes: ['gc'] });
  let stopped = false;
  return {
    stop() {
      if (!stopped) {
        stopped = true;
        count(observer.takeRecords());
        observer.disconnect();
      }
      return gc;
    },
  };
}

/** What Postgres wrote to its WAL and how many checkpoints it made, server-wide, so far. */
interface WalActivity {
  bytes: number;
  fullPageImages: number;
  checkpoints: number;
}

async function walActivity(client: pg.Client): Promise<WalActivity> {
  const { rows } = await client.query<{ bytes: string; fpi: string; checkpoints: string }>(
    `SELECT w.wal_bytes AS bytes, w.wal_fpi AS fpi, b.checkpoints_timed + b.checkpoints_req AS checkpoints
     FROM pg_stat_wal w, pg_stat_bgwriter b`,
  );
  const row = rows[0]!;
  return { bytes: Number(row.bytes), fullPageImages: Number(row.fpi), checkpoints: Number(row.checkpoints) };
}

/**
 * Writes every dirty buffer out before a timed phase, so that each starts with nothing of the phases
 * before it left to flush (the floor, run after the sync, flushed the sync's pages during its own
 * checkpoints). With this and `quiesce`, the floor of the 200-block run still moved between 17,527 and
 * 22,953 tx/s over seven runs on one 2-core machine (18,350 to 23,380 without), as much as the
 * machine's own speed did: compare the sync with the floor of the same run.
 */
async function checkpoint(client: pg.Client): Promise<void> {
  await client.query('CHECKPOINT');
}

/**
 * Before the floor: the sync's millions of new rows and the floor's tables are vacuumed and analyzed
 * here, untimed, and autovacuum workers still at work are waited for (up to a minute), so that none of
 * them vacuums the sync's tables beside the floor's COPY and takes a core from it.
 */
async function quiesce(client: pg.Client, tables: readonly string[]): Promise<void> {
  const both = tables.flatMap((table) => [`public.${table}`, `copy_floor.${table}`]);
  await client.query(`VACUUM (ANALYZE) ${both.join(', ')}`);
  for (let waited = 0; waited < 60_000; waited += 500) {
    const { rows } = await client.query<{ n: string }>(
      `SELECT count(*) AS n FROM pg_stat_activity WHERE backend_type = 'autovacuum worker'`,
    );
    if (rows[0]!.n === '0') return;
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

/**
 * WAL written between two snapshots, per block: what Postgres had to log for the rows, index entries
 * and updates, and how much of it were full-page images (the first change to a page after a
 * checkpoint logs the whole 8 KiB page).
 */
function walLine(before: WalActivity, after: WalActivity, blocks: number): string {
  const mb = (after.bytes - before.bytes) / 1e6;
  return (
    `  WAL ${fmt(mb / blocks, 1)} MB per block, ${fmt((after.fullPageImages - before.fullPageImages) / blocks)} ` +
    `full-page images per block, ${fmt(after.checkpoints - before.checkpoints)} checkpoint(s) meanwhile`
  );
}

/** `backfillRange` over `from..to`, sampling the process's RSS meanwhile. */
async function timedBackfill(
  rpc: BitcoindRpcClient,
  db: Kysely<Database>,
  pools: PoolSet,
  from: number,
  to: number,
): Promise<BackfillFigures> {
  let peakRss = process.memoryUsage().rss;
  const sampler = setInterval(() => {
    peakRss = Math.max(peakRss, process.memoryUsage().rss);
  }, 50);
  const [cpuStart, selfStart] = [readCpu(), process.cpuUsage()];
  const gc = watchGc();
  try {
    const result = await backfillRange({
      db,
      rpc,
      pools,
      from,
      to,
      batchBlocks: BATCH,
      prefetch: AHEAD,
      decodeInWorker: DECODE_WORKER,
    });
    const self = process.cpuUsage(selfStart);
    return {
      result,
      peakRss: Math.max(peakRss, process.memoryUsage().rss),
      cpu: cpuSince(cpuStart, readCpu()),
      selfMicros: self.user + self.system,
      gc: gc.stop(),
    };
  } finally {
    clearInterval(sampler);
    gc.stop();
  }
}

function printSql(sqlTimes: Map<string, { ms: number; count: number }>, blocks: number): void {
  const rows = [...sqlTimes.entries()].sort((a, b) => b[1].ms - a[1].ms);
  for (const [label, e] of rows.slice(0, 14)) {
    out(
      `    ${label.padEnd(56)} ${fmt(e.ms / blocks, 1).padStart(8)} ms/block  (${fmt(e.count)} statements)`,
    );
  }
}

function printBackfill({ result, peakRss, cpu, selfMicros, gc }: BackfillFigures): void {
  const blocks = result.applied;
  const { fetchWaitMs, decodeMs, prepareMs, sqlWaitMs } = result.timings;
  out();
  out(
    `backfillRange (${BATCH} blocks per transaction, ${AHEAD} blocks fetched ahead, synchronous_commit off; chain and derived rows` +
      `${DECODE_WORKER ? '; decoding in a worker thread' : ''})`,
  );
  out(`  ${fmt(blocks)} blocks, ${fmt(result.txs)} txs in ${fmt(result.elapsedMs / 1000, 2)} s`);
  out(
    `  ${fmt(result.txs / (result.elapsedMs / 1000))} tx/s, ${fmt(blocks / (result.elapsedMs / 1000), 2)} blocks/s, peak RSS ${fmt(peakRss / 2 ** 20)} MiB`,
  );
  out(
    `  main thread per block: decode ${fmt(decodeMs / blocks, 1)} ms, preparing rows ahead ${fmt(prepareMs / blocks, 1)} ms, ` +
      `waiting for fetch${DECODE_WORKER ? ' and decoding' : ''} ${fmt(fetchWaitMs / blocks, 1)} ms, ` +
      `waiting for SQL ${fmt(sqlWaitMs / blocks, 1)} ms, wall ${fmt(result.elapsedMs / blocks, 1)} ms`,
  );
  out(
    `  main thread's garbage collection per block: scavenges ${fmt(gc.minorMs / blocks, 1)} ms (${fmt(gc.minor)} in all), ` +
      `full collections ${fmt(gc.majorMs / blocks, 1)} ms (${fmt(gc.major)} in all)`,
  );
  if (cpu !== null) {
    // On a machine of few cores the indexer, Postgres and the node share them: the CPU each spends
    // per block says what a change saves, where the wall time only moves once the busiest is relieved.
    const ms = (micros: number) => fmt(micros / 1000 / blocks, 1);
    const cores = cpu.machineMicros / 1000 / result.elapsedMs;
    out(
      `  machine CPU per block: ${ms(cpu.machineMicros)} ms (${fmt(cores, 2)} of ${availableParallelism()} cores busy): ` +
        `indexer ${ms(selfMicros)}, Postgres ${ms(cpu.postgresMicros)}, ` +
        `node and the rest ${ms(cpu.machineMicros - selfMicros - cpu.postgresMicros)}`,
    );
  }
}

export async function run(): Promise<void> {
  out(`mainnet-like: ${BLOCKS} blocks × ${TXS} txs, seed '${SEED}'`);
  const node = await startMainnetLikeDevnet({ seed: SEED, blocks: BLOCKS, txsPerBlock: TXS, cache: true });
  out(
    `devnet ready in ${fmt(node.buildMs / 1000, 1)} s${node.fromCache ? ' (blocks from cache)' : ''}: ` +
      `prelude 1..${node.preludeHeight}, tip ${node.tipHeight}; ${fmt(node.txs)} txs, ` +
      `${fmt(node.inputs / node.txs, 2)} inputs and ${fmt(node.outputs / node.txs, 2)} outputs per tx, ` +
      `${fmt(node.bytes / (node.tipHeight - node.preludeHeight) / 1e6, 2)} MB per block`,
  );
  const testDb = await createTestDatabase('postgres', { name: 'bench_ingest' });
  const url = testDb.url!;
  if (benchEnv('BENCH_EXPLAIN', '0') === '1') {
    // Plans of slow statements go to the server log (auto_explain), for finding where SQL time goes.
    const name = new URL(url).pathname.slice(1);
    const c = new pg.Client({ connectionString: url });
    await c.connect();
    await c.query(`ALTER DATABASE "${name}" SET session_preload_libraries = 'auto_explain'`);
    await c.query(
      `ALTER DATABASE "${name}" SET auto_explain.log_min_duration = '${Number(benchEnv('BENCH_EXPLAIN_MS', '300'))}ms'`,
    );
    await c.query(`ALTER DATABASE "${name}" SET auto_explain.log_analyze = on`);
    await c.end();
  }
  const sqlTimes = new Map<string, { ms: number; count: number }>();
  let timing = false;
  const db = openTimedDb(url, (sql, ms) => {
    if (!timing) return;
    const label = statementLabel(sql);
    const entry = sqlTimes.get(label) ?? { ms: 0, count: 0 };
    entry.ms += ms;
    entry.count += 1;
    sqlTimes.set(label, entry);
  });
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  try {
    const rpc = new BitcoindRpcClient({ url: node.rpcUrl, restUrl: node.restUrl });
    const pools = loadPools();
    const logger = createLogger({ level: 'warn', name: 'bench' });
    const follower = createChainFollower({
      db,
      rpc,
      pools,
      logger,
      config: { pollIntervalMs: 60_000, batchBlocks: BATCH, prefetch: AHEAD },
    });
    await follower.prepare();
    // The funding prelude is not mainnet-like (a few coinbases with thousands of outputs): untimed.
    await backfillRange({ db, rpc, pools, from: 0, to: node.preludeHeight });

    let followerTxPerS: number | null = null;
    let backfill1: BackfillFigures | null = null;
    let backfillWal = '';
    let txs: number;
    if (FOLLOWER) {
      // (1) The sync itself, through the follower.
      await checkpoint(admin);
      timing = true;
      const rssBefore = process.memoryUsage().rss;
      let peakRss = rssBefore;
      const sampler = setInterval(() => {
        peakRss = Math.max(peakRss, process.memoryUsage().rss);
      }, 50);
      const cpuBefore = process.cpuUsage();
      const started = performance.now();
      const round = await follower.reconcile();
      const syncMs = performance.now() - started;
      const cpu = process.cpuUsage(cpuBefore);
      clearInterval(sampler);
      timing = false;
      peakRss = Math.max(peakRss, process.memoryUsage().rss);
      const blocks = round.applied;
      txs = round.txs;
      if (round.tip?.height !== node.tipHeight) {
        throw new Error(`the sync stopped at ${round.tip?.height}, the node's tip is ${node.tipHeight}`);
      }
      const txPerS = txs / (syncMs / 1000);

      // (2) Where the time goes: SQL as Postgres answered it (the follower's statements), and
      // fetching and decoding the same blocks again, alone, sequentially.
      let fetchMs = 0;
      let decodeMs = 0;
      for (let height = node.preludeHeight + 1; height <= node.tipHeight; height++) {
        const t0 = performance.now();
        const raw = await rpc.getBlockRaw(await rpc.getBlockHash(height));
        const t1 = performance.now();
        decodeBlock(raw, 'regtest');
        fetchMs += t1 - t0;
        decodeMs += performance.now() - t1;
      }
      const sqlMs = [...sqlTimes.values()].reduce((n, e) => n + e.ms, 0);

      out();
      out(
        `sync (follower.reconcile catching up: REST blocks, ${AHEAD} fetched ahead, ${BATCH} blocks per transaction, chain and derived rows)`,
      );
      out(`  ${fmt(blocks)} blocks, ${fmt(txs)} txs in ${fmt(syncMs / 1000, 2)} s`);
      out(`  ${fmt(txPerS)} tx/s, ${fmt(blocks / (syncMs / 1000), 2)} blocks/s`);
      out(
        `  peak RSS ${fmt(peakRss / 2 ** 20)} MiB (sampled; ${fmt(rssBefore / 2 ** 20)} MiB before), ` +
          `process max RSS ${fmt(process.resourceUsage().maxRSS / 1024)} MiB`,
      );
      out(
        `  indexer CPU ${fmt((cpu.user + cpu.system) / 1000 / syncMs, 2)} cores over the sync ` +
          `(user ${fmt(cpu.user / 1e6, 1)} s, system ${fmt(cpu.system / 1e6, 1)} s)`,
      );
      out(
        `  at this rate mainnet (${fmt(MAINNET_TXS / 1e9, 2)} billion txs) takes ${fmt(MAINNET_TXS / txPerS / 3600, 1)} h`,
      );
      out();
      out(`where the time goes (per block; fetch and decode measured again alone)`);
      out(`  fetch (getblockhash + REST block)  ${fmt(fetchMs / blocks, 1)} ms`);
      out(`  decode                             ${fmt(decodeMs / blocks, 1)} ms`);
      out(`  SQL, all statements                ${fmt(sqlMs / blocks, 1)} ms`);
      printSql(sqlTimes, blocks);
      out(`  wall per block                     ${fmt(syncMs / blocks, 1)} ms`);

      followerTxPerS = txPerS;
    } else {
      // Only backfillRange: it fills this database, and the COPY floor copies its rows.
      await checkpoint(admin);
      timing = true;
      const walBefore = await walActivity(admin);
      backfill1 = await timedBackfill(rpc, db, pools, node.preludeHeight + 1, node.tipHeight);
      backfillWal = walLine(walBefore, await walActivity(admin), backfill1.result.applied);
      timing = false;
      txs = backfill1.result.txs;
    }

    // (3) The COPY floor: the rows the sync wrote, copied into empty tables of the same schema.
    const prelude = await admin.query<{ max_id: string }>(
      'SELECT coalesce(max(id), -1) AS max_id FROM txs WHERE height <= $1',
      [node.preludeHeight],
    );
    const maxPreludeTx = prelude.rows[0]!.max_id;
    const where: Record<(typeof COPY_TABLES)[number], string> = {
      blocks: `height > ${node.preludeHeight}`,
      txs: `height > ${node.preludeHeight}`,
      addresses: `first_height > ${node.preludeHeight}`,
      tx_outputs: `tx_id > ${maxPreludeTx}`,
      // The spends the sync made, of the prelude's outputs too.
      spends: `spent_by_tx_id > ${maxPreludeTx}`,
      pool_outputs: `height > ${node.preludeHeight}`,
      pool_known_addresses: `first_height > ${node.preludeHeight}`,
      distributions: `height > ${node.preludeHeight}`,
      payouts: `height > ${node.preludeHeight}`,
      // A cluster's height is that of the last block that grew it.
      clusters: `height > ${node.preludeHeight}`,
      address_clusters: `cluster_id IN (SELECT id FROM public.clusters WHERE height > ${node.preludeHeight})`,
      cluster_merges: `height > ${node.preludeHeight}`,
    };
    const order: Record<(typeof COPY_TABLES)[number], string> = {
      blocks: 'height',
      txs: 'id',
      addresses: 'id',
      tx_outputs: 'tx_id, n',
      spends: 'tx_id, n',
      pool_outputs: 'tx_id, n',
      pool_known_addresses: 'pool_id, address_id',
      distributions: 'pool_id, kind, height, seq',
      payouts: 'payout_tx_id, n',
      clusters: 'id',
      address_clusters: 'address_id',
      cluster_merges: 'id',
    };
    await admin.query('DROP SCHEMA IF EXISTS copy_floor CASCADE; CREATE SCHEMA copy_floor');
    const exported = new Map<string, Buffer[]>();
    let copyRows = 0;
    const copyRowsOf = new Map<string, number>();
    for (const table of COPY_TABLES) {
      await admin.query(`CREATE TABLE copy_floor.${table} (LIKE public.${table} INCLUDING ALL)`);
      // The prelude's rows first, untimed, so the indexes start as the sync's did.
      await admin.query(
        `INSERT INTO copy_floor.${table} OVERRIDING SYSTEM VALUE SELECT * FROM public.${table} WHERE NOT (${where[table]})`,
      );
      const chunks: Buffer[] = [];
      const stream = admin.query(
        copyTo(
          `COPY (SELECT * FROM public.${table} WHERE ${where[table]} ORDER BY ${order[table]}) TO STDOUT`,
        ),
      );
      for await (const chunk of stream) chunks.push(chunk as Buffer);
      exported.set(table, chunks);
      copyRows += stream.rowCount;
      copyRowsOf.set(table, stream.rowCount);
    }
    await quiesce(admin, COPY_TABLES);
    await checkpoint(admin);
    const copyWal = await walActivity(admin);
    const copyStarted = performance.now();
    await admin.query('BEGIN');
    const copyTableMs = new Map<string, number>();
    for (const table of COPY_TABLES) {
      const t0 = performance.now();
      await pipeline(
        Readable.from(exported.get(table)!),
        admin.query(copyFrom(`COPY copy_floor.${table} FROM STDIN`)),
      );
      copyTableMs.set(table, performance.now() - t0);
    }
    await admin.query('COMMIT');
    const copyMs = performance.now() - copyStarted;
    const copyTxPerS = txs / (copyMs / 1000);
    // The chain's rows alone, as the floor was once measured: their COPYs ran first, in the same transaction.
    const chainMs = CHAIN_TABLES.reduce((ms, table) => ms + copyTableMs.get(table)!, 0);
    out();
    out(
      `COPY floor (same rows: ${fmt(copyRows)} rows in ${COPY_TABLES.length} tables, every row the sync wrote; same indexes; one transaction)`,
    );
    out(`  ${fmt(copyMs / 1000, 2)} s: ${fmt(copyTxPerS)} tx/s`);
    out(
      `  ${COPY_TABLES.map((t) => `${t} ${fmt(copyTableMs.get(t)! / 1000, 2)} s (${fmt(copyRowsOf.get(t)!)} rows)`).join(', ')}`,
    );
    out(
      `  the chain's tables alone (${CHAIN_TABLES.join(', ')}): ${fmt(chainMs / 1000, 2)} s, ${fmt(txs / (chainMs / 1000))} tx/s`,
    );
    out(walLine(copyWal, await walActivity(admin), node.tipHeight - node.preludeHeight));
    out();
    const chainTxPerS = txs / (chainMs / 1000);
    const report = (label: string, rate: number) => {
      const ratio = rate / copyTxPerS;
      out(
        `${label}: ${fmt(rate)} tx/s = ${fmt(ratio * 100, 1)}% of the COPY floor ` +
          `(${fmt((rate / chainTxPerS) * 100, 1)}% of the chain's tables' alone)`,
      );
      out(
        `  goal ≥ ${fmt(GOAL_TX_S)} tx/s ${rate >= GOAL_TX_S ? 'met' : 'missed'}; goal ≥ 50% of the floor ${ratio >= 0.5 ? 'met' : 'missed'}`,
      );
    };
    if (followerTxPerS !== null) report('follower', followerTxPerS);
    if (backfill1 !== null) {
      const { result } = backfill1;
      printBackfill(backfill1);
      out('  SQL as Postgres answered it (statements overlap decoding):');
      printSql(sqlTimes, result.applied);
      out(backfillWal);
      report('backfillRange', result.txs / (result.elapsedMs / 1000));
    }

    // (4) With the follower measured above, backfillRange runs on a second fresh database.
    if (FOLLOWER) {
      const second = await createTestDatabase('postgres', { name: 'bench_ingest_batch' });
      try {
        await createChainFollower({
          db: second.db,
          rpc,
          pools,
          logger,
          config: { pollIntervalMs: 60_000 },
        }).prepare();
        await backfillRange({ db: second.db, rpc, pools, from: 0, to: node.preludeHeight });
        await checkpoint(admin);
        const b = await timedBackfill(rpc, second.db, pools, node.preludeHeight + 1, node.tipHeight);
        printBackfill(b);
        report('backfillRange', b.result.txs / (b.result.elapsedMs / 1000));
      } finally {
        await second.close();
      }
    }
  } finally {
    await admin.end();
    await db.destroy();
    await testDb.close();
    await node.stop();
  }
}
