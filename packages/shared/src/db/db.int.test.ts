import { Migrator, sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inClusters } from './cluster-filter.js';
import { assertSchemaCurrent, migrateToLatest, statementName } from './db.js';
import { SchemaOutdatedError } from './db-errors.js';
import { migrations } from './migrations/index.js';
import { createTestDatabase, type TestDatabase } from './testing.js';

// One database per kind for the whole file: creating a PGlite instance costs seconds.
describe.each(['postgres', 'pglite'] as const)('database on %s', (kind) => {
  let test: TestDatabase;
  beforeAll(async () => {
    test = await createTestDatabase(kind);
  });
  afterAll(async () => {
    await test?.close();
  });

  it('migrates up from empty and creates every table of the data model', async () => {
    const tables = await sql<{ table_name: string }>`
      SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY table_name`.execute(
      test.db,
    );
    expect(tables.rows.map((row) => row.table_name)).toEqual(
      expect.arrayContaining([
        'addresses',
        'blocks',
        'chain_state',
        'outputs',
        'pool_addresses',
        'pool_tags',
        'pools',
        'spends',
        'tx_outputs',
        'txs',
      ]),
    );
    await expect(assertSchemaCurrent(test.db)).resolves.toBeUndefined();
    // Running again applies nothing: migrations are recorded.
    expect(await migrateToLatest(test.db)).toEqual([]);
  });

  it('reads int8 as bigint beyond 2^53 and bytea as Buffer', async () => {
    const big = 2n ** 62n + 3n;
    await test.db
      .insertInto('txs')
      .values({
        id: big,
        txid: Buffer.alloc(32, 0xab),
        height: 1,
        idx: 0,
        is_coinbase: true,
        fee: big,
        size: 1,
        vsize: 1,
        weight: 4,
        version: 2,
        locktime: 0xffffffff,
        input_count: 1,
        output_count: 1,
      })
      .execute();
    const row = await test.db.selectFrom('txs').selectAll().executeTakeFirstOrThrow();
    expect(row.id).toBe(big);
    expect(row.fee).toBe(big);
    expect(row.locktime).toBe(0xffffffffn);
    expect(Buffer.isBuffer(row.txid)).toBe(true);
    expect(row.txid.equals(Buffer.alloc(32, 0xab))).toBe(true);
  });

  it('compares addresses in byte order, in every table holding them', async () => {
    const columns = await sql<{ table_name: string; collation_name: string | null }>`
      SELECT table_name, collation_name FROM information_schema.columns
      WHERE table_schema = 'public' AND column_name = 'address' ORDER BY table_name`.execute(test.db);
    expect(columns.rows).toEqual([
      { table_name: 'addresses', collation_name: 'C' },
      { table_name: 'pool_addresses', collation_name: 'C' },
      { table_name: 'tags', collation_name: 'C' },
    ]);
  });

  it('keeps chain_state to one row', async () => {
    await test.db.insertInto('chain_state').values({ network: 'regtest' }).execute();
    await expect(
      sql`INSERT INTO chain_state (id, network) VALUES (false, 'main')`.execute(test.db),
    ).rejects.toThrow();
    await expect(test.db.insertInto('chain_state').values({ network: 'main' }).execute()).rejects.toThrow();
  });

  // Last: it leaves the migration table behind the schema.
  it('names a pending migration and the command that applies it', async () => {
    await sql`DELETE FROM kysely_migration WHERE name = ${Object.keys(migrations).at(-1)!}`.execute(test.db);
    await expect(assertSchemaCurrent(test.db)).rejects.toThrow(SchemaOutdatedError);
    await expect(assertSchemaCurrent(test.db)).rejects.toThrow(/minetrace migrate/);
  });
});

describe('Postgres only: partial indexes, named statements', () => {
  let test: TestDatabase;
  beforeAll(async () => {
    test = await createTestDatabase('postgres');
  });
  afterAll(async () => {
    await test?.close();
  });

  it('serves lookups by cluster from the membership index, and by spender from the spends index', async () => {
    const plan = async (query: ReturnType<typeof sql>) =>
      test.db.transaction().execute(async (trx) => {
        // An empty table would be read whole whatever the indexes: make the planner show its index.
        await sql`SET LOCAL enable_seqscan = off`.execute(trx);
        const rows = await sql<{ 'QUERY PLAN': string }>`EXPLAIN ${query}`.execute(trx);
        return rows.rows.map((row) => row['QUERY PLAN']).join('\n');
      });
    const byCluster = await plan(sql`SELECT id FROM addresses a WHERE ${inClusters('a.id', [7n, 9n])}`);
    expect(byCluster).toContain('address_clusters_cluster_id_idx');
    expect(byCluster).toContain('addresses_pkey');
    expect(
      await plan(sql`SELECT tx_id FROM outputs WHERE spent_by_tx_id = ANY(${['5', '6']}::int8[])`),
    ).toContain('spends_spent_by_tx_id_idx');
    // A reader of the view asking nothing of the spends does not join them.
    expect(await plan(sql`SELECT value FROM outputs WHERE address_id = 5`)).not.toContain('spends');
    // Joined to addresses by address under their shared collation, tags are reached by their index.
    // (Under two collations the plan reads the whole index instead, without an index condition.)
    expect(
      await plan(sql`SELECT t.label FROM addresses a JOIN tags t ON t.address = a.address WHERE a.id = 5`),
    ).toMatch(/Index Cond: \(.*address = a\.address\)/);
    expect(await plan(sql`SELECT id FROM addresses WHERE address = ANY(${['x', 'y']}::text[])`)).toContain(
      'addresses_address_key',
    );
    const predicates = await sql<{ name: string; predicate: string | null }>`
      SELECT c.relname AS name, pg_get_expr(i.indpred, i.indrelid) AS predicate
      FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
      WHERE c.relname IN ('address_clusters_cluster_id_idx', 'spends_spent_by_tx_id_idx') ORDER BY 1`.execute(
      test.db,
    );
    expect(predicates.rows).toEqual([
      // Membership rows exist only for clusters of two or more: nothing to leave out.
      { name: 'address_clusters_cluster_id_idx', predicate: null },
      // Every spend has a spender.
      { name: 'spends_spent_by_tx_id_idx', predicate: null },
    ]);
  });

  it('moves cluster membership out of addresses into address_clusters, and back', async () => {
    const migrator = new Migrator({ db: test.db, provider: { getMigrations: async () => migrations } });
    const down = await migrator.migrateTo('2026-11-26-011-final-height-in-cluster-state');
    expect(down.error).toBeUndefined();
    // As a database indexed before the move holds them: two clustered addresses and one alone.
    await sql`
      INSERT INTO addresses (id, address, script_type, first_height, cluster_id) VALUES
        (101, 'bcrt1qmove1', 4, 1, 101), (102, 'bcrt1qmove2', 4, 1, 101), (103, 'bcrt1qmove3', 4, 2, NULL)`.execute(
      test.db,
    );
    expect(await migrateToLatest(test.db)).toEqual([
      '2026-11-26-012-address-clusters',
      '2026-11-27-013-address-collation',
      '2026-11-27-014-spends',
    ]);
    const moved = await sql<{ address_id: string; cluster_id: string }>`
      SELECT address_id::text, cluster_id::text FROM address_clusters ORDER BY address_id`.execute(test.db);
    expect(moved.rows).toEqual([
      { address_id: '101', cluster_id: '101' },
      { address_id: '102', cluster_id: '101' },
    ]);
    const columns = await sql<{ column_name: string }>`
      SELECT column_name FROM information_schema.columns WHERE table_name = 'addresses' ORDER BY 1`.execute(
      test.db,
    );
    expect(columns.rows.map((row) => row.column_name)).toEqual([
      'address',
      'first_height',
      'id',
      'script_type',
    ]);

    expect((await migrator.migrateTo('2026-11-26-011-final-height-in-cluster-state')).error).toBeUndefined();
    const back = await sql<{ id: string; cluster_id: string | null }>`
      SELECT id::text, cluster_id::text FROM addresses WHERE id >= 101 ORDER BY id`.execute(test.db);
    expect(back.rows).toEqual([
      { id: '101', cluster_id: '101' },
      { id: '102', cluster_id: '101' },
      { id: '103', cluster_id: null },
    ]);
    await migrateToLatest(test.db);
    await sql`DELETE FROM address_clusters`.execute(test.db);
    await sql`DELETE FROM addresses WHERE id >= 101`.execute(test.db);
  });

  it('moves spends out of outputs into their own table, and back', async () => {
    const migrator = new Migrator({ db: test.db, provider: { getMigrations: async () => migrations } });
    expect((await migrator.migrateTo('2026-11-27-013-address-collation')).error).toBeUndefined();
    // As a database indexed before the move holds them: tx 901's first output spent by tx 902.
    await sql`
      INSERT INTO outputs (tx_id, n, value, script_type, address_id, spent_by_tx_id, spent_by_input) VALUES
        (901, 0, 5000, 4, NULL, 902, 1), (901, 1, 7000, 4, NULL, NULL, NULL), (902, 0, 4000, 4, NULL, NULL, NULL)`.execute(
      test.db,
    );
    expect(await migrateToLatest(test.db)).toEqual(['2026-11-27-014-spends']);
    const spends = await sql<{ row: string }>`SELECT (s.*)::text AS row FROM spends s`.execute(test.db);
    expect(spends.rows).toEqual([{ row: '(901,0,902,1)' }]);
    const view = await sql<{ row: string }>`
      SELECT (o.*)::text AS row FROM outputs o WHERE tx_id >= 901 ORDER BY tx_id, n`.execute(test.db);
    expect(view.rows.map((r) => r.row)).toEqual([
      '(901,0,5000,4,,902,1)',
      '(901,1,7000,4,,,)',
      '(902,0,4000,4,,,)',
    ]);

    expect((await migrator.migrateTo('2026-11-27-013-address-collation')).error).toBeUndefined();
    const back = await sql<{ row: string }>`
      SELECT (o.*)::text AS row FROM outputs o WHERE tx_id >= 901 ORDER BY tx_id, n`.execute(test.db);
    expect(back.rows.map((r) => r.row)).toEqual(view.rows.map((r) => r.row));
    await sql`DELETE FROM outputs WHERE tx_id >= 901`.execute(test.db);
    await migrateToLatest(test.db);
  });

  it('prepares a statement statementName marks, once per connection, and no other', async () => {
    const marked = (n: number) =>
      sql<{ x: number }>`${sql.raw(statementName('db_test_marked'))} SELECT ${n}::int4 AS x`;
    // One transaction: one connection, whose prepared statements the last query lists.
    const { results, prepared } = await test.db.transaction().execute(async (trx) => {
      const results = [];
      for (const n of [1, 2, 3]) results.push((await marked(n).execute(trx)).rows[0]!.x);
      await sql`SELECT ${4}::int4 AS unmarked`.execute(trx);
      const prepared = await sql<{ name: string; statement: string }>`
        SELECT name, statement FROM pg_prepared_statements ORDER BY name`.execute(trx);
      return { results, prepared: prepared.rows };
    });
    expect(results).toEqual([1, 2, 3]);
    expect(prepared.map((row) => row.name)).toEqual(['db_test_marked']);
    expect(prepared[0]!.statement).toContain('SELECT $1::int4 AS x');
  });

  it('refuses a name that would not mark a statement', () => {
    expect(() => statementName('Has Spaces')).toThrow(/invalid statement name/);
    expect(() => statementName('a */ DROP TABLE x; /*')).toThrow(/invalid statement name/);
  });
});

describe('createTestDatabase', () => {
  it('fails with a clear message when PostgreSQL is unreachable', async () => {
    await expect(
      createTestDatabase('postgres', { env: { TEST_DATABASE_URL: 'postgres://postgres@127.0.0.1:1/test' } }),
    ).rejects.toThrow(/PostgreSQL is not reachable at 127\.0\.0\.1:1.*start it with/);
  });
});
