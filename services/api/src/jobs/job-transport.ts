import { BaseError, RetryableError } from '@minetrace/shared';
import type { Logger } from '@minetrace/shared/log';
import { JOB_QUEUE_NAME, type JobMessage, jobMessageSchema } from '@minetrace/shared/queue';
import { DelayedError, Queue, UnrecoverableError, Worker } from 'bullmq';
import { Redis } from 'ioredis';

/** What the runner decided about one delivery; the transport acts on it. */
export type DeliveryVerdict =
  /** Finished (completed or cancelled), or nothing to do. */
  | { type: 'done' }
  /** Failed for good. */
  | { type: 'failed'; error: string }
  /** A transient failure: deliver again after the backoff. */
  | { type: 'retry'; error: string }
  /** Not runnable yet: deliver again after `delayMs`, without spending an attempt. */
  | { type: 'wait'; delayMs: number };

/** One delivery of a job message to a consumer. */
export interface JobDelivery extends JobMessage {
  /** Failed runs before this one, as the transport counts them. */
  attemptsMade: number;
}

export type DeliveryHandler = (delivery: JobDelivery) => Promise<DeliveryVerdict>;

/**
 * How job messages travel from whoever enqueues to whoever runs them. Two implementations with the
 * same behaviour: BullMQ on Redis (any number of workers on any number of machines), and an
 * in-process queue for a single process without Redis.
 */
export interface JobTransport {
  readonly kind: 'bullmq' | 'in-process';
  /** Hands a job to the workers; `attempts` bounds the retries of transient failures. */
  dispatch(message: JobMessage, options: { attempts: number }): Promise<void>;
  /** Takes back a job no worker holds yet (a cancel); a job being run is left to its worker. */
  withdraw(jobId: string): Promise<void>;
  /** Starts running deliveries, `concurrency` at a time, until `close()`. */
  consume(handler: DeliveryHandler, options: { concurrency: number }): void;
  /** Stops consuming (waits for the deliveries in progress) and closes connections. */
  close(): Promise<void>;
}

/** Queue settings shared by both transports. */
export interface TransportOptions {
  /** First retry delay after a transient failure; doubled per attempt. @defaultValue 1000 */
  backoffMs?: number;
}

export interface BullmqTransportOptions extends TransportOptions {
  /** `REDIS_URL`. */
  url: string;
  /** Prefix of every Redis key of the queue (tests use one per run). @defaultValue `minetrace` */
  prefix?: string;
  logger: Logger;
  /**
   * How long a worker's lock on a job lasts without renewal: a worker killed mid-job gives its job
   * to another worker after about this long. @defaultValue 30000
   */
  lockDurationMs?: number;
  /** How often workers look for jobs whose lock expired. @defaultValue 30000 */
  stalledIntervalMs?: number;
}

const bullJobId = (jobId: string) => `job-${jobId}`;

/** The Redis connection failed or dropped while talking to the queue. */
export class QueueUnavailableError extends RetryableError {
  override name = 'QueueUnavailableError';
}

export function createBullmqTransport(options: BullmqTransportOptions): JobTransport {
  const logger = options.logger.child({ component: 'job-queue' });
  const prefix = options.prefix ?? 'minetrace';
  const backoffMs = options.backoffMs ?? 1000;
  const connections: Redis[] = [];
  const connect = (forWorker: boolean) => {
    // Workers block on Redis and must wait out an outage rather than fail a command
    // (BullMQ's production rule); the producer fails fast so that an enqueue reports the outage.
    const redis = new Redis(options.url, {
      maxRetriesPerRequest: forWorker ? null : 1,
      enableOfflineQueue: forWorker,
    });
    redis.on('error', (err) => logger.debug({ err }, 'redis connection error'));
    connections.push(redis);
    return redis;
  };
  let queue: Queue | undefined;
  const producer = () => {
    queue ??= new Queue(JOB_QUEUE_NAME, { connection: connect(false), prefix });
    return queue;
  };
  let worker: Worker | undefined;

  return {
    kind: 'bullmq',
    async dispatch(message, { attempts }) {
      try {
        await producer().add(message.kind, message, {
          jobId: bullJobId(message.jobId),
          attempts,
          backoff: { type: 'exponential', delay: backoffMs },
          // Postgres keeps the history; Redis keeps only what is still to run.
          removeOnComplete: true,
          removeOnFail: { age: 7 * 24 * 3600 },
        });
      } catch (err) {
        throw new QueueUnavailableError(`could not enqueue job ${message.jobId}: ${(err as Error).message}`, {
          cause: err,
        });
      }
    },
    async withdraw(jobId) {
      const job = await producer().getJob(bullJobId(jobId));
      if (job === undefined) return;
      const state = await job.getState();
      if (state === 'waiting' || state === 'delayed' || state === 'prioritized') {
        // A worker may take it between getState and remove; the runner then finds it cancelled.
        await job.remove().catch(() => {});
      }
    },
    consume(handler, { concurrency }) {
      if (worker !== undefined) throw new BaseError('this transport already consumes');
      worker = new Worker(
        JOB_QUEUE_NAME,
        async (job, token) => {
          const message = jobMessageSchema.parse(job.data);
          const verdict = await handler({ ...message, attemptsMade: job.attemptsMade });
          switch (verdict.type) {
            case 'done':
              return;
            case 'failed':
              throw new UnrecoverableError(verdict.error);
            case 'retry':
              throw new Error(verdict.error);
            case 'wait':
              await job.moveToDelayed(Date.now() + verdict.delayMs, token);
              throw new DelayedError();
          }
        },
        {
          connection: connect(true),
          prefix,
          concurrency,
          lockDuration: options.lockDurationMs ?? 30_000,
          stalledInterval: options.stalledIntervalMs ?? 30_000,
          // A crash is not the job's fault; the runner counts runs in Postgres and stops at the limit.
          maxStalledCount: 1000,
        },
      );
      worker.on('error', (err) => logger.warn({ err }, 'job worker error'));
    },
    async close() {
      await worker?.close();
      await queue?.close();
      for (const redis of connections) redis.disconnect();
    },
  };
}

/**
 * The queue without Redis: jobs wait in this process's memory and run here. Used by `minetrace start`
 * and `minetrace api` when REDIS_URL is unset (one process, so one worker), and by
 * `minetrace index --from --to` without Redis. BullMQ has no in-memory mode (its queue logic is Lua
 * running inside Redis), so this is a small queue of its own with the same verdicts: retries with
 * exponential backoff, waits that spend no attempt. A job lost with the process is still `queued` or
 * `running` in Postgres; the runner picks those up at start (`recoverUnfinished`).
 */
export function createInProcessTransport(options: TransportOptions = {}): JobTransport {
  const backoffMs = options.backoffMs ?? 1000;
  const waiting: JobDelivery[] = [];
  const attemptsOf = new Map<string, number>();
  const timers = new Set<NodeJS.Timeout>();
  const running = new Set<Promise<void>>();
  let handler: DeliveryHandler | undefined;
  let concurrency = 1;
  let closed = false;

  const later = (delivery: JobDelivery, ms: number) => {
    const timer = setTimeout(() => {
      timers.delete(timer);
      waiting.push(delivery);
      pump();
    }, ms);
    timers.add(timer);
  };

  const runOne = async (delivery: JobDelivery) => {
    let verdict: DeliveryVerdict;
    try {
      verdict = await handler!(delivery);
    } catch (err) {
      verdict = { type: 'retry', error: (err as Error).message };
    }
    if (closed) return;
    const attempts = attemptsOf.get(delivery.jobId) ?? 1;
    if (verdict.type === 'retry' && delivery.attemptsMade + 1 < attempts) {
      later({ ...delivery, attemptsMade: delivery.attemptsMade + 1 }, backoffMs * 2 ** delivery.attemptsMade);
    } else if (verdict.type === 'wait') {
      later(delivery, verdict.delayMs);
    } else {
      attemptsOf.delete(delivery.jobId);
    }
  };

  function pump(): void {
    if (handler === undefined || closed) return;
    while (running.size < concurrency && waiting.length > 0) {
      const task = runOne(waiting.shift()!).finally(() => {
        running.delete(task);
        pump();
      });
      running.add(task);
    }
  }

  return {
    kind: 'in-process',
    async dispatch(message, { attempts }) {
      attemptsOf.set(message.jobId, attempts);
      waiting.push({ ...message, attemptsMade: 0 });
      pump();
    },
    async withdraw(jobId) {
      const at = waiting.findIndex((delivery) => delivery.jobId === jobId);
      if (at >= 0) waiting.splice(at, 1);
    },
    consume(next, options) {
      if (handler !== undefined) throw new BaseError('this transport already consumes');
      handler = next;
      concurrency = options.concurrency;
      pump();
    },
    async close() {
      closed = true;
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
      waiting.length = 0;
      await Promise.allSettled([...running]);
    },
  };
}
