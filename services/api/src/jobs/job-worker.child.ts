// A worker process for the crash test: it runs `test.steps` jobs from the queue named by the
// environment, and says `ready` on stdout once it consumes. The test kills it with SIGKILL mid-job.
import { openPostgres } from '@minetrace/shared/db';
import { createLogger } from '@minetrace/shared/log';
import { createStepsHandler } from './job.testing.js';
import { createJobRegistry } from './job-runner.js';
import { createJobSystem } from './job-system.js';

const env = process.env;
const db = openPostgres(env.DATABASE_URL!);
const system = createJobSystem({
  db,
  config: {
    REDIS_URL: env.REDIS_URL,
    MINETRACE_DATA_DIR: env.MINETRACE_DATA_DIR!,
    JOB_RESULT_TTL: 3600,
    JOB_CONCURRENCY: 1,
    JOB_MAX_ATTEMPTS: 5,
  },
  logger: createLogger({ level: 'silent' }),
  redisPrefix: env.JOB_REDIS_PREFIX,
  timings: { lockDurationMs: 1000, stalledIntervalMs: 500, progressIntervalMs: 0 },
});
await system.startWorker(
  createJobRegistry([
    createStepsHandler({
      onStep: (jobId, step) => process.stdout.write(`step ${jobId} ${step}\n`),
    }) as never,
  ]),
);
process.stdout.write('ready\n');
