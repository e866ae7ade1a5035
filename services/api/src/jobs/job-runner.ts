import { randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, open, readdir, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { finished } from 'node:stream/promises';
import { RetryableError } from '@minetrace/shared';
import { type Db, parseDbError } from '@minetrace/shared/db';
import type { Logger } from '@minetrace/shared/log';
import {
  type JobContext,
  type JobHandler,
  type JobOutcome,
  type JobProgressUpdate,
  type JobResultFile,
  JobUnavailableError,
  JobWaitError,
} from '@minetrace/shared/queue';
import { z } from 'zod';
import {
  claimJob,
  completeJob,
  deleteExpiredResults,
  failJob,
  referencedResultFiles,
  releaseJob,
  runStillOwns,
  unfinishedJobs,
  writeProgress,
} from './job-store.js';
import type { DeliveryVerdict, JobDelivery, JobTransport } from './job-transport.js';

/** The handlers a worker can run, by kind. */
export type JobRegistry = ReadonlyMap<string, JobHandler<never>>;

/** Builds a registry; a kind given twice is a programming error. */
export function createJobRegistry(handlers: ReadonlyArray<JobHandler<never>>): JobRegistry {
  const registry = new Map<string, JobHandler<never>>();
  for (const handler of handlers) {
    if (registry.has(handler.kind)) throw new Error(`two handlers for job kind ${handler.kind}`);
    registry.set(handler.kind, handler);
  }
  return registry;
}

/** A handler for a kind whose implementation this build lacks: every job of it fails saying so. */
export function unavailableHandler(kind: string, why: string): JobHandler<never> {
  return {
    kind,
    schema: z.unknown() as never,
    run: async () => {
      throw new JobUnavailableError(`${kind} jobs are unavailable: ${why}`);
    },
  };
}

/** Directory of result files under `MINETRACE_DATA_DIR`. */
export function resultDir(dataDir: string): string {
  return path.resolve(dataDir, 'jobs');
}

export interface JobRunnerDeps {
  db: Db;
  transport: JobTransport;
  registry: JobRegistry;
  logger: Logger;
  /** `MINETRACE_DATA_DIR`; result files go to its `jobs/` directory. */
  dataDir: string;
  /** `JOB_RESULT_TTL`, seconds. */
  resultTtlSeconds: number;
  /** `JOB_CONCURRENCY`. */
  concurrency: number;
  /** How often a running job checks whether it was cancelled. @defaultValue 1000 */
  cancelPollMs?: number;
  /** Least time between two progress writes of one job. @defaultValue 250 */
  progressIntervalMs?: number;
  /** How often expired results are deleted. @defaultValue 600000 */
  sweepIntervalMs?: number;
}

/** Runs the jobs the transport delivers. */
export interface JobRunner {
  /** Starts consuming, and (in-process transport) hands back the jobs a previous process left. */
  start(): Promise<void>;
  /** Runs one delivery (what `start` does for each); exposed for the transports' tests. */
  handle(delivery: JobDelivery): Promise<DeliveryVerdict>;
  /** Deletes expired results and orphaned result files now. */
  sweep(): Promise<{ results: number; files: number }>;
  /**
   * Stops taking jobs, asks those in progress to stop at their next safe point (they go back to the
   * queue, for another worker or the next start), waits for them, closes the transport.
   */
  close(): Promise<void>;
}

/** Result files younger than this are never treated as orphans (their run may still commit). */
const ORPHAN_AGE_MS = 24 * 3600 * 1000;

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

export function createJobRunner(deps: JobRunnerDeps): JobRunner {
  const logger = deps.logger.child({ component: 'job-runner' });
  const dir = resultDir(deps.dataDir);
  const cancelPollMs = deps.cancelPollMs ?? 1000;
  const progressIntervalMs = deps.progressIntervalMs ?? 250;
  let sweeper: NodeJS.Timeout | undefined;
  /** Runs in progress; `close()` aborts them so that they stop at a safe point and go back to the queue. */
  const active = new Set<AbortController>();
  const SHUTDOWN = new Error('the worker is shutting down');

  async function handle(delivery: JobDelivery): Promise<DeliveryVerdict> {
    const id = BigInt(delivery.jobId);
    const token = randomUUID();
    const job = await claimJob(deps.db, id, token);
    if (job === undefined) return { type: 'done' };
    const log = logger.child({ job_id: delivery.jobId, kind: job.kind, attempt: job.attempts });
    if (job.attempts > job.max_attempts) {
      // Runs that died without a word (killed workers) count too: a job that kills its worker stops here.
      const error = `gave up after ${job.max_attempts} runs; last error: ${job.error ?? 'the worker stopped'}`;
      await releaseJob(deps.db, id, token, { to: 'failed', error });
      return { type: 'failed', error };
    }
    const handler = deps.registry.get(job.kind);
    if (handler === undefined) {
      const error = `no handler for job kind ${job.kind} in this worker`;
      await failJob(deps.db, id, error);
      return { type: 'failed', error };
    }
    const parsed = handler.schema.safeParse(job.payload);
    if (!parsed.success) {
      const error = `invalid ${job.kind} payload: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`;
      await failJob(deps.db, id, error);
      return { type: 'failed', error };
    }

    const controller = new AbortController();
    active.add(controller);
    // A run stopped by the worker's shutdown goes back to the queue, without spending an attempt.
    const requeueIfShutdown = async (): Promise<DeliveryVerdict | undefined> => {
      if (controller.signal.reason !== SHUTDOWN) return undefined;
      await releaseJob(deps.db, id, token, { to: 'queued', error: null, refund: true });
      log.info('job stopped by the worker shutdown; back in the queue');
      return { type: 'wait', delayMs: 0 };
    };
    const watch = setInterval(() => {
      runStillOwns(deps.db, id, token).then(
        (owns) => {
          if (!owns) controller.abort(new Error('the job was cancelled or taken over'));
        },
        (err) => log.warn({ err }, 'could not check the job state'),
      );
    }, cancelPollMs);

    // Progress writes are chained (never out of order) and throttled; the last one is kept.
    let lastWrite = 0;
    let pending: JobProgressUpdate | undefined;
    let writing: Promise<void> = Promise.resolve();
    let flushTimer: NodeJS.Timeout | undefined;
    const flush = () => {
      flushTimer = undefined;
      const update = pending;
      pending = undefined;
      if (update === undefined) return;
      lastWrite = Date.now();
      writing = writing
        .then(() => writeProgress(deps.db, id, token, update))
        .catch((err) => log.warn({ err }, 'could not record progress'));
    };
    const files: string[] = [];
    const ctx: JobContext<never> = {
      jobId: id,
      payload: parsed.data as never,
      attempt: job.attempts,
      signal: controller.signal,
      logger: log,
      progress(update) {
        pending = update;
        const wait = progressIntervalMs - (Date.now() - lastWrite);
        if (wait <= 0) flush();
        else flushTimer ??= setTimeout(flush, wait);
      },
      async writeFile(options, write) {
        await mkdir(dir, { recursive: true });
        await removeFilesOfEarlierRuns(id, token);
        const extension = options.extension.replace(/[^a-z0-9.]/gi, '');
        const fileName = `${delivery.jobId}-${token}.${extension}`;
        const finalPath = path.join(dir, fileName);
        const tempPath = `${finalPath}.tmp`;
        files.push(finalPath, tempPath);
        const out = createWriteStream(tempPath);
        const closed = finished(out);
        // Awaited below once `write` succeeds; when `write` throws instead, a stream error must not
        // also surface as an unhandled rejection.
        closed.catch(() => {});
        try {
          await write(out);
        } finally {
          out.end();
        }
        await closed;
        // On disk before the rename, and the rename before the row that points at the file.
        const handle = await open(tempPath, 'r');
        try {
          await handle.sync();
        } finally {
          await handle.close();
        }
        await rename(tempPath, finalPath);
        const { size } = await stat(finalPath);
        return { fileName, contentType: options.contentType, bytes: size } satisfies JobResultFile;
      },
    };

    const discardFiles = () => Promise.all(files.map((file) => rm(file, { force: true }))).then(() => {});
    const started = performance.now();
    try {
      let outcome: JobOutcome;
      try {
        outcome = await handler.run(ctx);
      } finally {
        clearInterval(watch);
        active.delete(controller);
        if (flushTimer !== undefined) clearTimeout(flushTimer);
        // The last report is written, not dropped by the throttle: a finished job shows its final counts.
        flush();
        await writing;
      }
      if (controller.signal.aborted) {
        await discardFiles();
        const requeued = await requeueIfShutdown();
        if (requeued !== undefined) return requeued;
        log.info('job stopped: cancelled or taken over');
        return { type: 'done' };
      }
      const completed = await completeJob(deps.db, id, token, {
        data: outcome.data,
        file: outcome.file,
        ttlSeconds: deps.resultTtlSeconds,
      });
      if (!completed) {
        await discardFiles();
        log.info('job finished but no longer ours (cancelled or taken over); result discarded');
        return { type: 'done' };
      }
      log.info({ duration_ms: Math.round(performance.now() - started) }, 'job completed');
      return { type: 'done' };
    } catch (thrown) {
      await discardFiles().catch(() => {});
      if (controller.signal.aborted) {
        const requeued = await requeueIfShutdown();
        if (requeued !== undefined) return requeued;
        log.info('job stopped: cancelled or taken over');
        return { type: 'done' };
      }
      const err = parseDbError(thrown);
      if (err instanceof JobWaitError) {
        await releaseJob(deps.db, id, token, { to: 'queued', error: null, refund: true });
        log.debug({ delay_ms: err.delayMs, reason: err.message }, 'job waits');
        return { type: 'wait', delayMs: err.delayMs };
      }
      if (err instanceof RetryableError && job.attempts < job.max_attempts) {
        await releaseJob(deps.db, id, token, { to: 'queued', error: err.message });
        log.warn({ err }, 'job failed with a transient error; retrying with backoff');
        return { type: 'retry', error: err.message };
      }
      const error =
        err instanceof RetryableError ? `gave up after ${job.attempts} runs: ${err.message}` : message(err);
      await releaseJob(deps.db, id, token, { to: 'failed', error });
      if (err instanceof JobUnavailableError) log.warn({ reason: err.message }, 'job failed');
      else log.error({ err }, 'job failed');
      return { type: 'failed', error };
    }
  }

  /**
   * Removes the files earlier runs of a job left (a killed worker's half-written temporary file, or
   * a renamed file whose commit never came). Safe once this run has claimed the job: a claim gives
   * the job a new run token, so no earlier run can commit a result that names its file any more.
   */
  async function removeFilesOfEarlierRuns(id: bigint, token: string): Promise<void> {
    const prefix = `${id}-`;
    const names = await readdir(dir).catch(() => [] as string[]);
    for (const name of names) {
      if (name.startsWith(prefix) && !name.startsWith(`${prefix}${token}.`)) {
        await rm(path.join(dir, name), { force: true });
      }
    }
  }

  async function sweep(): Promise<{ results: number; files: number }> {
    const expired = await deleteExpiredResults(deps.db);
    for (const file of expired) await rm(path.join(dir, path.basename(file)), { force: true });
    // Files of runs that never committed (a crash between rename and commit, a run taken over).
    let orphans = 0;
    const names = await readdir(dir).catch(() => [] as string[]);
    if (names.length > 0) {
      const referenced = await referencedResultFiles(deps.db);
      for (const name of names) {
        if (referenced.has(name)) continue;
        const info = await stat(path.join(dir, name)).catch(() => undefined);
        if (info === undefined || Date.now() - info.mtimeMs < ORPHAN_AGE_MS) continue;
        await rm(path.join(dir, name), { force: true });
        orphans += 1;
      }
    }
    return { results: expired.length, files: expired.length + orphans };
  }

  return {
    handle,
    sweep,
    async start() {
      deps.transport.consume(handle, { concurrency: deps.concurrency });
      if (deps.transport.kind === 'in-process') {
        // Nobody else holds these: the process that queued or ran them is gone.
        for (const job of await unfinishedJobs(deps.db)) {
          await deps.transport.dispatch({ jobId: String(job.id), kind: job.kind }, { attempts: 1_000 });
        }
      }
      const runSweep = () =>
        sweep().then(
          (swept) => {
            if (swept.files > 0 || swept.results > 0) logger.info(swept, 'expired job results deleted');
          },
          (err) => logger.warn({ err }, 'could not delete expired job results'),
        );
      void runSweep();
      sweeper = setInterval(runSweep, deps.sweepIntervalMs ?? 600_000);
      sweeper.unref();
    },
    async close() {
      if (sweeper !== undefined) clearInterval(sweeper);
      for (const controller of active) controller.abort(SHUTDOWN);
      await deps.transport.close();
    },
  };
}
