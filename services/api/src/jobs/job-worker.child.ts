// A worker process for the crash tests: it runs `test.steps` jobs, and `flowgraph.export` jobs that
// stop half-way through writing their file (`pauseMidWrite`), from the queue named by the
// environment. It says `ready` on stdout once it consumes, `step <job> <i>` after each step and
// `paused <job> <bytes>` where an export stops. The tests kill it with SIGKILL mid-job.
import { openPostgres } from '@minetrace/shared/db';
import { createLogger } from '@minetrace/shared/log';
import { createFlowgraphExportHandler } from './flowgraph-export.job.js';
import { createStepsHandler, pauseMidWrite } from './job.testing.js';
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
    pauseMidWrite(createFlowgraphExportHandler({ db }), (jobId, bytes) =>
      process.stdout.write(`paused ${jobId} ${bytes}\n`),
    ) as never,
  ]),
);
process.stdout.write('ready\n');
