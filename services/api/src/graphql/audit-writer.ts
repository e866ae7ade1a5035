import { type Database, type Db, type SqlArrayElement, sqlArray, statementName } from '@minetrace/shared/db';
import { type Insertable, sql } from 'kysely';

export type AuditRow = Insertable<Database['audit_log']>;

/** Most rows one INSERT carries. */
const MAX_BATCH = 500;

/**
 * One text for every batch, whatever its size (a column per array), so it runs prepared: with a
 * VALUES list Postgres parsed and planned each batch's dozens of parameters anew, and the writer
 * sends a batch for every few lookups under load.
 */
const INSERT_STATEMENT = statementName('audit_insert');

async function insertRows(db: Db, rows: readonly AuditRow[]): Promise<void> {
  const column = (value: (row: AuditRow) => SqlArrayElement | undefined) =>
    sqlArray(rows.map((row) => value(row) ?? null));
  await sql`${sql.raw(INSERT_STATEMENT)}
    INSERT INTO audit_log (api_key_id, operation_name, operation_type, variables_hash, started_at, duration_ms,
      result_bytes, cost, outcome)
    SELECT * FROM unnest(${column((r) => r.api_key_id)}::int8[], ${column((r) => r.operation_name)}::text[],
      ${column((r) => r.operation_type)}::text[], ${column((r) => r.variables_hash)}::text[],
      ${column((r) => new Date(r.started_at).toISOString())}::timestamptz[], ${column((r) => r.duration_ms)}::int4[],
      ${column((r) => r.result_bytes)}::int4[], ${column((r) => r.cost)}::int4[], ${column((r) => r.outcome)}::text[])`.execute(
    db,
  );
}

export interface AuditWriter {
  /**
   * Resolves once the row is committed (or its failure reported to `onError`); never rejects, so
   * that a failing audit log never fails the operation it records.
   */
  write(row: AuditRow): Promise<void>;
}

/**
 * Writes audit rows in batches: while one INSERT is in flight, the rows of concurrent operations
 * queue and go together in the next one. Each operation still waits for its own row's commit
 * before answering, but under load the log costs one round trip and one commit per batch instead
 * of one per operation, and holds one pooled connection instead of one per request.
 */
export function createAuditWriter(db: Db, onError: (err: unknown) => void): AuditWriter {
  let queue: Array<{ row: AuditRow; done: () => void }> = [];
  let flushing = false;

  const flush = async () => {
    flushing = true;
    while (queue.length > 0) {
      const batch = queue.slice(0, MAX_BATCH);
      queue = queue.slice(batch.length);
      try {
        await insertRows(
          db,
          batch.map((entry) => entry.row),
        );
      } catch (err) {
        if (batch.length === 1) onError(err);
        // One row the database refuses must not cost the others theirs: one by one, then.
        else
          for (const entry of batch) {
            await insertRows(db, [entry.row]).catch(onError);
          }
      }
      for (const entry of batch) entry.done();
    }
    flushing = false;
  };

  return {
    write(row) {
      return new Promise<void>((resolve) => {
        queue.push({ row, done: resolve });
        if (!flushing) void flush();
      });
    },
  };
}
