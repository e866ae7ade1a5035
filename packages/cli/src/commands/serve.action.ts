// The work of `minetrace start`, `migrate`, `index` and `api`, loaded only when one of them runs
// (see serve.command.ts).
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { type ApiServer, createApiServer, type JobSystem, type NodeStatusProvider } from '@minetrace/api';
import {
  DEMO_POOLS,
  type DevnetNode,
  type GroundTruth,
  runScenario,
  startDevnetNode,
} from '@minetrace/devnet';
import {
  BitcoindRpcClient,
  type ChainFollower,
  createChainFollower,
  ZmqSubscriber,
} from '@minetrace/indexer';
import { NonRetryableError } from '@minetrace/shared';
import { type Config, loadConfig } from '@minetrace/shared/config';
import { type Db, describeDb, migrateToLatest, openDb, openPglite } from '@minetrace/shared/db';
import { createLogger, type Logger } from '@minetrace/shared/log';
import { loadPools } from '@minetrace/shared/pools';
import { storeTags } from '@minetrace/shared/tags';
import { sql } from 'kysely';
import {
  applyOptions,
  openReadyDb,
  pipelineOptions,
  rpcFromConfig,
  say,
  waitForShutdown,
} from './cli-runtime.js';
import { runIndexRange } from './index-backfill.js';
import type { IndexRangeArguments } from './serve.command.js';
import { startJobSystem } from './worker.action.js';

/** How often the demo node mines a block after the scenario, so that `start` shows following. */
const DEMO_BLOCK_INTERVAL_MS = 5000;
/** The demo's follower reacts to the in-process node's ZMQ notices at once; this is only the fallback. */
const DEMO_POLL_INTERVAL_MS = 1000;

/** `minetrace start` (see `runStart`). */
export async function startAction(): Promise<void> {
  await runStart(loadConfig());
}

/** `minetrace migrate`. */
export async function migrateAction(): Promise<void> {
  await runMigrate(loadConfig());
}

/** `minetrace index`: follows the node, or with `--from`/`--to` queues backfill jobs (see `runIndexRange`). */
export async function indexAction(options: IndexRangeArguments): Promise<void> {
  if (options.from === undefined && options.to === undefined) await runIndex(loadConfig());
  else await runIndexRange(loadConfig(), options);
}

/** `minetrace api`. */
export async function apiAction(): Promise<void> {
  await runApi(loadConfig());
}

async function runMigrate(config: Config): Promise<void> {
  const where = describeDb(config);
  const db = openDb(config);
  try {
    const applied = await migrateToLatest(db);
    say(
      applied.length === 0
        ? `${where.kind} at ${where.location} is up to date`
        : `applied ${applied.length} migration(s) to ${where.kind} at ${where.location}: ${applied.join(', ')}`,
    );
  } finally {
    await db.destroy();
  }
}

/** The ZMQ doorbell for BITCOIND_ZMQ_URL (comma-separated endpoints), or undefined: poll only. */
function zmqFromConfig(urls: string | null | undefined, logger: Logger): ZmqSubscriber | undefined {
  const endpoints = (urls ?? '')
    .split(',')
    .map((part) => part.trim())
    .filter((part) => part.length > 0);
  return endpoints.length === 0 ? undefined : new ZmqSubscriber({ endpoints, logger });
}

/**
 * `minetrace index`: the follower alone. A node that is down or warming up is waited for (the
 * follower retries with backoff); a node on another network, refused credentials or an outdated
 * schema end the process with the reason.
 */
async function runIndex(config: Config): Promise<void> {
  const logger = createLogger({ level: config.LOG_LEVEL });
  const rpc = rpcFromConfig(config);
  const db = await openReadyDb(config);
  const zmq = zmqFromConfig(config.BITCOIND_ZMQ_URL, logger);
  const { signal, stopped } = waitForShutdown();
  try {
    const follower = createChainFollower({
      db,
      rpc,
      zmq,
      pools: loadPools({ extraFiles: config.MINETRACE_POOLS }),
      logger,
      config: {
        pollIntervalMs: config.POLL_INTERVAL_MS,
        apply: applyOptions(config),
        ...pipelineOptions(config),
      },
      onEvent: (event) => {
        if (event.type === 'state' && event.state === 'ok' && event.previous === 'starting') {
          say(
            `following ${follower.status().chain ?? 'the node'} at ${new URL(config.BITCOIND_RPC_URL!).host}` +
              `${zmq === undefined ? ' (polling, no ZMQ)' : ''}; Ctrl-C stops`,
          );
        }
      },
    });
    const running = follower.run(signal);
    await Promise.race([running, stopped]);
    // Once aborted the follower stops at the next block boundary; wait for it before closing the db.
    await running;
  } finally {
    await zmq?.close();
    await db.destroy();
  }
}

async function runApi(config: Config): Promise<void> {
  const logger = createLogger({ level: config.LOG_LEVEL });
  const db = await openReadyDb(config);
  const { stopped } = waitForShutdown();
  let api: ApiServer | undefined;
  let jobs: JobSystem | undefined;
  try {
    const rpc = config.BITCOIND_RPC_URL === undefined ? undefined : rpcFromConfig(config);
    // Without Redis nobody else runs the jobs this API queues: run them here.
    jobs = await startJobSystem({ db, config, logger, worker: config.REDIS_URL === undefined, rpc });
    api = createApiServer({
      db,
      config,
      logger,
      nodeStatus: rpc && cachedNodeStatus(rpc),
      jobs: { service: jobs.service, dataDir: config.MINETRACE_DATA_DIR },
    });
    const url = await api.listen();
    say(`API listening on ${url} (GraphQL at /graphql; ${await api.describeAccess()})`);
    await stopped;
  } finally {
    await api?.close();
    await jobs?.close();
    await db.destroy();
  }
}

/** `/health`'s view of the node: the follower's last sight of it and its state (`ok`, `node-down`, …). */
function followerNodeStatus(follower: ChainFollower): { height: number | null; state: string } {
  const { nodeHeight, state } = follower.status();
  return { height: nodeHeight, state };
}

/** Asks the node for its height at most every 2 s; null while it cannot be reached. */
function cachedNodeStatus(rpc: BitcoindRpcClient): NodeStatusProvider {
  let cached: { at: number; value: { height: number } | null } | undefined;
  return async () => {
    if (cached !== undefined && Date.now() - cached.at < 2000) return cached.value;
    const value = await rpc.getBlockchainInfo().then(
      (info) => ({ height: info.blocks }),
      () => null,
    );
    cached = { at: Date.now(), value };
    return value;
  };
}

/**
 * `minetrace start`. Without BITCOIND_RPC_URL it runs the demo: a regtest node in this process
 * with the demo scenario, indexed into an embedded database under `MINETRACE_DATA_DIR/demo` that
 * is rebuilt at every start (the node's chain is new each time, so yesterday's rows would belong
 * to another chain). It never touches `MINETRACE_DATA_DIR/pglite`, the embedded database of a
 * real node. With BITCOIND_RPC_URL set it follows that node into the configured database.
 */
async function runStart(config: Config): Promise<void> {
  const logger = createLogger({ level: config.LOG_LEVEL });
  const demo = config.BITCOIND_RPC_URL === undefined;
  if (demo && config.DATABASE_URL !== undefined) {
    throw new NonRetryableError(
      'the demo (BITCOIND_RPC_URL unset) indexes a new chain at every start into its own embedded database; ' +
        'unset DATABASE_URL, or set BITCOIND_RPC_URL to index a real node into it',
    );
  }
  const { signal, stopped } = waitForShutdown();
  let node: DevnetNode | undefined;
  let db: Db | undefined;
  let api: ApiServer | undefined;
  let miner: NodeJS.Timeout | undefined;
  let truth: GroundTruth | undefined;
  let zmq: ZmqSubscriber | undefined;
  let jobs: JobSystem | undefined;
  let jobsDir: string | undefined;
  try {
    let rpc: BitcoindRpcClient;
    if (demo) {
      const started = performance.now();
      node = await startDevnetNode();
      truth = runScenario('demo', node.chain);
      say(
        `demo node (regtest) at ${new URL(node.rpcUrl).host}: scenario '${truth.scenario}' built ` +
          `${truth.tip.height} blocks in ${seconds(started)}`,
      );
      rpc = new BitcoindRpcClient({ url: node.rpcUrl, restUrl: node.restUrl });
      const dir = path.resolve(config.MINETRACE_DATA_DIR, 'demo');
      await rm(dir, { recursive: true, force: true });
      // The demo's job results belong to the demo's database: both start empty.
      jobsDir = path.resolve(config.MINETRACE_DATA_DIR, 'demo-jobs');
      await rm(jobsDir, { recursive: true, force: true });
      db = openPglite(dir);
      await migrateToLatest(db);
      // The scenario's sanctions-like list and exchange attribution, as an investigator would import them.
      await storeTags(
        db,
        truth.tags.map((tag) => ({ ...tag, tagpack: 'demo scenario' })),
        'demo',
      );
      zmq = zmqFromConfig(node.zmqUrl, logger);
    } else {
      rpc = rpcFromConfig(config);
      db = await openReadyDb(config);
      zmq = zmqFromConfig(config.BITCOIND_ZMQ_URL, logger);
    }

    const pools = loadPools({ extraFiles: config.MINETRACE_POOLS });
    const follower: ChainFollower = createChainFollower({
      db,
      rpc,
      zmq,
      pools,
      logger,
      config: {
        pollIntervalMs: demo ? DEMO_POLL_INTERVAL_MS : config.POLL_INTERVAL_MS,
        apply: applyOptions(config),
        ...pipelineOptions(config),
      },
    });
    const prepared = await follower.prepare();
    // This process runs jobs too: alone without Redis, alongside any `minetrace worker` with it.
    jobs = await startJobSystem({ db, config, logger, worker: true, rpc, pools, dataDir: jobsDir });
    api = createApiServer({
      db,
      config,
      logger,
      nodeStatus: () => followerNodeStatus(follower),
      extraMetrics: () => follower.metrics(),
      jobs: { service: jobs.service, dataDir: jobsDir ?? config.MINETRACE_DATA_DIR },
    });
    // A real node may be days of blocks ahead: serve /health during the catch-up. The demo's URL is
    // printed once the demo chain is indexed, so that whoever opens it sees the whole demo.
    if (!demo)
      say(`API listening on ${await api.listen()} (GraphQL at /graphql; ${await api.describeAccess()})`);
    const started = performance.now();
    const round = await follower.reconcile(signal);
    if (signal.aborted) return;
    say(
      `indexed ${round.applied} blocks and ${round.txs} transactions of ${prepared.chain} in ${seconds(started)}; ` +
        `tip ${round.tip?.height ?? 'none'}`,
    );
    say(`pools: ${await describePools(db)}`);

    if (demo)
      say(`API listening on ${await api.listen()} (GraphQL at /graphql; ${await api.describeAccess()})`);

    if (node !== undefined && truth !== undefined) {
      miner = startDemoMiner(node, truth, logger);
      say(`the demo node mines a block every ${DEMO_BLOCK_INTERVAL_MS / 1000} s; Ctrl-C stops`);
    } else {
      say('following the node; Ctrl-C stops');
    }
    const running = follower.run(signal);
    const name = await Promise.race([running.then(() => 'stop'), stopped]);
    say(`${name}: shutting down`);
    await running;
  } finally {
    if (miner !== undefined) clearInterval(miner);
    await zmq?.close();
    await api?.close();
    await jobs?.close();
    await db?.destroy();
    await node?.stop();
  }
}

/**
 * Mines on a timer, rotating the demo's pools (tag and payout address as the scenario used them) so
 * that new blocks are attributed as the scenario's were.
 */
function startDemoMiner(node: DevnetNode, truth: GroundTruth, logger: Logger): NodeJS.Timeout {
  const anyAddress = truth.entities.find((entity) => entity.addresses.length > 0)?.addresses[0];
  if (anyAddress === undefined) throw new NonRetryableError('the demo scenario has no addresses to mine to');
  const payTo = (pool: (typeof DEMO_POOLS)[number]) =>
    truth.entities.find(
      (entity) => entity.kind === 'pool' && (entity.name === pool.slug || entity.name === pool.name),
    )?.addresses[0] ?? anyAddress;
  let turn = 0;
  return setInterval(() => {
    const pool = DEMO_POOLS[turn % DEMO_POOLS.length]!;
    turn += 1;
    try {
      node.chain.mine({ coinbaseOutputs: payTo(pool), coinbaseTag: pool.tag });
    } catch (err) {
      logger.warn({ err }, 'the demo node could not mine');
    }
  }, DEMO_BLOCK_INTERVAL_MS);
}

async function describePools(db: Db): Promise<string> {
  const rows = await sql<{ name: string | null; blocks: bigint }>`
    SELECT p.name, count(*) AS blocks FROM blocks b LEFT JOIN pools p ON p.id = b.pool_id
    GROUP BY p.name ORDER BY count(*) DESC, p.name`.execute(db);
  if (rows.rows.length === 0) return 'no blocks';
  return rows.rows.map((row) => `${row.name ?? 'unknown'} ${row.blocks}`).join(', ');
}

function seconds(since: number): string {
  return `${((performance.now() - since) / 1000).toFixed(1)} s`;
}
