import { createJobSystem, listJobs } from '@minetrace/api';
import { NonRetryableError } from '@minetrace/shared';
import { loadConfig } from '@minetrace/shared/config';
import { createLogger } from '@minetrace/shared/log';
import { JOB_STATES, type JobState } from '@minetrace/shared/queue';
import type { Command } from 'commander';
import { apiClientFromEnv } from '../api-client.js';
import { say, waitForShutdown, withReadyDb } from './cli-runtime.js';
import { describeJob, followJobs, followJobsWith } from './job-progress.js';
import { cancelJobOverHttp, listJobsOverHttp, readJobOverHttp } from './jobs-over-http.js';

function parseJobId(value: string): bigint {
  if (!/^\d{1,18}$/.test(value)) throw new NonRetryableError(`a job id is a decimal number, got '${value}'`);
  return BigInt(value);
}

/**
 * `minetrace jobs list|wait|cancel`: the batch jobs in the configured database, or, with
 * `MINETRACE_API_URL` set, on that server (`jobs`, `job(id)`, `cancelJob`: a key sees the jobs it
 * queued, an admin key every job).
 */
export function registerJobs(program: Command): void {
  const jobs = program.command('jobs').description('list, follow and cancel batch jobs');
  jobs
    .command('list')
    .description('the newest jobs, one line each')
    .option('--kind <kind>', 'only jobs of this kind (e.g. index.backfill)')
    .option('--state <state>', `only jobs in this state (${JOB_STATES.join(', ')})`)
    .option('--limit <n>', 'how many', '20')
    .action(async (options: { kind?: string; state?: string; limit: string }) => {
      if (options.state !== undefined && !(JOB_STATES as readonly string[]).includes(options.state)) {
        throw new NonRetryableError(
          `--state must be one of ${JOB_STATES.join(', ')}, got '${options.state}'`,
        );
      }
      const limit = Number(options.limit);
      if (!Number.isInteger(limit) || limit < 1 || limit > 10_000) {
        throw new NonRetryableError(`--limit must be an integer from 1 to 10000, got '${options.limit}'`);
      }
      const client = apiClientFromEnv();
      const rows =
        client === null
          ? await withReadyDb(loadConfig(), (db) =>
              listJobs(db, {
                kind: options.kind,
                state: options.state as JobState | undefined,
                afterId: null,
                limit,
              }),
            )
          : await listJobsOverHttp(client, { kind: options.kind, state: options.state, limit });
      for (const row of rows) process.stdout.write(`${describeJob(row)}\t${row.created_at.toISOString()}\n`);
    });
  jobs
    .command('wait')
    .description('follow jobs until they finish, with a progress bar on a terminal')
    .argument('<ids...>', 'job ids')
    .action(async (ids: string[]) => {
      const { signal } = waitForShutdown();
      const client = apiClientFromEnv();
      const rows =
        client === null
          ? await withReadyDb(loadConfig(), (db) => followJobs(db, ids.map(parseJobId), { signal }))
          : await followJobsWith((id) => readJobOverHttp(client, id), ids.map(parseJobId), { signal });
      if (rows.length < ids.length) throw new NonRetryableError('some of these jobs do not exist');
      for (const row of rows) say(describeJob(row));
      if (rows.some((row) => row.state !== 'completed')) process.exitCode = 1;
    });
  jobs
    .command('cancel')
    .description('cancel a queued or running job')
    .argument('<id>', 'job id')
    .action(async (id: string) => {
      const client = apiClientFromEnv();
      if (client !== null) {
        say(describeJob(await cancelJobOverHttp(client, parseJobId(id))));
        return;
      }
      const config = loadConfig();
      await withReadyDb(config, async (db) => {
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
