// Why: the API is reached with keys, and every operation a key runs is recorded. Keys are stored
// only as the SHA-256 of the secret (the secret is 256 random bits, so a slow hash adds nothing);
// `prefix` is the secret's first characters, enough for an operator to tell keys apart in a list.
// audit_log rows are append-only and outlive their key (no foreign key), so revoking a key never
// erases what it did.
// Frozen in time: this file never imports application code.
import { type Kysely, sql } from 'kysely';

// biome-ignore lint/suspicious/noExplicitAny: a migration is frozen in time, so it must not see the current schema types
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('api_keys')
    .addColumn('id', 'int8', (col) => col.primaryKey().generatedByDefaultAsIdentity())
    .addColumn('name', 'text', (col) => col.notNull())
    .addColumn('role', 'text', (col) =>
      col.notNull().check(sql`role IN ('investigator', 'screener', 'admin')`),
    )
    .addColumn('key_hash', 'bytea', (col) => col.notNull().unique())
    .addColumn('prefix', 'text', (col) => col.notNull())
    .addColumn('created_at', 'timestamptz', (col) => col.notNull().defaultTo(sql`now()`))
    .addColumn('revoked_at', 'timestamptz')
    .execute();

  await db.schema
    .createTable('audit_log')
    .addColumn('id', 'int8', (col) => col.primaryKey().generatedByDefaultAsIdentity())
    // NULL: the open localhost mode, where no key is configured.
    .addColumn('api_key_id', 'int8')
    .addColumn('operation_name', 'text')
    .addColumn('operation_type', 'text')
    .addColumn('variables_hash', 'text')
    .addColumn('started_at', 'timestamptz', (col) => col.notNull())
    .addColumn('duration_ms', 'integer', (col) => col.notNull())
    .addColumn('result_bytes', 'integer', (col) => col.notNull())
    .addColumn('cost', 'integer')
    // 'OK', or the first error's extensions.code.
    .addColumn('outcome', 'text', (col) => col.notNull())
    .execute();
  await db.schema
    .createIndex('audit_log_key_time_idx')
    .on('audit_log')
    .columns(['api_key_id', 'started_at'])
    .execute();
}

export async function down(): Promise<void> {
  throw new Error('migrations are forward-only');
}
