import type { Db } from '@minetrace/shared/db';
import { createTestDatabase, type TestDatabase } from '@minetrace/shared/db/testing';
import { InsertQueryNode, type KyselyPlugin } from 'kysely';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type AuditRow, createAuditWriter } from './audit-writer.js';

describe('audit writer on Postgres', () => {
  let test: TestDatabase;
  let db: Db;
  let inserts = 0;
  const counter: KyselyPlugin = {
    transformQuery({ node }) {
      if (InsertQueryNode.is(node)) inserts += 1;
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
    test = await createTestDatabase('postgres');
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
