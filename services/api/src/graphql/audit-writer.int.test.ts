import type { Db } from '@minetrace/shared/db';
import { createTestDatabase, type TestDatabase } from '@minetrace/shared/db/testing';
import { type KyselyPlugin, RawNode } from 'kysely';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type AuditRow, createAuditWriter } from './audit-writer.js';

// `minetrace start` with nothing configured records its operations in PGlite.
describe.each(['postgres', 'pglite'] as const)('audit writer on %s', (kind) => {
  let test: TestDatabase;
  let db: Db;
  let inserts = 0;
  const counter: KyselyPlugin = {
    transformQuery({ node }) {
      if (RawNode.is(node) && node.sqlFragments.join('').includes('INSERT INTO audit_log')) inserts += 1;
      return node;
    },
    async transformResult({ result }) {
      return result;
    },
  };
  const row = (name: string, outcome = 'OK'): AuditRow => ({
    api_key_id: null,
    operation_name: name,
    operation_type: 'query',
    variables_hash: null,
    started_at: new Date('2026-01-02T03:04:05Z'),
    duration_ms: 7,
    result_bytes: 42,
    cost: 3,
    outcome,
  });

  beforeAll(async () => {
    test = await createTestDatabase(kind);
    db = test.db.withPlugin(counter);
  });
  afterAll(async () => {
    await test?.close();
  });
  beforeEach(async () => {
    await test.db.deleteFrom('audit_log').execute();
    inserts = 0;
  });

  it('commits every row before resolving, the rows of concurrent operations in one INSERT', async () => {
    const errors: unknown[] = [];
    const writer = createAuditWriter(db, (err) => errors.push(err));
    const names = Array.from({ length: 50 }, (_, i) => `op${i}`);
    await Promise.all(names.map((name) => writer.write(row(name))));
    const stored = await test.db.selectFrom('audit_log').select('operation_name').execute();
    expect(stored.map((r) => r.operation_name).sort()).toEqual([...names].sort());
    // The first row goes alone (nothing was queued yet); the 49 queued meanwhile go in the next.
    expect(inserts).toBe(2);
    expect(errors).toEqual([]);
  });

  it('stores every value as given, however it is spelled', async () => {
    const writer = createAuditWriter(db, (err) => {
      throw err;
    });
    // An operation name that is not an operation in the document is the caller's own text.
    const awkward = ['a "quoted", {braced} name', 'back\\slash', 'NULL', '', ' spaced ', 'ünï €'];
    const rows = awkward.map((name, i) => ({
      ...row(name, i % 2 === 0 ? 'OK' : 'BAD_USER_INPUT'),
      api_key_id: i === 0 ? null : BigInt(i),
      variables_hash: i === 1 ? null : `h${i}`,
      cost: i === 2 ? null : i * 10,
      started_at: new Date(Date.UTC(2026, 0, 2, 3, 4, 5, i)),
    }));
    await Promise.all(rows.map((r) => writer.write(r)));
    const stored = await test.db.selectFrom('audit_log').selectAll().orderBy('started_at').execute();
    expect(stored.map(({ id: _id, ...rest }) => rest)).toEqual(rows);
  });

  it('keeps the good rows of a batch with a refused one, and reports the refusal without failing', async () => {
    const errors: unknown[] = [];
    const writer = createAuditWriter(db, (err) => errors.push(err));
    const refused = { ...row('refused'), outcome: null as unknown as string };
    await Promise.all([
      writer.write(row('first')),
      writer.write(row('good')),
      writer.write(refused),
      writer.write(row('also good')),
    ]);
    const stored = await test.db.selectFrom('audit_log').select('operation_name').execute();
    expect(stored.map((r) => r.operation_name).sort()).toEqual(['also good', 'first', 'good']);
    expect(errors).toHaveLength(1);
    expect(String(errors[0])).toMatch(/outcome/);
  });
});
