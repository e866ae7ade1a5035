import type { Config } from '@minetrace/shared/config';
import type { Db } from '@minetrace/shared/db';
import type { Logger } from '@minetrace/shared/log';
import { createJobRunner, type JobRegistry, type JobRunner, type JobRunnerDeps } from './job-runner.js';
import { createJobService, type JobService } from './job-service.js';
import {
  type BullmqTransportOptions,
  createBullmqTransport,
  createInProcessTransport,
  type JobTransport,
} from './job-transport.js';

/** The settings the job system reads. */
export type JobSystemConfig = Pick<
  Config,
  'REDIS_URL' | 'MINETRACE_DATA_DIR' | 'JOB_RESULT_TTL' | 'JOB_CONCURRENCY' | 'JOB_MAX_ATTEMPTS'
> &
  Partial<Pick<Config, 'JOB_QUEUE_PREFIX'>>;

/** Queue timings a test shortens; production uses the defaults. */
export type JobTimings = Pick<BullmqTransportOptions, 'backoffMs' | 'lockDurationMs' | 'stalledIntervalMs'> &
  Pick<JobRunnerDeps, 'cancelPollMs' | 'progressIntervalMs'>;

export interface JobSystemDeps {
  db: Db;
  config: JobSystemConfig;
  logger: Logger;
  /** Redis key prefix of the queue; overrides `JOB_QUEUE_PREFIX`. @defaultValue `minetrace` */
  redisPrefix?: string;
  timings?: JobTimings;
}

/** One process's part in the job system: it enqueues, and may run jobs. */
export interface JobSystem {
  /** `bullmq` with REDIS_URL, else `in-process` (jobs run only in this process). */
  readonly mode: JobTransport['kind'];
  readonly service: JobService;
  /** Starts running jobs in this process with these handlers; at most once. */
  startWorker(registry: JobRegistry): Promise<JobRunner>;
  /** Stops the worker (waiting for jobs in progress) and closes the queue connections. */
  close(): Promise<void>;
}

/**
 * Picks the transport from the configuration: BullMQ on `REDIS_URL`, where any number of worker
 * processes share the jobs, or the in-process queue when REDIS_URL is unset. Without Redis a job
 * enqueued here runs only if this process starts a worker.
 */
export function createJobSystem(deps: JobSystemDeps): JobSystem {
  const transport =
    deps.config.REDIS_URL === undefined
      ? createInProcessTransport({ backoffMs: deps.timings?.backoffMs })
      : createBullmqTransport({
          url: deps.config.REDIS_URL,
          prefix: deps.redisPrefix ?? deps.config.JOB_QUEUE_PREFIX,
          logger: deps.logger,
          backoffMs: deps.timings?.backoffMs,
          lockDurationMs: deps.timings?.lockDurationMs,
          stalledIntervalMs: deps.timings?.stalledIntervalMs,
        });
  const service = createJobService({ db: deps.db, transport, maxAttempts: deps.config.JOB_MAX_ATTEMPTS });
  let runner: JobRunner | undefined;
  return {
    mode: transport.kind,
    service,
    async startWorker(registry) {
      if (runner !== undefined) throw new Error('the worker of this job system is already started');
      runner = createJobRunner({
        db: deps.db,
        transport,
        registry,
        logger: deps.logger,
        dataDir: deps.config.MINETRACE_DATA_DIR,
        resultTtlSeconds: deps.config.JOB_RESULT_TTL,
        concurrency: deps.config.JOB_CONCURRENCY,
        cancelPollMs: deps.timings?.cancelPollMs,
        progressIntervalMs: deps.timings?.progressIntervalMs,
      });
      await runner.start();
      return runner;
    },
    async close() {
      if (runner !== undefined) await runner.close();
      else await transport.close();
    },
  };
}
