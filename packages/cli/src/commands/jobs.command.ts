import { createJobSystem, listJobs } from '@minetrace/api';
import { NonRetryableError } from '@minetrace/shared';
import { type Config, loadConfig } from '@minetrace/shared/config';
import type { Db } from '@minetrace/shared/db';
import { createLogger } from '@minetrace/shared/log';
import { JOB_STATES, type JobState } from '@minetrace/shared/queue';
import type { Command } from 'commander';
import { describeJob, followJobs } from './job-progress.js';
import { openReadyDb, say, waitForShutdown } from './serve.command.js';

function parseJobId(value: string): bigint {
  if (!/^\d{1,18}$/.test(value)) throw new NonRetryableError(`a job id is a decimal number, got '${value}'`);
  return BigInt(value);
}

async function withDb(config: Config, use: (db: Db) => Promise<void>): Promise<void> {
  const db = await openReadyDb(config);
  try {
    await use(db);
  } finally {
    await db.destroy();
  }
}

/** `minetrace jobs list|wait|cancel`: the batch jobs in the configured database. */
export function registerJobs(program: Command): void {
  const jobs = program.command('jobs').description('list, follow and cancel batch jobs');
  jobs
    .command('list')
    .description('the newest jobs, one line each')
    .option('--kind <kind>', 'only jobs of this kind (e.g. index.backfill)')
    .option('--state <state>', `only jobs in this state (${JOB_STATES.join(', ')})`)
    .option('--limit <n>', 'how many', '20')
    .action((options: { kind?: string; state?: string; limit: string }) =>
      withDb(loadConfig(), async (db) => {
        if (options.state !== undefined && !(JOB_STATES as readonly string[]).includes(options.state)) {
          throw new NonRetryableError(
            `--state must be one of ${JOB_STATES.join(', ')}, got '${options.state}'`,
          );
        }
        const limit = Number(options.limit);
        if (!Number.isInteger(limit) || limit < 1 || limit > 10_000) {
          throw new NonRetryableError(`--limit must be an integer from 1 to 10000, got '${options.limit}'`);
        }
        const rows = await listJobs(db, {
          kind: options.kind,
          state: options.state as JobState | undefined,
          afterId: null,
          limit,
        });
        for (const row of rows)
          process.stdout.write(`${describeJob(row)}\t${row.created_at.toISOString()}\n`);
      }),
    );
  jobs
    .command('wait')
    .description('follow jobs until they finish, with a progress bar on a terminal')
    .argument('<ids...>', 'job ids')
    .action((ids: string[]) =>
      withDb(loadConfig(), async (db) => {
        const { signal } = waitForShutdown();
        const rows = await followJobs(db, ids.map(parseJobId), { signal });
        if (rows.length < ids.length) throw new NonRetryableError('some of these jobs do not exist');
        for (const row of rows) say(describeJob(row));
        if (rows.some((row) => row.state !== 'completed')) process.exitCode = 1;
      }),
    );
  jobs
    .command('cancel')
    .description('cancel a queued or running job')
    .argument('<id>', 'job id')
    .action((id: string) => {
      const config = loadConfig();
      return withDb(config, async (db) => {
        // Only the queue side is needed: the running worker notices the state by itself.
        const system = createJobSystem({ db, config, logger: createLogger({ level: 'warn' }) });
        try {
          const job = await system.service.cancel(parseJobId(id));
          if (job === undefined) throw new NonRetryableError(`no job ${id}`);
          say(describeJob(job));
        } finally {
          await system.close();
        }
      });
    });
}
