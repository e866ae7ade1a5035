// Why: batch jobs (exports, batch screening, backfill, re-clustering) outlive the request that
// started them, run on any worker and must be visible to whoever asks. Postgres holds the truth about
// each job (the queue only says "run job N"), so a job survives a Redis flush and is listed and paged
// like everything else. `run_token` names the run that owns a job: a run that lost it (its worker
// stalled and another took over) cannot complete it. A result row is written in the same transaction
// that marks its job completed, so no result is ever seen half-written; large results live in a file
// whose name the row holds. Results expire (`expires_at`); the job row stays as history.
// Frozen in time: this file never imports application code.
import { type Kysely, sql } from 'kysely';

// biome-ignore lint/suspicious/noExplicitAny: a migration is frozen in time, so it must not see the current schema types
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('jobs')
    .addColumn('id', 'int8', (col) => col.primaryKey().generatedByDefaultAsIdentity())
    .addColumn('kind', 'text', (col) => col.notNull())
    .addColumn('state', 'text', (col) =>
      col.notNull().check(sql`state IN ('queued', 'running', 'completed', 'failed', 'cancelled')`),
    )
    .addColumn('payload', 'jsonb', (col) => col.notNull())
    .addColumn('progress_percent', 'float8', (col) =>
      col.notNull().defaultTo(0).check(sql`progress_percent >= 0 AND progress_percent <= 100`),
    )
    .addColumn('progress_done', 'int8')
    .addColumn('progress_total', 'int8')
    .addColumn('progress_message', 'text')
    .addColumn('attempts', 'integer', (col) => col.notNull().defaultTo(0))
    .addColumn('max_attempts', 'integer', (col) => col.notNull())
    .addColumn('run_token', 'text')
    .addColumn('error', 'text')
    // NULL: enqueued from the CLI or by the open localhost mode.
    .addColumn('api_key_id', 'int8')
    .addColumn('created_at', 'timestamptz', (col) => col.notNull().defaultTo(sql`now()`))
    .addColumn('started_at', 'timestamptz')
    .addColumn('finished_at', 'timestamptz')
    .execute();
  await db.schema.createIndex('jobs_kind_id_idx').on('jobs').columns(['kind', 'id']).execute();
  await db.schema.createIndex('jobs_state_id_idx').on('jobs').columns(['state', 'id']).execute();

  await db.schema
    .createTable('job_results')
    .addColumn('job_id', 'int8', (col) => col.primaryKey().references('jobs.id').onDelete('cascade'))
    // The result itself when small (JSON); with a file, a summary of it (or NULL).
    .addColumn('data', 'jsonb')
    // File name under MINETRACE_DATA_DIR/jobs.
    .addColumn('file_name', 'text')
    .addColumn('content_type', 'text')
    .addColumn('bytes', 'int8')
    .addColumn('created_at', 'timestamptz', (col) => col.notNull().defaultTo(sql`now()`))
    .addColumn('expires_at', 'timestamptz', (col) => col.notNull())
    .addCheckConstraint('job_results_data_or_file', sql`data IS NOT NULL OR file_name IS NOT NULL`)
    .execute();
  await db.schema.createIndex('job_results_expires_idx').on('job_results').column('expires_at').execute();
}

export async function down(): Promise<void> {
  throw new Error('migrations are forward-only');
}
