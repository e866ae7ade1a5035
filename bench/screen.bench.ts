/**
 * Compliance screening on an indexed mainnet-like chain, with some of its addresses tagged so that
 * the exposure walks reach tagged sources:
 *
 * (a) one screening call of 1,000 indexed addresses: `screenAddresses` in this process, then the
 * same batch as GraphQL `screen(addresses:)` over HTTP (an API server in this process, open localhost
 * mode). Wall time of the first (cold) call and the median of the next ones; the process's peak RSS
 * during the calls (sampled every 5 ms).
 * (b) a `screen.batch` job of BENCH_SCREEN_BATCH (100,000) distinct addresses on the job system,
 * in-process (BullMQ on BENCH_REDIS_URL when set), with its progress while it runs, then the total
 * time and addresses per second. The batch is every indexed address (up to the batch size), padded
 * with valid regtest addresses derived from hashed seeds, which the chain never saw.
 *
 * Tags: BENCH_SCREEN_TAGS (200) addresses that spent funds are tagged sanctioned, scam, mixer,
 * darknet or exchange (eight named entities per category), and 10 of the screened addresses
 * themselves (DIRECT_TAG). The whole chain is clustered, as if every block were final.
 *
 * Environment: BENCH_SCREEN_BLOCKS (10) mainnet-like blocks of BENCH_TXS (1000) txs, BENCH_SEED;
 * BENCH_SCREEN_RUNS (3) timed calls after the first; BENCH_SCREEN_BATCH (100000);
 * BENCH_REDIS_URL; TEST_DATABASE_URL as for the integration tests.
 * Goal: one 1,000-address screening call under 2 s.
 */
import { createHash, randomUUID } from 'node:crypto';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  createApiJobHandlers,
  createApiServer,
  createJobRegistry,
  createJobSystem,
  DEFAULT_SCREEN_SETTINGS,
  getJob,
  getJobResult,
  RISK_LEVELS,
  resultDir,
  type ScreenResult,
  screenAddresses,
} from '@minetrace/api';
import { BitcoindRpcClient, createChainFollower, rebuildClusters } from '@minetrace/indexer';
import { addressForScript } from '@minetrace/shared/chain';
import { createTestDatabase } from '@minetrace/shared/db/testing';
import { createLogger } from '@minetrace/shared/log';
import { loadPools } from '@minetrace/shared/pools';
import { storeTags, type TagInput } from '@minetrace/shared/tags';
import { Redis } from 'ioredis';
import { sql } from 'kysely';
import { benchEnv, startMainnetLikeDevnet } from './mainnet-like-devnet.js';

const BLOCKS = Number(benchEnv('BENCH_SCREEN_BLOCKS', '10'));
const TXS = Number(benchEnv('BENCH_TXS', '1000'));
const SEED = benchEnv('BENCH_SEED', 'minetrace');
const RUNS = Number(benchEnv('BENCH_SCREEN_RUNS', '3'));
const BATCH = Number(benchEnv('BENCH_SCREEN_BATCH', '100000'));
const TAGS = Number(benchEnv('BENCH_SCREEN_TAGS', '200'));
const REDIS_URL = benchEnv('BENCH_REDIS_URL', '') || undefined;
const CALL = 1000;
const DIRECT_TAGS = 10;
const CATEGORIES = ['sanctioned', 'scam', 'mixer', 'darknet', 'exchange'];
const GOAL_MS = 2000;
const PROGRESS_MS = 2000;

const out = (line = '') => process.stdout.write(`${line}\n`);
const fmt = (n: number, digits = 0) =>
  n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
const mib = (bytes: number) => `${fmt(bytes / 2 ** 20)} MiB`;

const SCREEN_QUERY = `query Screen($a: [String!]!) { screen(addresses: $a) {
  address risk received truncated cluster { id size }
  reasons { kind risk detail hops value share shareNumerator shareDenominator pool addresses path
    sourceOutpoints { txid n } tag { label category source confidence } } } }`;

/** Runs `work`, sampling the process's resident set every 5 ms (the work is mostly awaiting Postgres). */
async function measured<T>(work: () => Promise<T>): Promise<{ ms: number; peakRss: number; value: T }> {
  let peakRss = process.memoryUsage.rss();
  const sampler = setInterval(() => {
    peakRss = Math.max(peakRss, process.memoryUsage.rss());
  }, 5);
  const started = performance.now();
  try {
    const value = await work();
    return { ms: performance.now() - started, peakRss: Math.max(peakRss, process.memoryUsage.rss()), value };
  } finally {
    clearInterval(sampler);
  }
}

/** Calls `work` once cold, then RUNS times; the first call's figures and the median of the others. */
async function timedCalls<T>(label: string, work: () => Promise<T>): Promise<T> {
  const before = process.memoryUsage.rss();
  const first = await measured(work);
  const times: number[] = [];
  let peakRss = first.peakRss;
  let last = first.value;
  for (let i = 0; i < RUNS; i++) {
    const run = await measured(work);
    times.push(run.ms);
    peakRss = Math.max(peakRss, run.peakRss);
    last = run.value;
  }
  times.sort((a, b) => a - b);
  const median = times[Math.floor(times.length / 2)] ?? first.ms;
  out(
    `  ${label.padEnd(20)} first ${fmt(first.ms).padStart(6)} ms, median ${fmt(median).padStart(6)} ms ` +
      `(min ${fmt(times[0] ?? first.ms)}, max ${fmt(times[times.length - 1] ?? first.ms)}) over ${RUNS} runs; ` +
      `peak rss ${mib(peakRss)} (${mib(before)} before); goal < ${fmt(GOAL_MS)} ms: ${Math.max(first.ms, median) < GOAL_MS ? 'met' : 'NOT met'}`,
  );
  return last;
}

/** Counts per risk level and per reason kind, for the line that shows the walks found something. */
function verdicts(results: ReadonlyArray<Pick<ScreenResult, 'risk'> & { reasons: Array<{ kind: string }> }>) {
  const count = (values: string[]) => {
    const counts = new Map<string, number>();
    for (const value of values) counts.set(value, (counts.get(value) ?? 0) + 1);
    const order = (key: string) => {
      const at = (RISK_LEVELS as readonly string[]).indexOf(key);
      return at === -1 ? RISK_LEVELS.length : at;
    };
    return [...counts]
      .sort(([a], [b]) => order(a) - order(b) || a.localeCompare(b))
      .map(([key, n]) => `${key} ${fmt(n)}`)
      .join(', ');
  };
  return (
    `risk: ${count(results.map((r) => r.risk))}; ` +
    `reasons: ${count(results.flatMap((r) => r.reasons.map((reason) => reason.kind)))}`
  );
}

/**
 * `n` valid regtest addresses no chain has used: the hash of `seed:i` as the program of a P2WPKH,
 * P2TR, P2PKH or P2SH output script in turn, encoded as the indexer encodes output scripts.
 */
function neverSeenAddresses(n: number, seed: string): string[] {
  const addresses: string[] = [];
  for (let i = 0; i < n; i++) {
    const hash = createHash('sha256').update(`${seed}:${i}`).digest();
    const h20 = hash.subarray(0, 20).toString('hex');
    const script = [`0014${h20}`, `5120${hash.toString('hex')}`, `76a914${h20}88ac`, `a914${h20}87`][i % 4]!;
    const address = addressForScript(Buffer.from(script, 'hex'), 'regtest');
    if (address === null) throw new Error(`no address for script ${script}`);
    addresses.push(address);
  }
  return addresses;
}

export async function run(): Promise<void> {
  out(`mainnet-like: ${BLOCKS} blocks × ${TXS} txs, seed '${SEED}'`);
  const node = await startMainnetLikeDevnet({ seed: SEED, blocks: BLOCKS, txsPerBlock: TXS, cache: true });
  const testDb = await createTestDatabase('postgres', { name: 'bench_screen' });
  const db = testDb.db;
  const logger = createLogger({ level: 'warn', name: 'bench' });
  const dataDir = await mkdtemp(path.join(tmpdir(), 'minetrace-bench-screen-'));
  const redisPrefix = `minetrace-bench-screen-${randomUUID()}`;
  let api: ReturnType<typeof createApiServer> | undefined;
  let jobs: ReturnType<typeof createJobSystem> | undefined;
  let sampler: NodeJS.Timeout | undefined;
  try {
    const started = performance.now();
    const follower = createChainFollower({
      db,
      rpc: new BitcoindRpcClient({ url: node.rpcUrl, restUrl: node.restUrl }),
      pools: loadPools(),
      logger,
      config: { pollIntervalMs: 60_000 },
    });
    await follower.prepare();
    const round = await follower.reconcile();
    await node.stop();
    out(
      `indexed ${fmt(round.applied)} blocks, ${fmt(round.txs)} txs in ${fmt((performance.now() - started) / 1000, 1)} s`,
    );
    // The follower clusters only final blocks; the whole chain counts as final here, so that the
    // newest blocks' addresses have their clusters (and CLUSTER_TAG reasons) too.
    const clustered = await rebuildClusters(db, 0);
    out(`clustered ${fmt(clustered.blocks)} blocks: ${fmt(clustered.merges)} merges`);

    const screened = (
      await sql<{ address: string }>`
        SELECT address FROM addresses ORDER BY md5('screen:' || address) LIMIT ${CALL}`.execute(db)
    ).rows.map((row) => row.address);
    // Sources of flow: addresses whose funds moved on, so that later receivers are exposed to them.
    const spenders = (
      await sql<{ address: string }>`
        SELECT a.address FROM addresses a
        WHERE EXISTS (SELECT 1 FROM outputs o WHERE o.address_id = a.id AND o.spent_by_tx_id IS NOT NULL)
        ORDER BY md5('tag:' || a.address) LIMIT ${TAGS}`.execute(db)
    ).rows.map((row) => row.address);
    const tags: TagInput[] = [...spenders, ...screened.slice(0, DIRECT_TAGS)].map((address, i) => ({
      address,
      // Eight entities per category, each named on several addresses, as tag sources name owners.
      label: `bench ${CATEGORIES[i % CATEGORIES.length]} ${Math.floor(i / CATEGORIES.length) % 8}`,
      category: CATEGORIES[i % CATEGORIES.length]!,
      source: 'bench',
      confidence: 0.9,
    }));
    const stored = await storeTags(db, tags, 'bench');
    // A live database has statistics (autovacuum analyzes after bulk writes); a fresh one has none.
    await sql`ANALYZE`.execute(db);
    const counts = await sql<{ addresses: string; outputs: string; clusters: string }>`
      SELECT (SELECT count(*) FROM addresses) AS addresses, (SELECT count(*) FROM outputs) AS outputs,
        (SELECT count(*) FROM clusters) AS clusters`.execute(db);
    const indexedAddresses = Number(counts.rows[0]!.addresses);
    out(
      `index: ${fmt(indexedAddresses)} addresses, ${fmt(Number(counts.rows[0]!.outputs))} outputs, ` +
        `${fmt(Number(counts.rows[0]!.clusters))} clusters; ${fmt(stored.inserted)} tags stored ` +
        `(${fmt(spenders.length)} spending addresses + ${DIRECT_TAGS} screened ones, ${CATEGORIES.join('/')})`,
    );
    out(`screening rules: the defaults, exposure walks of ${DEFAULT_SCREEN_SETTINGS.maxHops} hops`);

    out();
    out(`(a) screen ${fmt(screened.length)} indexed addresses in one call`);
    const direct = await timedCalls('screenAddresses', () =>
      screenAddresses(db, screened, DEFAULT_SCREEN_SETTINGS),
    );
    out(`    ${verdicts(direct)}`);

    api = createApiServer({
      db,
      config: { API_HOST: '127.0.0.1', API_PORT: 0, API_AUTH: 'auto', API_RATE_LIMIT_PER_MINUTE: 1_000_000 },
      logger: createLogger({ level: 'fatal', name: 'bench-api' }),
      rateLimitKeyPrefix: `${redisPrefix}:rl`,
    });
    const url = await api.listen();
    const body = JSON.stringify({ query: SCREEN_QUERY, variables: { a: screened } });
    let bytes = 0;
    const overHttp = await timedCalls('GraphQL over HTTP', async () => {
      const response = await fetch(`${url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body,
      });
      const text = await response.text();
      bytes = text.length;
      const answer = JSON.parse(text) as {
        data?: { screen: Array<{ risk: ScreenResult['risk']; reasons: Array<{ kind: string }> }> };
        errors?: Array<{ message: string }>;
      };
      if (response.status !== 200 || answer.errors !== undefined || answer.data === undefined) {
        throw new Error(`screen over HTTP failed (${response.status}): ${text.slice(0, 500)}`);
      }
      return answer.data.screen;
    });
    out(`    ${verdicts(overHttp)}; answer ${fmt(bytes / 1024)} KiB`);
    await api.close();
    api = undefined;

    const known = (
      await sql<{ address: string }>`
        SELECT address FROM addresses ORDER BY md5('batch:' || address) LIMIT ${BATCH}`.execute(db)
    ).rows.map((row) => row.address);
    const padding = neverSeenAddresses(BATCH - known.length, `minetrace-bench-screen:${SEED}`);
    const batch = [...known, ...padding];
    out();
    out(
      `(b) screen.batch job of ${fmt(batch.length)} distinct addresses: ${fmt(known.length)} indexed + ` +
        `${fmt(padding.length)} never seen (regtest P2WPKH/P2TR/P2PKH/P2SH from hashed seeds); ` +
        `job system ${REDIS_URL === undefined ? 'in-process' : `on BullMQ (${REDIS_URL})`}`,
    );
    jobs = createJobSystem({
      db,
      config: {
        ...(REDIS_URL === undefined ? {} : { REDIS_URL }),
        MINETRACE_DATA_DIR: dataDir,
        JOB_RESULT_TTL: 3600,
        JOB_CONCURRENCY: 1,
        JOB_MAX_ATTEMPTS: 1,
      },
      logger,
      redisPrefix,
    });
    await jobs.startWorker(createJobRegistry(createApiJobHandlers({ db })));
    let peakRss = process.memoryUsage.rss();
    sampler = setInterval(() => {
      peakRss = Math.max(peakRss, process.memoryUsage.rss());
    }, 20);
    const enqueuedAt = performance.now();
    const job = await jobs.service.enqueue({ type: 'screen.batch', addresses: batch });
    let row = await getJob(db, job.id);
    let lastDone = -1;
    let lastPrinted = enqueuedAt;
    while (row !== undefined && (row.state === 'queued' || row.state === 'running')) {
      // Polled often so that the total is exact to a tenth of a second; printed every PROGRESS_MS.
      await new Promise((resolve) => setTimeout(resolve, 100));
      row = await getJob(db, job.id);
      const done = Number(row?.progress_done ?? 0);
      const total = Number(row?.progress_total ?? 0);
      const now = performance.now();
      if (row?.state === 'running' && done !== lastDone && now - lastPrinted >= PROGRESS_MS) {
        const seconds = (now - enqueuedAt) / 1000;
        out(
          `  ${fmt(seconds, 1).padStart(6)} s  ${fmt(done).padStart(7)} / ${fmt(total)} ` +
            `(${fmt(total === 0 ? 0 : (done / total) * 100)}%), ${fmt(done / seconds)} addresses/s so far`,
        );
        lastDone = done;
        lastPrinted = now;
      }
    }
    const seconds = (performance.now() - enqueuedAt) / 1000;
    clearInterval(sampler);
    sampler = undefined;
    if (row?.state !== 'completed') {
      throw new Error(`the screen.batch job ended ${row?.state ?? 'missing'}: ${row?.error ?? ''}`);
    }
    const result = await getJobResult(db, job.id);
    const summary = result?.data as { screened: number; byRisk: Record<string, number>; invalid: number };
    const file =
      result?.file_name === null || result?.file_name === undefined
        ? 0
        : (await stat(path.join(resultDir(dataDir), result.file_name))).size;
    const ran = (row.finished_at!.getTime() - row.started_at!.getTime()) / 1000;
    out(
      `  done: ${fmt(summary.screened)} screened, ${fmt(summary.invalid)} invalid; ` +
        `risk ${RISK_LEVELS.map((risk) => `${risk} ${fmt(summary.byRisk[risk] ?? 0)}`).join(
          ', ',
        )}; result file ${mib(file)}`,
    );
    out(
      `  total ${fmt(seconds, 1)} s from enqueue to completed (the run itself ${fmt(ran, 1)} s): ` +
        `${fmt(summary.screened / seconds)} addresses/s; peak rss ${mib(peakRss)}`,
    );
  } finally {
    clearInterval(sampler);
    await api?.close();
    await jobs?.close();
    await node.stop();
    if (REDIS_URL !== undefined) {
      const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
      const stale = await redis.keys(`${redisPrefix}*`);
      if (stale.length > 0) await redis.del(...stale);
      redis.disconnect();
    }
    await testDb.close();
    await rm(dataDir, { recursive: true, force: true });
  }
}
