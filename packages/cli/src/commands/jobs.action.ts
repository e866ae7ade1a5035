// The work of `minetrace jobs list|wait|cancel`, loaded only when one runs (see jobs.command.ts).
import { createJobSystem, listJobs } from '@minetrace/api';
import { NonRetryableError } from '@minetrace/shared';
import { loadConfig } from '@minetrace/shared/config';
import { createLogger } from '@minetrace/shared/log';
import { JOB_STATES, type JobState } from '@minetrace/shared/queue';
import { apiClientFromEnv } from '../api-client.js';
import { say, waitForShutdown, withReadyDb } from './cli-runtime.js';
import { describeJob, followJobs, followJobsWith } from './job-progress.js';
import { cancelJobOverHttp, listJobsOverHttp, readJobOverHttp } from './jobs-over-http.js';

function parseJobId(value: string): bigint {
  if (!/^\d{1,18}$/.test(value)) throw new NonRetryableError(`a job id is a decimal number, got '${value}'`);
  return BigInt(value);
}

/** `minetrace jobs list`: the newest jobs, one line each. */
export async function jobsListAction(options: {
  kind?: string;
  state?: string;
  limit: string;
}): Promise<void> {
  if (options.state !== undefined && !(JOB_STATES as readonly string[]).includes(options.state)) {
    throw new NonRetryableError(`--state must be one of ${JOB_STATES.join(', ')}, got '${options.state}'`);
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
}

/** `minetrace jobs wait`: follows the jobs until they finish; exit code 1 unless all completed. */
export async function jobsWaitAction(ids: string[]): Promise<void> {
  const { signal } = waitForShutdown();
  const client = apiClientFromEnv();
  const rows =
    client === null
      ? await withReadyDb(loadConfig(), (db) => followJobs(db, ids.map(parseJobId), { signal }))
      : await followJobsWith((id) => readJobOverHttp(client, id), ids.map(parseJobId), { signal });
  if (rows.length < ids.length) throw new NonRetryableError('some of these jobs do not exist');
  for (const row of rows) say(describeJob(row));
  if (rows.some((row) => row.state !== 'completed')) process.exitCode = 1;
}

/** `minetrace jobs cancel`. */
export async function jobsCancelAction(id: string): Promise<void> {
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
}
