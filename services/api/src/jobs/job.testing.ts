import { type ChildProcess, spawn } from 'node:child_process';
import { Writable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { RetryableError } from '@minetrace/shared';
import type { Db } from '@minetrace/shared/db';
import type { Logger } from '@minetrace/shared/log';
import type { JobHandler } from '@minetrace/shared/queue';
import { z } from 'zod';
import { createJobSystem, type JobSystem, type JobTimings } from './job-system.js';

/** Payload of the test-only `test.steps` job. */
export const stepsSchema = z.object({
  steps: z.number().int().min(1).max(100_000),
  /** Time each step takes, so a test can stop a worker mid-job. */
  stepMs: z.number().int().min(0).max(60_000),
  /** Runs that fail with a transient error before one succeeds. @defaultValue 0 */
  failRuns: z.number().int().min(0).default(0),
});
export type StepsPayload = z.infer<typeof stepsSchema>;

/** The line `test.steps` writes at step `i` (1-based): what a test compares the file against. */
export const stepLine = (jobId: bigint, i: number) => `job ${jobId} step ${i}`;

/**
 * `test.steps`: writes one line per step into a result file, reporting progress after each, and
 * stops early when its signal aborts. Runs `1..failRuns` throw a `RetryableError` first. `onStep`
 * lets a test observe it.
 */
export function createStepsHandler(
  options: { onStep?: (jobId: bigint, step: number) => void } = {},
): JobHandler<StepsPayload> {
  return {
    kind: 'test.steps',
    schema: stepsSchema,
    async run(ctx) {
      if (ctx.attempt <= ctx.payload.failRuns) {
        throw new RetryableError(`transient failure of run ${ctx.attempt}`);
      }
      const { steps, stepMs } = ctx.payload;
      let written = 0;
      const file = await ctx.writeFile({ extension: 'txt', contentType: 'text/plain' }, async (out) => {
        for (let i = 1; i <= steps; i++) {
          if (ctx.signal.aborted) return;
          if (stepMs > 0) await sleep(stepMs);
          out.write(`${stepLine(ctx.jobId, i)}\n`);
          written = i;
          ctx.progress({ done: i, total: steps, message: `step ${i}` });
          options.onStep?.(ctx.jobId, i);
        }
      });
      return { file, data: { steps: written, run: ctx.attempt } };
    },
  };
}

/**
 * Wraps a handler so that its run stops half-way through writing its result file, at a point a crash
 * test can wait for: the first half of the first chunk the handler writes reaches the file, then
 * `onPause` reports the job and the bytes written, and the write waits until the run's signal aborts
 * (a killed worker never gets there). Used only by the crash test's worker process.
 */
export function pauseMidWrite<P>(
  handler: JobHandler<P>,
  onPause: (jobId: bigint, bytes: number) => void,
): JobHandler<P> {
  return {
    ...handler,
    run: (ctx) =>
      handler.run({
        ...ctx,
        writeFile: (options, write) =>
          ctx.writeFile(options, (out) => {
            let paused = false;
            const forward = (chunk: Buffer) =>
              new Promise<void>((resolve, reject) =>
                out.write(chunk, (err) => (err === null || err === undefined ? resolve() : reject(err))),
              );
            const pausing = new Writable({
              write(chunk: Buffer, _encoding, callback) {
                if (paused) {
                  forward(chunk).then(() => callback(), callback);
                  return;
                }
                paused = true;
                const half = chunk.subarray(0, Math.floor(chunk.length / 2));
                forward(half)
                  .then(() => {
                    onPause(ctx.jobId, half.length);
                    return new Promise<void>((resolve) => {
                      if (ctx.signal.aborted) resolve();
                      else ctx.signal.addEventListener('abort', () => resolve(), { once: true });
                    });
                  })
                  .then(() => forward(chunk.subarray(half.length)))
                  .then(() => callback(), callback);
              },
            });
            return write(pausing);
          }),
      }),
  };
}

/** Polls `read` every 50 ms until `done` holds; fails after `timeoutMs` saying what it last saw. */
export async function waitUntil<T>(
  what: string,
  read: () => Promise<T>,
  done: (value: T) => boolean,
  timeoutMs = 30_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: T = await read();
  while (!done(last)) {
    if (Date.now() > deadline)
      throw new Error(
        `timed out waiting for ${what}; last saw ${JSON.stringify(last, (_k, v) => (typeof v === 'bigint' ? String(v) : v))}`,
      );
    await sleep(50);
    last = await read();
  }
  return last;
}

/** Queue timings short enough that retries, cancels and stalled jobs settle within a second. */
export const FAST_JOB_TIMINGS: JobTimings = {
  backoffMs: 50,
  cancelPollMs: 100,
  progressIntervalMs: 0,
  lockDurationMs: 1000,
  stalledIntervalMs: 500,
};

/** What `startWorkerChild` hands its worker: the database, the queue and the result directory. */
export interface WorkerChildEnv {
  DATABASE_URL: string;
  REDIS_URL: string;
  MINETRACE_DATA_DIR: string;
  JOB_REDIS_PREFIX: string;
}

/**
 * A job system in this process on the queue and result directory of a worker child's `env`, with the
 * child's limits (one job at a time, 5 attempts) and `FAST_JOB_TIMINGS`: a crash test enqueues through
 * it, and its worker, once started, takes over the job a killed child leaves.
 */
export function createWorkerChildPeer(db: Db, env: WorkerChildEnv, logger: Logger): JobSystem {
  return createJobSystem({
    db,
    config: {
      REDIS_URL: env.REDIS_URL,
      MINETRACE_DATA_DIR: env.MINETRACE_DATA_DIR,
      JOB_RESULT_TTL: 3600,
      JOB_CONCURRENCY: 1,
      JOB_MAX_ATTEMPTS: 5,
    },
    logger,
    redisPrefix: env.JOB_REDIS_PREFIX,
    timings: FAST_JOB_TIMINGS,
  });
}

/** A job worker in a process of its own (`job-worker.child.ts`), for a test to kill. */
export interface WorkerChild {
  process: ChildProcess;
  /** Everything it printed so far, stdout and stderr. */
  output(): string;
  /** Kills it with SIGKILL and resolves once it is gone. */
  kill(): Promise<void>;
}

/** Starts `job-worker.child.ts` with `env` and waits until it consumes from the queue. */
export async function startWorkerChild(env: WorkerChildEnv, timeoutMs = 60_000): Promise<WorkerChild> {
  const script = fileURLToPath(new URL('./job-worker.child.ts', import.meta.url));
  const child = spawn(process.execPath, ['--import', 'tsx', script], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const worker: WorkerChild = {
    process: child,
    output: () => output,
    async kill() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
  };
  try {
    await waitUntil(
      'the worker process to start',
      async () => ({ output, exited: child.exitCode !== null || child.signalCode !== null }),
      (state) => state.output.includes('ready\n') || state.exited,
      timeoutMs,
    );
  } catch (err) {
    await worker.kill();
    throw err;
  }
  if (!output.includes('ready\n'))
    throw new Error(`the worker process exited before it was ready:\n${output}`);
  return worker;
}
