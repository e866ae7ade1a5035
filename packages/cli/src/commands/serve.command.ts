import type { Command } from 'commander';

/** Heights per backfill job when `--chunk` is not given. */
export const DEFAULT_BACKFILL_CHUNK = 1000;

/** The command line of `minetrace index --from --to`, before validation. */
export interface IndexRangeArguments {
  from?: string;
  to?: string;
  chunk?: string;
  detach?: boolean;
}

/** `start`, `migrate`, `index`, `api`: the commands that run minetrace's services. */
export function registerServe(program: Command): void {
  program
    .command('start')
    .description(
      'index and serve in one process: with BITCOIND_RPC_URL unset, a built-in regtest node with the demo scenario',
    )
    .action(async () => {
      const { startAction } = await import('./serve.action.js');
      await startAction();
    });
  program
    .command('migrate')
    .description('apply pending database migrations (DATABASE_URL, or the embedded database)')
    .action(async () => {
      const { migrateAction } = await import('./serve.action.js');
      await migrateAction();
    });
  program
    .command('index')
    .description(
      'follow the node at BITCOIND_RPC_URL into the database; with --from/--to, queue backfill jobs for those heights',
    )
    .option('--from <height>', 'first height to backfill (queues index.backfill jobs instead of following)')
    .option('--to <height>', 'last height to backfill, inclusive')
    .option('--chunk <heights>', `heights per backfill job (default ${DEFAULT_BACKFILL_CHUNK})`)
    .option('--detach', 'queue the jobs and return without following their progress (needs REDIS_URL)')
    .action(async (options: IndexRangeArguments) => {
      const { indexAction } = await import('./serve.action.js');
      await indexAction(options);
    });
  program
    .command('api')
    .description('serve the API on API_HOST:API_PORT from the database')
    .action(async () => {
      const { apiAction } = await import('./serve.action.js');
      await apiAction();
    });
}
