import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { PGlite, types as pgliteTypes } from '@electric-sql/pglite';
import { Kysely, type KyselyConfig, Migrator, PostgresDialect } from 'kysely';
import { PGliteDialect } from 'kysely-pglite-dialect';
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import type { Config } from '../config.js';
import { markedCopy } from './copy.js';
import type { Database } from './database.types.js';
import { MigrationError, SchemaOutdatedError } from './db-errors.js';
import { migrations } from './migrations/index.js';

/** minetrace's database handle: Kysely over `pg` (Postgres) or PGlite (embedded). */
export type Db = Kysely<Database>;

export type DbKind = 'postgres' | 'pglite';

const INT8_OID = 20;
const parseInt8 = (value: string) => BigInt(value);
/** PGlite yields bytea as Uint8Array; minetrace's hashes are Buffers, as `pg` returns them. */
const parseByteaText = (value: string) => Buffer.from(value.slice(2), 'hex');

/**
 * Opens the database named by the configuration: `DATABASE_URL` → Postgres through a `pg` pool;
 * unset → embedded PGlite under `MINETRACE_DATA_DIR/pglite`. Both parse `int8` to `bigint`, so
 * amounts stay bigint from the column to the domain code. Close with `db.destroy()`.
 */
export function openDb(config: Pick<Config, 'DATABASE_URL' | 'MINETRACE_DATA_DIR'>): Db {
  if (config.DATABASE_URL !== undefined) return openPostgres(config.DATABASE_URL);
  return openPglite(pgliteDir(config.MINETRACE_DATA_DIR));
}

/** Which store `openDb` picks for this configuration, and where it is (without credentials). */
export function describeDb(config: Pick<Config, 'DATABASE_URL' | 'MINETRACE_DATA_DIR'>): {
  kind: DbKind;
  location: string;
} {
  if (config.DATABASE_URL !== undefined) {
    const url = new URL(config.DATABASE_URL);
    return { kind: 'postgres', location: `${url.host}${url.pathname}` };
  }
  return { kind: 'pglite', location: pgliteDir(config.MINETRACE_DATA_DIR) };
}

/** The embedded database's directory inside the data directory. */
export function pgliteDir(dataDir: string): string {
  return path.resolve(dataDir, 'pglite');
}

/** A statement whose text starts with this comment runs as the named prepared statement `name`. */
const NAMED_STATEMENT = /^\/\* statement: ([a-z][a-z0-9_]*) \*\//;

/**
 * The comment that makes a statement prepared under `name` (it must open the statement's text):
 * `sql\`${sql.raw(statementName('address_summary'))} SELECT …\``. Postgres then parses it once per
 * connection and, after a few runs, keeps a generic plan, where an unnamed statement is parsed and
 * planned on every run; for a lookup by key, planning costs more than executing. Only for texts
 * that never change (one name, one text: `pg` refuses a name reused for another text), with
 * parameters whose values do not change the best plan.
 */
export function statementName(name: string): string {
  if (!/^[a-z][a-z0-9_]*$/.test(name)) throw new Error(`invalid statement name ${JSON.stringify(name)}`);
  return `/* statement: ${name} */`;
}

/**
 * `pg.Client` running the statements `statementName` marks as named prepared statements, and those
 * `copyText` marks as `COPY … FROM STDIN` (through pg-copy-streams, in this client's connection).
 */
class NamingClient extends pg.Client {
  // biome-ignore lint/suspicious/noExplicitAny: pg's query has many overloads; this forwards them all.
  override query(...args: any[]): any {
    const [text, values] = args;
    if (args.length <= 2 && typeof text === 'string' && (values === undefined || Array.isArray(values))) {
      const copy = markedCopy(text, values);
      if (copy !== null) return this.copy(copy.sql, copy.data);
      const name = NAMED_STATEMENT.exec(text)?.[1];
      if (name !== undefined) return super.query({ name, text, values });
    }
    // biome-ignore lint/suspicious/noExplicitAny: as above.
    return (super.query as (...forwarded: any[]) => any)(...args);
  }

  /** Runs `COPY … FROM STDIN` with `data`; resolves as `query` does once Postgres has taken every row. */
  private copy(
    text: string,
    data: string | Uint8Array,
  ): Promise<{ command: string; rowCount: number; rows: [] }> {
    return new Promise((resolve, reject) => {
      const stream = super.query(copyFrom(text));
      stream.on('error', reject);
      stream.on('finish', () => resolve({ command: 'COPY', rowCount: stream.rowCount, rows: [] }));
      stream.end(data);
    });
  }
}

/**
 * PGlite running the statements `copyText` marks as `COPY … FROM '/dev/blob'`, PGlite's way of
 * reading COPY data from the caller.
 */
class CopyingPGlite extends PGlite {
  // biome-ignore lint/suspicious/noExplicitAny: forwards PGlite's query overloads.
  override query(text: string, params?: any[], options?: any): any {
    const copy = markedCopy(text, params);
    if (copy === null) return super.query(text, params, options);
    if (!/ FROM STDIN$/.test(copy.sql)) throw new Error(`not a COPY FROM STDIN: ${copy.sql}`);
    return super.query(copy.sql.replace(/ FROM STDIN$/, " FROM '/dev/blob'"), [], {
      ...options,
      // A Blob takes views of an ArrayBuffer only: bytes over any other buffer are copied into one.
      blob: new Blob([typeof copy.data === 'string' ? copy.data : new Uint8Array(copy.data)]),
    });
  }
}

/**
 * Kysely over a `pg` pool of `NamingClient`s (named statements, COPY), parsing int8 as bigint.
 * `log`: Kysely's, e.g. a benchmark timing each statement.
 */
export function openPostgres(connectionString: string, options: { log?: KyselyConfig['log'] } = {}): Db {
  const pool = new pg.Pool({
    Client: NamingClient,
    connectionString,
    max: 10,
    types: {
      getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
        oid === INT8_OID && format !== 'binary'
          ? parseInt8
          : pg.types.getTypeParser(oid, format ?? 'text')) as typeof pg.types.getTypeParser,
    },
  });
  // An idle client losing its connection must not crash the process; the next query reports it.
  pool.on('error', () => {});
  return new Kysely<Database>({
    dialect: new PostgresDialect({ pool }),
    ...(options.log === undefined ? {} : { log: options.log }),
  });
}

/** Opens PGlite in `dataDir`, or in memory when `dataDir` is undefined. */
export function openPglite(dataDir?: string): Db {
  if (dataDir !== undefined) mkdirSync(dataDir, { recursive: true });
  // Options go in the single-argument form: with two arguments PGlite ignores them when dataDir is undefined.
  const client = new CopyingPGlite({
    ...(dataDir === undefined ? {} : { dataDir }),
    parsers: { [pgliteTypes.INT8]: parseInt8, [pgliteTypes.BYTEA]: parseByteaText },
  });
  return new Kysely<Database>({ dialect: new PGliteDialect(client) });
}

function createMigrator(db: Db): Migrator {
  return new Migrator({ db, provider: { getMigrations: async () => migrations } });
}

/** Applies every pending migration; returns the names applied (empty when already current). */
export async function migrateToLatest(db: Db): Promise<string[]> {
  const { error, results } = await createMigrator(db).migrateToLatest();
  if (error !== undefined) {
    const failed = results?.find((result) => result.status === 'Error')?.migrationName;
    throw new MigrationError(`migration ${failed ?? '(unknown)'} failed: ${String(error)}`, { cause: error });
  }
  return (results ?? [])
    .filter((result) => result.status === 'Success')
    .map((result) => result.migrationName);
}

/** Throws `SchemaOutdatedError` when some migration has not been applied to this database. */
export async function assertSchemaCurrent(db: Db): Promise<void> {
  const pending = (await createMigrator(db).getMigrations()).filter((m) => m.executedAt === undefined);
  if (pending.length > 0) {
    throw new SchemaOutdatedError(
      `the database schema is behind (${pending.length} pending migration(s), first ${pending[0]!.name}); run \`minetrace migrate\``,
    );
  }
}
