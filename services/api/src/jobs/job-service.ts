import { NonRetryableError } from '@minetrace/shared';
import type { Db, JobRow } from '@minetrace/shared/db';
import { JOB_SCHEMAS, type JobKind, type JobPayload } from '@minetrace/shared/queue';
import { cancelJob, insertJob } from './job-store.js';
import type { JobTransport } from './job-transport.js';

/** A payload that does not match its kind's schema; nothing was stored or queued. */
export class InvalidJobError extends NonRetryableError {
  override name = 'InvalidJobError';
}

/** Enqueueing and cancelling, for the API and the CLI. */
export interface JobService {
  readonly transport: JobTransport;
  /**
   * Validates the payload, stores the job (`queued`) and hands it to the workers. A bad payload is
   * an `InvalidJobError` and changes nothing.
   */
  enqueue(payload: JobPayload, options?: { apiKeyId?: bigint | null }): Promise<JobRow>;
  /**
   * Enqueues a job of a kind outside the built-in ones (a handler an extension or a test registers);
   * the handler's schema validates the payload when a worker picks it up.
   */
  enqueueCustom(kind: string, payload: unknown, options?: { apiKeyId?: bigint | null }): Promise<JobRow>;
  /** Cancels a queued or running job; the job as it is afterwards, undefined when there is none. */
  cancel(id: bigint): Promise<JobRow | undefined>;
}

export interface JobServiceDeps {
  db: Db;
  transport: JobTransport;
  /** `JOB_MAX_ATTEMPTS`. */
  maxAttempts: number;
}

export function createJobService(deps: JobServiceDeps): JobService {
  const store = async (kind: string, payload: unknown, apiKeyId: bigint | null) => {
    const job = await insertJob(deps.db, { kind, payload, maxAttempts: deps.maxAttempts, apiKeyId });
    try {
      await deps.transport.dispatch({ jobId: String(job.id), kind }, { attempts: deps.maxAttempts });
    } catch (err) {
      // Not queued means it would wait forever: record why instead of leaving it `queued`.
      await deps.db
        .updateTable('jobs')
        .set({
          state: 'failed',
          error: `could not be queued: ${(err as Error).message}`,
          finished_at: new Date(),
        })
        .where('id', '=', job.id)
        .execute();
      throw err;
    }
    return job;
  };
  return {
    transport: deps.transport,
    async enqueue(payload, options = {}) {
      const kind = payload.type as JobKind;
      const schema = JOB_SCHEMAS[kind];
      if (schema === undefined) throw new InvalidJobError(`unknown job kind ${JSON.stringify(kind)}`);
      const parsed = schema.safeParse(payload);
      if (!parsed.success) {
        const problems = parsed.error.issues.map((issue) =>
          issue.path.length === 0 ? issue.message : `${issue.path.join('.')}: ${issue.message}`,
        );
        throw new InvalidJobError(`invalid ${kind} job: ${problems.join('; ')}`);
      }
      return store(kind, parsed.data, options.apiKeyId ?? null);
    },
    enqueueCustom(kind, payload, options = {}) {
      return store(kind, payload, options.apiKeyId ?? null);
    },
    async cancel(id) {
      const job = await cancelJob(deps.db, id);
      if (job?.state === 'cancelled') await deps.transport.withdraw(String(id)).catch(() => {});
      return job;
    },
  };
}
