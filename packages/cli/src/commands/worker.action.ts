// The work of `minetrace worker`, loaded only when the command runs (see worker.command.ts), and the
// job system that `start`, `api`, `index --from` and `screen --job` run as well.
import {
  createApiJobHandlers,
  createJobRegistry,
  createJobSystem,
  type JobRegistry,
  type JobSystem,
  loadScreenRules,
  unavailableHandler,
} from '@minetrace/api';
import {
  type BitcoindRpcClient,
  createClusterRebuildHandler,
  createIndexBackfillHandler,
} from '@minetrace/indexer';
import { NonRetryableError } from '@minetrace/shared';
import { type Config, loadConfig } from '@minetrace/shared/config';
import type { Db } from '@minetrace/shared/db';
import { createLogger, type Logger } from '@minetrace/shared/log';
import { loadPools, type PoolSet } from '@minetrace/shared/pools';
import type { JobHandler } from '@minetrace/shared/queue';
import {
  applyOptions,
  openReadyDb,
  pipelineOptions,
  rpcFromConfig,
  say,
  waitForShutdown,
} from './cli-runtime.js';

export interface WorkerRegistryDeps {
  db: Db;
  config: Config;
  /** The node backfill jobs read; without it they fail saying BITCOIND_RPC_URL is not set. */
  rpc: BitcoindRpcClient | undefined;
  pools?: PoolSet;
}

/** Every job kind this build runs, wired to the configured database and node. */
export function workerRegistry(deps: WorkerRegistryDeps): JobRegistry {
  const { db, config } = deps;
  const backfill =
    deps.rpc === undefined
      ? unavailableHandler('index.backfill', 'BITCOIND_RPC_URL is not set in the worker')
      : (createIndexBackfillHandler({
          db,
          rpc: deps.rpc,
          pools: deps.pools ?? loadPools({ extraFiles: config.MINETRACE_POOLS }),
          derive: applyOptions(config),
          ...pipelineOptions(config),
        }) as JobHandler<never>);
  return createJobRegistry([
    backfill,
    createClusterRebuildHandler({ db, finalityDepth: config.FINALITY_DEPTH }) as JobHandler<never>,
    ...createApiJobHandlers({
      db,
      screen: { rules: loadScreenRules(config.SCREEN_RULES_FILE), maxHops: config.SCREEN_MAX_HOPS },
    }),
  ]);
}

/** The job system of a `start`/`api` process: it enqueues, and runs a worker when `worker` is true. */
export async function startJobSystem(deps: {
  db: Db;
  config: Config;
  logger: Logger;
  worker: boolean;
  rpc: BitcoindRpcClient | undefined;
  pools?: PoolSet;
  /** Where result files go; default `MINETRACE_DATA_DIR`. */
  dataDir?: string;
}): Promise<JobSystem> {
  const config = { ...deps.config, MINETRACE_DATA_DIR: deps.dataDir ?? deps.config.MINETRACE_DATA_DIR };
  const system = createJobSystem({ db: deps.db, config, logger: deps.logger });
  if (deps.worker) {
    await system.startWorker(workerRegistry({ db: deps.db, config, rpc: deps.rpc, pools: deps.pools }));
  }
  return system;
}

/** `minetrace worker`: runs batch jobs from the Redis queue until stopped (see `registerWorker`). */
export async function workerAction(): Promise<void> {
  await runWorker(loadConfig());
}

async function runWorker(config: Config): Promise<void> {
  if (config.REDIS_URL === undefined) {
    throw new NonRetryableError(
      'REDIS_URL is not set: workers share jobs through Redis (without it, `minetrace start` and ' +
        '`minetrace api` run jobs in their own process)',
    );
  }
  const logger = createLogger({ level: config.LOG_LEVEL });
  const db = await openReadyDb(config);
  const { stopped } = waitForShutdown();
  let system: JobSystem | undefined;
  try {
    const rpc = config.BITCOIND_RPC_URL === undefined ? undefined : rpcFromConfig(config);
    system = await startJobSystem({ db, config, logger, worker: true, rpc });
    say(
      `worker running ${config.JOB_CONCURRENCY} job(s) at a time from ${new URL(config.REDIS_URL).host}` +
        `${rpc === undefined ? ' (no BITCOIND_RPC_URL: backfill jobs fail)' : ''}; Ctrl-C stops`,
    );
    const name = await stopped;
    say(`${name}: finishing at the next safe point; unfinished jobs go back to the queue`);
  } finally {
    await system?.close();
    await db.destroy();
  }
}
