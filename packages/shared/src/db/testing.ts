import path from 'node:path';
import pg from 'pg';
import { type Db, migrateToLatest, openPglite, openPostgres } from './db.js';

/** A migrated, empty database for one test; `close()` destroys it. */
export interface TestDatabase {
  db: Db;
  /** Connection string of the created Postgres database (undefined for PGlite). */
  url?: string;
  close(): Promise<void>;
}

const DEFAULT_ADMIN_URL = 'postgres://postgres@127.0.0.1:5432/test';
let counter = 0;

/**
 * Creates a fresh database and runs the migrations. Postgres: a new database on the server of
 * `TEST_DATABASE_URL` (default `postgres://postgres@127.0.0.1:5432/test`), named after the package,
 * the process and the vitest worker so that parallel workers never share one, dropped by `close()`.
 * PGlite: in memory. An unreachable server is an error, never a skip.
 */
export async function createTestDatabase(
  kind: 'postgres' | 'pglite',
  options: { name?: string; env?: Record<string, string | undefined> } = {},
): Promise<TestDatabase> {
  if (kind === 'pglite') {
    const db = openPglite();
    await migrateToLatest(db);
    return { db, close: () => db.destroy() };
  }
  const env = options.env ?? process.env;
  const adminUrl = env.TEST_DATABASE_URL ?? DEFAULT_ADMIN_URL;
  const label = (options.name ?? path.basename(process.cwd())).toLowerCase().replace(/[^a-z0-9]+/g, '_');
  counter += 1;
  const name = `minetrace_test_${label}_${process.pid}_${env.VITEST_POOL_ID ?? '0'}_${counter}`;

  await withAdmin(adminUrl, async (admin) => {
    await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    await admin.query(`CREATE DATABASE "${name}"`);
  });
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  const db = openPostgres(url.toString());
  try {
    await migrateToLatest(db);
  } catch (err) {
    await db.destroy();
    throw err;
  }
  return {
    db,
    url: url.toString(),
    async close() {
      await db.destroy();
      await withAdmin(adminUrl, (admin) => admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`));
    },
  };
}

async function withAdmin<T>(adminUrl: string, use: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: adminUrl, connectionTimeoutMillis: 5000 });
  try {
    await client.connect();
  } catch (err) {
    const where = new URL(adminUrl);
    throw new Error(
      `PostgreSQL is not reachable at ${where.host} as ${where.username || 'postgres'} (${(err as Error).message}); ` +
        'start it with `pg_ctlcluster 15 main start` (or `docker compose -f infra/compose.yml up -d postgres`), ' +
        'or point TEST_DATABASE_URL at a server where that user may create databases',
      { cause: err },
    );
  }
  try {
    return await use(client);
  } finally {
    await client.end();
  }
}
