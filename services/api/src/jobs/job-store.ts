import type { Db, JobResultRow, JobRow } from '@minetrace/shared/db';
import type { JobProgressUpdate, JobResultFile, JobState } from '@minetrace/shared/queue';
import { sql } from 'kysely';

/**
 * The `jobs` and `job_results` tables: plain functions over the database. Every transition names the
 * states it leaves from, so two processes racing on one job (a cancel and a completion, a stalled run
 * and its successor) cannot both win.
 */

/** JSON text of a value, bigints as decimal strings. */
export function toJsonText(value: unknown): string {
  return JSON.stringify(value, (_key, v) => (typeof v === 'bigint' ? v.toString() : v));
}

export async function insertJob(
  db: Db,
  job: { kind: string; payload: unknown; maxAttempts: number; apiKeyId: bigint | null },
): Promise<JobRow> {
  return db
    .insertInto('jobs')
    .values({
      kind: job.kind,
      state: 'queued',
      payload: toJsonText(job.payload),
      max_attempts: job.maxAttempts,
      api_key_id: job.apiKeyId,
      progress_done: null,
      progress_total: null,
      progress_message: null,
      run_token: null,
      error: null,
      started_at: null,
      finished_at: null,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
}

export async function getJob(db: Db, id: bigint): Promise<JobRow | undefined> {
  return db.selectFrom('jobs').selectAll().where('id', '=', id).executeTakeFirst();
}

/**
 * Jobs newest first, filtered by kind and state; `afterId` pages (ids below it). `apiKeyId` limits
 * the list to one key's jobs.
 */
export async function listJobs(
  db: Db,
  filter: { kind?: string; state?: JobState; afterId: bigint | null; limit: number; apiKeyId?: bigint },
): Promise<JobRow[]> {
  let query = db.selectFrom('jobs').selectAll().orderBy('id', 'desc').limit(filter.limit);
  if (filter.kind !== undefined) query = query.where('kind', '=', filter.kind);
  if (filter.state !== undefined) query = query.where('state', '=', filter.state);
  if (filter.afterId !== null) query = query.where('id', '<', filter.afterId);
  if (filter.apiKeyId !== undefined) query = query.where('api_key_id', '=', filter.apiKeyId);
  return query.execute();
}

/** Jobs not finished, oldest first: what an in-process runner picks up again at start. */
export async function unfinishedJobs(db: Db): Promise<Array<{ id: bigint; kind: string }>> {
  return db
    .selectFrom('jobs')
    .select(['id', 'kind'])
    .where('state', 'in', ['queued', 'running'])
    .orderBy('id')
    .execute();
}

/**
 * Gives the job to the run named `token`: from `queued`, or from `running` when the run that held it
 * died (the queue only redelivers a job whose lock expired). Counts the run. Undefined when the job
 * is finished, cancelled or gone.
 */
export async function claimJob(db: Db, id: bigint, token: string): Promise<JobRow | undefined> {
  return db
    .updateTable('jobs')
    .set({
      state: 'running',
      run_token: token,
      attempts: sql`attempts + 1`,
      started_at: sql`coalesce(started_at, now())`,
    })
    .where('id', '=', id)
    .where('state', 'in', ['queued', 'running'])
    .returningAll()
    .executeTakeFirst();
}

/** Percent from an update, clamped to 0..100. */
export function progressPercent(update: JobProgressUpdate): number {
  let percent: number;
  if ('percent' in update) percent = update.percent;
  else {
    const total = Number(update.total);
    percent = total <= 0 ? 100 : (Number(update.done) / total) * 100;
  }
  if (!Number.isFinite(percent)) return 0;
  return Math.min(100, Math.max(0, percent));
}

export async function writeProgress(
  db: Db,
  id: bigint,
  token: string,
  update: JobProgressUpdate,
): Promise<void> {
  await db
    .updateTable('jobs')
    .set({
      progress_percent: progressPercent(update),
      progress_done: 'done' in update ? BigInt(update.done) : null,
      progress_total: 'total' in update ? BigInt(update.total) : null,
      progress_message: update.message ?? null,
    })
    .where('id', '=', id)
    .where('run_token', '=', token)
    .where('state', '=', 'running')
    .execute();
}

/** Whether the run named `token` still owns the job (not cancelled, not taken over). */
export async function runStillOwns(db: Db, id: bigint, token: string): Promise<boolean> {
  const row = await db
    .selectFrom('jobs')
    .select(['state', 'run_token'])
    .where('id', '=', id)
    .executeTakeFirst();
  return row !== undefined && row.state === 'running' && row.run_token === token;
}

/**
 * Marks the job completed and writes its result row in ONE transaction, only if the run named
 * `token` still owns it. False: another run or a cancel got there first, and nothing was written.
 */
export async function completeJob(
  db: Db,
  id: bigint,
  token: string,
  result: { data: unknown; file: JobResultFile | undefined; ttlSeconds: number },
): Promise<boolean> {
  return db.transaction().execute(async (trx) => {
    const done = await trx
      .updateTable('jobs')
      .set({ state: 'completed', finished_at: sql`now()`, progress_percent: 100, error: null })
      .where('id', '=', id)
      .where('run_token', '=', token)
      .where('state', '=', 'running')
      .returning('id')
      .executeTakeFirst();
    if (done === undefined) return false;
    await trx
      .insertInto('job_results')
      .values({
        job_id: id,
        data: result.data === undefined ? null : toJsonText(result.data),
        file_name: result.file?.fileName ?? null,
        content_type: result.file?.contentType ?? null,
        bytes: result.file === undefined ? null : BigInt(result.file.bytes),
        expires_at: sql<Date>`now() + make_interval(secs => ${result.ttlSeconds})`,
      })
      .execute();
    return true;
  });
}

/**
 * Ends a run that failed: back to `queued` for another attempt (`retry`), or `failed` for good.
 * Only the owning run may do it. `refund` gives back the attempt (the job only had to wait).
 */
export async function releaseJob(
  db: Db,
  id: bigint,
  token: string,
  outcome: { to: 'queued' | 'failed'; error: string | null; refund?: boolean },
): Promise<boolean> {
  const row = await db
    .updateTable('jobs')
    .set({
      state: outcome.to,
      run_token: null,
      error: outcome.error === null ? null : outcome.error.slice(0, 4000),
      ...(outcome.to === 'failed' ? { finished_at: sql`now()` } : {}),
      ...(outcome.refund === true ? { attempts: sql`greatest(attempts - 1, 0)` } : {}),
    })
    .where('id', '=', id)
    .where('run_token', '=', token)
    .where('state', '=', 'running')
    .returning('id')
    .executeTakeFirst();
  return row !== undefined;
}

/** Marks a job `failed` whatever run holds it (a payload no worker can read, an unknown kind). */
export async function failJob(db: Db, id: bigint, error: string): Promise<void> {
  await db
    .updateTable('jobs')
    .set({ state: 'failed', run_token: null, error: error.slice(0, 4000), finished_at: sql`now()` })
    .where('id', '=', id)
    .where('state', 'in', ['queued', 'running'])
    .execute();
}

/**
 * Cancels a job that has not finished. Returns the job as it is afterwards (undefined: no such job);
 * a running job's worker sees the state and stops at its next safe point.
 */
export async function cancelJob(db: Db, id: bigint): Promise<JobRow | undefined> {
  const cancelled = await db
    .updateTable('jobs')
    .set({ state: 'cancelled', finished_at: sql`now()`, run_token: null })
    .where('id', '=', id)
    .where('state', 'in', ['queued', 'running'])
    .returningAll()
    .executeTakeFirst();
  return cancelled ?? getJob(db, id);
}

export async function getJobResult(db: Db, id: bigint): Promise<JobResultRow | undefined> {
  return db
    .selectFrom('job_results')
    .selectAll()
    .where('job_id', '=', id)
    .where('expires_at', '>', sql<Date>`now()`)
    .executeTakeFirst();
}

/** Deletes expired result rows; returns the files they named, for the caller to remove. */
export async function deleteExpiredResults(db: Db): Promise<string[]> {
  const rows = await db
    .deleteFrom('job_results')
    .where('expires_at', '<=', sql<Date>`now()`)
    .returning('file_name')
    .execute();
  return rows.flatMap((row) => (row.file_name === null ? [] : [row.file_name]));
}

/** Every result file a row still names. */
export async function referencedResultFiles(db: Db): Promise<Set<string>> {
  const rows = await db
    .selectFrom('job_results')
    .select('file_name')
    .where('file_name', 'is not', null)
    .execute();
  return new Set(rows.map((row) => row.file_name!));
}

/** The row behind a GraphQL `Job`. */
export type JobModel = JobRow;
