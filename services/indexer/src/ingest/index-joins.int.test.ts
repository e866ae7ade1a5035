import type { Database } from '@minetrace/shared/db';
import { createTestDatabase, type TestDatabase } from '@minetrace/shared/db/testing';
import { sql, type Transaction } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { withIndexJoins } from './index-joins.js';

const settings = async (trx: Transaction<Database>) =>
  (
    await sql<{ hash: string; merge: string; seq: string }>`
      SELECT current_setting('enable_hashjoin') AS hash, current_setting('enable_mergejoin') AS merge,
        current_setting('enable_seqscan') AS seq`.execute(trx)
  ).rows[0]!;

describe.each(['postgres', 'pglite'] as const)('withIndexJoins on %s', (kind) => {
  let test: TestDatabase;
  beforeAll(async () => {
    test = await createTestDatabase(kind);
  });
  afterAll(async () => {
    await test?.close();
  });

  it('turns hash and merge joins off for the work, sequential scans only when asked, then restores them', async () => {
    await test.db.transaction().execute(async (trx) => {
      expect(await settings(trx)).toEqual({ hash: 'on', merge: 'on', seq: 'on' });
      expect(await withIndexJoins(trx, () => settings(trx))).toEqual({
        hash: 'off',
        merge: 'off',
        seq: 'on',
      });
      expect(await settings(trx)).toEqual({ hash: 'on', merge: 'on', seq: 'on' });
      expect(await withIndexJoins(trx, () => settings(trx), { noSeqScans: true })).toEqual({
        hash: 'off',
        merge: 'off',
        seq: 'off',
      });
      expect(await settings(trx)).toEqual({ hash: 'on', merge: 'on', seq: 'on' });
    });
  });

  it('restores what the transaction had set before, not the defaults', async () => {
    await test.db.transaction().execute(async (trx) => {
      await sql`SET LOCAL enable_mergejoin = off`.execute(trx);
      await sql`SET LOCAL enable_seqscan = off`.execute(trx);
      await withIndexJoins(trx, () => settings(trx));
      expect(await settings(trx)).toEqual({ hash: 'on', merge: 'off', seq: 'off' });
    });
    // SET LOCAL ends with its transaction.
    await test.db.transaction().execute(async (trx) => {
      expect(await settings(trx)).toEqual({ hash: 'on', merge: 'on', seq: 'on' });
    });
  });
});
