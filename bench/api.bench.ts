/**
 * The GraphQL API over HTTP on an indexed mainnet-like chain, under BENCH_API_CONNECTIONS (50)
 * concurrent connections driven by autocannon, beside the floor: the same lookups as one raw SQL
 * statement each through `pg`, with as many callers in flight.
 *
 * (a) `address(address)` with its totals and first block, rotating over many different addresses;
 * (b) `miningIncome` per day and pool over 1,000 payout-receiving addresses. The mainnet-like chain
 * has no pool payouts of its own, so when fewer than 1,000 addresses received one, real outputs of
 * other addresses are recorded as payouts of the block's pool until 1,000 addresses have.
 *
 * The API runs in a child process (its own event loop and CPU), the load generator and the floor
 * here; both read Postgres through a pool of 10 connections (as `openPostgres`). Operations run
 * in the open localhost mode and are audited, as in production. The address statement runs
 * prepared in both; the API sends one for all the lookups that reach it in a turn of its event
 * loop (`createSharedLoaders`), the floor one per lookup, as a client would.
 *
 * Each measure runs BENCH_API_WARMUP seconds before its BENCH_API_SECONDS on the same connections
 * (autocannon's or the floor's callers), and counts only the requests sent after the warm-up: the
 * figures are the steady state. API and floor take turns, BENCH_API_ROUNDS times each, and the
 * figures pool every round's requests: the floor of one window ranged from 7,271 to 13,126 req/s
 * between runs and between the rounds of one run (no checkpoint or autovacuum ran meanwhile), more
 * than any change measured, while the API's moved far less.
 *
 * Each measure also prints what an answer cost the whole machine, split by process (the API, Postgres
 * with its exited backends and parallel workers, this process as load generator or floor caller,
 * the rest), and the database's commits per answer, read from /proc and pg_stat_database. On this
 * 2-core machine the API's and the floor's requests/s are that cost's inverse: the API's own CPU
 * is most of the difference, and Postgres does less per API answer than per floor statement, the
 * API sending one statement for the lookups of a turn and one audit INSERT per batch.
 *
 * Counted from the first request, the 50 that every connection sends at once when it opens made the
 * p99 of a 10 s measure (they are about 5% of its requests when each takes hundreds of
 * milliseconds), and the API, which spends CPU on each before its statement, paid for that burst
 * more than the floor did.
 *
 * Environment: BENCH_API_BLOCKS (30) mainnet-like blocks of BENCH_TXS (3000) txs, BENCH_SEED;
 * BENCH_API_SECONDS (10) per measure after BENCH_API_WARMUP (3) seconds of warm-up, in
 * BENCH_API_ROUNDS (2) rounds of API then floor;
 * BENCH_API_CONNECTIONS (50); BENCH_API_ADDRESSES (5000)
 * addresses looked up; BENCH_API_MEASURES (`address,income`) the measures to run, e.g. `address`
 * alone when profiling it; BENCH_API_REDIS_URL rate-limits through Redis (default: in-process);
 * BENCH_API_PROFILE_DIR writes the API process's CPU profile there (open it in Chrome DevTools);
 * TEST_DATABASE_URL as for the integration tests.
 * Goals: address lookups p99 < 50 ms; the API within 2× of the raw SQL floor (p99 and requests/s).
 */
import { fork } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { BitcoindRpcClient, createChainFollower } from '@minetrace/indexer';
import { createTestDatabase } from '@minetrace/shared/db/testing';
import { createLogger } from '@minetrace/shared/log';
import { loadPools } from '@minetrace/shared/pools';
import autocannon from 'autocannon';
import pg from 'pg';
import type { ApiChildMessage, ApiChildOptions } from './api-server.child.js';
import { cpuSince, readCpu } from './machine-cpu.js';
import { benchEnv, startMainnetLikeDevnet } from './mainnet-like-devnet.js';

const BLOCKS = Number(benchEnv('BENCH_API_BLOCKS', '30'));
const TXS = Number(benchEnv('BENCH_TXS', '3000'));
const SEED = benchEnv('BENCH_SEED', 'minetrace');
const SECONDS = Number(benchEnv('BENCH_API_SECONDS', '10'));
const WARMUP = Number(benchEnv('BENCH_API_WARMUP', '3'));
const ROUNDS = Number(benchEnv('BENCH_API_ROUNDS', '2'));
const CONNECTIONS = Number(benchEnv('BENCH_API_CONNECTIONS', '50'));
const ADDRESSES = Number(benchEnv('BENCH_API_ADDRESSES', '5000'));
const REDIS_URL = benchEnv('BENCH_API_REDIS_URL', '') || undefined;
/** Where the API process writes a V8 CPU profile (`.cpuprofile`) when it stops; empty: none. */
const PROFILE_DIR = benchEnv('BENCH_API_PROFILE_DIR', '');
const MEASURES = new Set(benchEnv('BENCH_API_MEASURES', 'address,income').split(','));
const INCOME_ADDRESSES = 1000;
const GOAL_P99_MS = 50;
const GOAL_RATIO = 2;

const CHILD = fileURLToPath(new URL('./api-server.child.ts', import.meta.url));

const fmt = (n: number, digits = 0) =>
  n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
const out = (line = '') => process.stdout.write(`${line}\n`);

const ADDRESS_QUERY = `query Address($a: String!) { address(address: $a) {
  address scriptType received sent balance txCount firstSeen { height hash } } }`;
const INCOME_QUERY = `query Income($a: [String!]) { miningIncome(addresses: $a, bucket: DAY) {
  rows { bucketStart pool { slug } value payoutCount } totalValue totalPayoutCount } }`;

/** What the API computes for ADDRESS_QUERY, as one statement (prepared, as the API's). */
const ADDRESS_SQL = `
  SELECT a.address, a.script_type, b.height, b.hash,
         coalesce(f.received, 0)::int8 AS received, coalesce(f.sent, 0)::int8 AS sent,
         (SELECT count(DISTINCT t) FROM (
            SELECT tx_id AS t FROM outputs WHERE address_id = a.id
            UNION ALL
            SELECT spent_by_tx_id FROM outputs WHERE address_id = a.id AND spent_by_tx_id IS NOT NULL) x)::int8 AS tx_count
  FROM addresses a
  JOIN blocks b ON b.height = a.first_height
  LEFT JOIN LATERAL (
    SELECT sum(value) AS received, sum(value) FILTER (WHERE spent_by_tx_id IS NOT NULL) AS sent
    FROM outputs WHERE address_id = a.id) f ON TRUE
  WHERE a.address = $1`;

/** What the API computes for INCOME_QUERY, as one statement. */
const INCOME_SQL = `
  SELECT extract(epoch FROM date_trunc('day', to_timestamp(b.time) AT TIME ZONE 'UTC'))::int8 AS bucket,
         pl.slug, sum(p.value)::int8 AS value, count(*)::int8 AS n
  FROM payouts p
  JOIN blocks b ON b.height = p.height
  JOIN pools pl ON pl.id = p.pool_id
  WHERE p.address_id IN (SELECT id FROM addresses WHERE address = ANY($1::text[]))
  GROUP BY 1, 2 ORDER BY 1, 2`;

interface Figures {
  requests: number;
  seconds: number;
  p50: number;
  p99: number;
  errors: number;
}

/** What one measure (one window) recorded: latencies of the requests sent in it, in ms. */
interface Window {
  latencies: number[];
  seconds: number;
  errors: number;
  /** Answers received over the whole window, warm-up included. */
  answered: number;
}

/**
 * CPU time over one window, warm-up included (µs): the machine's, Postgres's, this process's (the
 * load generator or the floor's callers) and the API process's (0 for the floor).
 */
interface WindowCpu {
  machine: number;
  postgres: number;
  self: number;
  api: number;
  answered: number;
  /** Transactions the database committed (each autocommitted statement is one). */
  commits: number;
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

/** What a connection's autocannon context holds: when its request in flight was sent. */
interface SentAt {
  sentAt: number;
}

/** The windows' requests pooled, as `Figures` (requests/s over their seconds together). */
function figuresOf(windows: readonly Window[]): Figures {
  const latencies = windows.flatMap((w) => w.latencies).sort((a, b) => a - b);
  return {
    requests: latencies.length,
    seconds: windows.reduce((sum, w) => sum + w.seconds, 0),
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    errors: windows.reduce((sum, w) => sum + w.errors, 0),
  };
}

/**
 * Drives `POST /graphql` with a body per request from `bodyAt(i)`, i counting up from 0, for WARMUP
 * then SECONDS seconds; the requests sent during the SECONDS are measured, send to last byte.
 */
async function driveApi(url: string, bodyAt: (i: number) => string): Promise<Window> {
  let next = 0;
  let bad = 0;
  let answered = 0;
  const latencies: number[] = [];
  const measureFrom = performance.now() + WARMUP * 1000;
  const measureTo = measureFrom + SECONDS * 1000;
  // One request in flight per connection: its context (autocannon's, per connection) holds when it
  // was sent; setupRequest builds each request just before it is written.
  const result = await autocannon({
    url: `${url}/graphql`,
    connections: CONNECTIONS,
    duration: WARMUP + SECONDS,
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    requests: [
      {
        setupRequest: (request, context) => {
          (context as SentAt).sentAt = performance.now();
          return { ...request, body: bodyAt(next++) };
        },
        onResponse: (status, body, context) => {
          answered += 1;
          const { sentAt } = context as SentAt;
          if (sentAt < measureFrom || sentAt >= measureTo) return;
          latencies.push(performance.now() - sentAt);
          // An answer with GraphQL errors is a failure here, not a fast success.
          if (status !== 200 || body.includes('"errors"')) bad += 1;
        },
      },
    ],
  });
  return { latencies, seconds: SECONDS, errors: result.errors + bad, answered };
}

/**
 * The floor: CONNECTIONS callers, each sending one statement after the other, for WARMUP then
 * SECONDS seconds; the statements sent during the SECONDS are measured. With a `name` the statement
 * runs prepared, as the API runs that lookup.
 */
async function driveSql(
  pool: pg.Pool,
  text: string,
  paramsAt: (i: number) => unknown[],
  name?: string,
): Promise<Window> {
  const latencies: number[] = [];
  let next = 0;
  let errors = 0;
  let answered = 0;
  const measureFrom = performance.now() + WARMUP * 1000;
  const measureTo = measureFrom + SECONDS * 1000;
  await Promise.all(
    Array.from({ length: CONNECTIONS }, async () => {
      while (performance.now() < measureTo) {
        const t0 = performance.now();
        let failed = false;
        try {
          const values = paramsAt(next++);
          const result = await pool.query(name === undefined ? { text, values } : { name, text, values });
          if (result.rows.length === 0 && text === ADDRESS_SQL) failed = true;
        } catch {
          failed = true;
        }
        answered += 1;
        if (t0 < measureFrom) continue;
        latencies.push(performance.now() - t0);
        if (failed) errors += 1;
      }
    }),
  );
  return { latencies, seconds: SECONDS, errors, answered };
}

/** Requests/s of the floor over the API's, and p99 of the API over the floor's. */
function ratios(api: Figures, floor: Figures): { p99: number; rate: number } {
  return { p99: api.p99 / floor.p99, rate: floor.requests / floor.seconds / (api.requests / api.seconds) };
}

/**
 * Runs `measureApi` and `measureFloor` in turn, ROUNDS times, and reports the pooled figures, each
 * round's ratios and the goals.
 */
async function compare(
  pool: pg.Pool,
  label: string,
  measureApi: () => Promise<Window>,
  measureFloor: () => Promise<Window>,
  p99Goal: number | null,
): Promise<void> {
  const apiWindows: Window[] = [];
  const floorWindows: Window[] = [];
  const apiCpu: WindowCpu[] = [];
  const floorCpu: WindowCpu[] = [];
  const rounds: string[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    const api = await withCpu(pool, measureApi, apiCpu);
    const floor = await withCpu(pool, measureFloor, floorCpu);
    apiWindows.push(api);
    floorWindows.push(floor);
    const [a, f] = [figuresOf([api]), figuresOf([floor])];
    const ratio = ratios(a, f);
    rounds.push(
      `${fmt(a.requests / a.seconds)} vs ${fmt(f.requests / f.seconds)} req/s ` +
        `(÷${fmt(ratio.rate, 2)}, p99 ×${fmt(ratio.p99, 2)})`,
    );
  }
  report(label, figuresOf(apiWindows), figuresOf(floorWindows), p99Goal);
  out(`  rounds (API vs floor): ${rounds.join('; ')}`);
  printCpu(apiCpu, floorCpu);
}

/** Runs one measure, recording the CPU time it took (the API process's from its own report). */
async function withCpu(
  pool: pg.Pool,
  measure: () => Promise<Window & { apiMicros?: number }>,
  into: WindowCpu[],
) {
  const commits = async () =>
    Number(
      (
        await pool.query<{ n: string }>(
          'SELECT pg_stat_force_next_flush(), xact_commit AS n FROM pg_stat_database WHERE datname = current_database()',
        )
      ).rows[0]!.n,
    );
  const before = await commits();
  const [start, self] = [readCpu(), process.cpuUsage()];
  const window = await measure();
  const spent = cpuSince(start, readCpu());
  const own = process.cpuUsage(self);
  // Other backends flush their counts within a second of going idle.
  await new Promise((resolve) => setTimeout(resolve, 1500));
  const committed = (await commits()) - before - 1;
  if (spent !== null) {
    into.push({
      machine: spent.machineMicros,
      postgres: spent.postgresMicros,
      self: own.user + own.system,
      api: window.apiMicros ?? 0,
      answered: window.answered,
      commits: committed,
    });
  }
  return window;
}

/**
 * What an answer cost the whole machine, split by process, API beside floor: the API's overhead is
 * its own CPU and the load generator's, and also whatever it makes Postgres do beyond the floor's
 * statement (its audit rows, the commits).
 */
function printCpu(api: readonly WindowCpu[], floor: readonly WindowCpu[]): void {
  if (api.length === 0 || floor.length === 0) return;
  const per = (windows: readonly WindowCpu[], pick: (w: WindowCpu) => number) =>
    windows.reduce((sum, w) => sum + pick(w), 0) / windows.reduce((sum, w) => sum + w.answered, 0);
  const split = (windows: readonly WindowCpu[], callers: string) => {
    const [machine, postgres, self, apiProcess] = [
      per(windows, (w) => w.machine),
      per(windows, (w) => w.postgres),
      per(windows, (w) => w.self),
      per(windows, (w) => w.api),
    ];
    const parts = [
      ...(apiProcess > 0 ? [`API ${fmt(apiProcess)}`] : []),
      `Postgres ${fmt(postgres)}`,
      `${callers} ${fmt(self)}`,
      `other ${fmt(machine - apiProcess - postgres - self)}`,
    ];
    const commits = per(windows, (w) => w.commits);
    return `${fmt(machine)} µs (${parts.join(', ')}); ${fmt(commits, 2)} statements`;
  };
  out(`  machine CPU per answer: API ${split(api, 'load generator')}`);
  out(`                          floor ${split(floor, 'callers')}`);
}

function report(label: string, api: Figures, floor: Figures, p99Goal: number | null): void {
  const row = (name: string, f: Figures) =>
    out(
      `  ${name.padEnd(9)} p50 ${fmt(f.p50, 1).padStart(7)} ms  p99 ${fmt(f.p99, 1).padStart(7)} ms  ` +
        `${fmt(f.requests / f.seconds).padStart(7)} req/s  (${fmt(f.requests)} requests, ${fmt(f.errors)} errors)`,
    );
  out();
  out(`${label} (${CONNECTIONS} concurrent, ${ROUNDS} rounds of ${SECONDS} s each, pooled)`);
  row('API', api);
  row('raw SQL', floor);
  const { p99: p99Ratio, rate: rateRatio } = ratios(api, floor);
  out(`  API/floor: p99 ×${fmt(p99Ratio, 2)}, throughput ÷${fmt(rateRatio, 2)}`);
  if (p99Goal !== null) out(`  goal p99 < ${p99Goal} ms: ${api.p99 < p99Goal ? 'met' : 'missed'}`);
  out(
    `  goal within ${GOAL_RATIO}× of the floor: ${p99Ratio <= GOAL_RATIO && rateRatio <= GOAL_RATIO ? 'met' : 'missed'}`,
  );
}

/** The API process over one of its windows: event-loop delay (ms), CPU time (µs), answers. */
type ApiWindowLoad = {
  p50: number;
  p99: number;
  max: number;
  cpuMicros: number;
  systemMicros: number;
  answered: number;
};

/**
 * The event-loop delay of the worst window (each window has its own histogram), and the API
 * process's CPU time per answer over all windows, warm-ups included: what a request costs the API
 * whatever else the machine runs meanwhile, where requests/s move with it.
 */
function printLoad(loads: readonly ApiWindowLoad[]): void {
  const worst = (pick: (l: ApiWindowLoad) => number) => Math.max(...loads.map(pick));
  const cpu = loads.reduce((sum, l) => sum + l.cpuMicros, 0);
  const system = loads.reduce((sum, l) => sum + l.systemMicros, 0);
  const answered = loads.reduce((sum, l) => sum + l.answered, 0);
  out(
    `  API event-loop delay (worst window): p50 ${fmt(
      worst((l) => l.p50),
      1,
    )} ms, p99 ${fmt(
      worst((l) => l.p99),
      1,
    )} ms, max ${fmt(
      worst((l) => l.max),
      1,
    )} ms`,
  );
  out(
    `  API CPU per answer: ${fmt(cpu / answered)} µs, of which the kernel ${fmt(system / answered)} µs (${fmt(answered)} answers)`,
  );
}

async function startApiChild(options: ApiChildOptions) {
  const child = fork(CHILD, [JSON.stringify(options)], {
    // As `minetrace api` runs it (its shebang's young generation).
    execArgv: [
      '--max-semi-space-size=64',
      '--import',
      'tsx',
      ...(PROFILE_DIR === '' ? [] : ['--cpu-prof', `--cpu-prof-dir=${PROFILE_DIR}`]),
    ],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    // As `minetrace` runs it: production mode, unless the caller's environment says otherwise.
    env: { ...process.env, NODE_ENV: process.env.NODE_ENV ?? 'production' },
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const next = (type: ApiChildMessage['type']) =>
    new Promise<ApiChildMessage>((resolve, reject) => {
      const onMessage = (message: ApiChildMessage) => {
        if (message.type !== type) return;
        child.off('message', onMessage);
        resolve(message);
      };
      child.on('message', onMessage);
      void exited.then((code) => reject(new Error(`the API process exited (${code})`)));
    });
  const ready = (await next('ready')) as Extract<ApiChildMessage, { type: 'ready' }>;
  return {
    url: ready.url,
    /** The server's event-loop delay since the previous call. */
    async loopDelay() {
      const reply = next('loop');
      child.send({ type: 'loop' });
      return (await reply) as Extract<ApiChildMessage, { type: 'loop' }>;
    },
    async stop() {
      if (child.exitCode !== null) return;
      child.send({ type: 'stop' });
      await exited;
    },
  };
}

export async function run(): Promise<void> {
  out(`mainnet-like: ${BLOCKS} blocks × ${TXS} txs, seed '${SEED}'`);
  const node = await startMainnetLikeDevnet({ seed: SEED, blocks: BLOCKS, txsPerBlock: TXS, cache: true });
  const testDb = await createTestDatabase('postgres', { name: 'bench_api' });
  const pool = new pg.Pool({ connectionString: testDb.url!, max: 10 });
  pool.on('error', () => {});
  let api: Awaited<ReturnType<typeof startApiChild>> | undefined;
  const redisPrefix = `minetrace-bench:${randomUUID()}`;
  try {
    const started = performance.now();
    const follower = createChainFollower({
      db: testDb.db,
      rpc: new BitcoindRpcClient({ url: node.rpcUrl, restUrl: node.restUrl }),
      pools: loadPools(),
      logger: createLogger({ level: 'warn', name: 'bench' }),
      config: { pollIntervalMs: 60_000 },
    });
    await follower.prepare();
    const round = await follower.reconcile();
    await node.stop();
    out(
      `indexed ${fmt(round.applied)} blocks, ${fmt(round.txs)} txs in ${fmt((performance.now() - started) / 1000, 1)} s`,
    );

    // (b)'s subject: 1,000 payout-receiving addresses, recorded from real outputs where the chain has too few.
    const found = await pool.query<{ n: string }>('SELECT count(DISTINCT address_id) AS n FROM payouts');
    const missing = INCOME_ADDRESSES - Number(found.rows[0]!.n);
    if (missing > 0) {
      const added = await pool.query(
        `WITH chosen AS (
           SELECT o.address_id FROM outputs o
           WHERE o.address_id IS NOT NULL
             AND NOT EXISTS (SELECT 1 FROM payouts p WHERE p.address_id = o.address_id)
           GROUP BY o.address_id ORDER BY min(o.tx_id) LIMIT $1)
         INSERT INTO payouts (payout_tx_id, n, height, pool_id, source_tx_id, address_id, value, hop)
         SELECT o.tx_id, o.n, t.height, coalesce(b.pool_id, (SELECT min(id) FROM pools)), o.tx_id, o.address_id, o.value, 1
         FROM outputs o JOIN txs t ON t.id = o.tx_id JOIN blocks b ON b.height = t.height
         WHERE o.address_id IN (SELECT address_id FROM chosen)
         ON CONFLICT DO NOTHING`,
        [missing],
      );
      out(
        `recorded ${fmt(added.rowCount ?? 0)} outputs of ${fmt(missing)} addresses as payouts (the chain paid too few)`,
      );
    }
    await pool.query('VACUUM ANALYZE');
    const incomeRows = await pool.query<{ address: string; n: string }>(
      `SELECT a.address, count(*) AS n FROM payouts p JOIN addresses a ON a.id = p.address_id
       GROUP BY a.address ORDER BY count(*) DESC, a.address LIMIT $1`,
      [INCOME_ADDRESSES],
    );
    const incomeAddresses = incomeRows.rows.map((row) => row.address);
    const incomePayouts = incomeRows.rows.reduce((sum, row) => sum + Number(row.n), 0);
    const sample = await pool.query<{ address: string }>(
      'SELECT address FROM addresses ORDER BY md5(address) LIMIT $1',
      [ADDRESSES],
    );
    const addresses = sample.rows.map((row) => row.address);
    const counts = await pool.query<{ addresses: string; outputs: string }>(
      'SELECT (SELECT count(*) FROM addresses) AS addresses, (SELECT count(*) FROM outputs) AS outputs',
    );
    out(
      `index: ${fmt(Number(counts.rows[0]!.addresses))} addresses, ${fmt(Number(counts.rows[0]!.outputs))} outputs; ` +
        `looking up ${fmt(addresses.length)} of them; income over ${fmt(incomeAddresses.length)} addresses with ${fmt(incomePayouts)} payouts`,
    );

    api = await startApiChild({
      databaseUrl: testDb.url!,
      rateLimitKeyPrefix: redisPrefix,
      ...(REDIS_URL === undefined ? {} : { redisUrl: REDIS_URL }),
    });
    // Built before the measures, as the floor's parameters are: the load generator's CPU, which
    // shares the machine with the API, is not spent serializing the same few thousand bodies again.
    const addressBodies = addresses.map((a) => JSON.stringify({ query: ADDRESS_QUERY, variables: { a } }));
    const addressBody = (i: number) => addressBodies[i % addressBodies.length]!;
    const incomeBody = JSON.stringify({ query: INCOME_QUERY, variables: { a: incomeAddresses } });

    // Each measure warms up first (plans cached, pools connected, the JIT settled). The event-loop
    // delay and the CPU time are the API process's over each of its windows.
    const loops: ApiWindowLoad[] = [];
    const apiWindow = async (bodyAt: (i: number) => string): Promise<Window & { apiMicros: number }> => {
      await api!.loopDelay();
      const window = await driveApi(api!.url, bodyAt);
      const load = await api!.loopDelay();
      loops.push({ ...load, answered: window.answered });
      return { ...window, apiMicros: load.cpuMicros };
    };
    if (MEASURES.has('address')) {
      await compare(
        pool,
        '(a) address(address): totals and first block',
        () => apiWindow(addressBody),
        () => driveSql(pool, ADDRESS_SQL, (i) => [addresses[i % addresses.length]], 'floor_address'),
        GOAL_P99_MS,
      );
      printLoad(loops.splice(0));
    }

    if (MEASURES.has('income')) {
      await compare(
        pool,
        `(b) miningIncome(addresses: ${incomeAddresses.length}, bucket: DAY)`,
        () => apiWindow(() => incomeBody),
        () => driveSql(pool, INCOME_SQL, () => [incomeAddresses]),
        null,
      );
      printLoad(loops.splice(0));
    }

    const audited = await pool.query<{ n: string }>(
      'SELECT count(*) AS n FROM audit_log WHERE api_key_id IS NULL',
    );
    out();
    out(`audit_log: ${fmt(Number(audited.rows[0]!.n))} operations recorded (open localhost mode)`);
    // Time inside the API (from the request's first byte to its audit row), beside the client's.
    const inside = await pool.query<{ operation_name: string; n: string; p50: number; p99: number }>(
      `SELECT operation_name, count(*) AS n,
              percentile_disc(0.5) WITHIN GROUP (ORDER BY duration_ms) AS p50,
              percentile_disc(0.99) WITHIN GROUP (ORDER BY duration_ms) AS p99
       FROM audit_log WHERE operation_name IS NOT NULL GROUP BY 1 ORDER BY 1`,
    );
    for (const row of inside.rows) {
      out(
        `  inside the API, ${row.operation_name}: p50 ${fmt(row.p50)} ms, p99 ${fmt(row.p99)} ms (${fmt(Number(row.n))} operations, warm-ups included)`,
      );
    }
  } finally {
    await api?.stop();
    await pool.end();
    await node.stop();
    await testDb.close();
  }
}
