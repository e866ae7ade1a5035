import type { Database, Db } from '@minetrace/shared/db';
import type { Insertable } from 'kysely';

export type AuditRow = Insertable<Database['audit_log']>;

/** Most rows one INSERT carries. */
const MAX_BATCH = 500;

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
        await db
          .insertInto('audit_log')
          .values(batch.map((entry) => entry.row))
          .execute();
      } catch (err) {
        if (batch.length === 1) onError(err);
        // One row the database refuses must not cost the others theirs: one by one, then.
        else
          for (const entry of batch) {
            await db.insertInto('audit_log').values(entry.row).execute().catch(onError);
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
