import type { GroundTruth } from '@minetrace/devnet';
import type { Db } from '@minetrace/shared/db';
import { createTestDatabase, type TestDatabase } from '@minetrace/shared/db/testing';
import { type KyselyPlugin, sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { indexDemoChain } from '../testing/index.js';
import { createLoaders, createSharedLoaders } from './loaders.js';

/** Counts the statements sent through a Db. */
function statementCounter(): { plugin: KyselyPlugin; count(): number } {
  let n = 0;
  return {
    count: () => n,
    plugin: {
      transformQuery: ({ node }) => {
        n += 1;
        return node;
      },
      transformResult: async ({ result }) => result,
    },
  };
}

describe('address lookups of concurrent requests', () => {
  let test: TestDatabase;
  let truth: GroundTruth;
  let addresses: string[];

  beforeAll(async () => {
    test = await createTestDatabase('postgres');
    truth = await indexDemoChain(test.db, { tags: false });
    // Indexed entity addresses (some of the scenario's are never paid).
    const wanted = truth.entities.flatMap((entity) => entity.addresses);
    const rows = await test.db
      .selectFrom('addresses')
      .select('address')
      .where('address', 'in', wanted)
      .orderBy('id')
      .limit(12)
      .execute();
    addresses = rows.map((row) => row.address);
  }, 240_000);
  afterAll(async () => {
    await test?.close();
  });

  const summaryOf = async (db: Db, address: string) => {
    const loaders = createLoaders(db);
    const found = await loaders.addressSummary.load(address);
    return found === null ? null : { found, totals: await loaders.addressTotals.load(found.id) };
  };

  it('share one statement when they arrive in the same turn, each answered as if alone', async () => {
    expect(addresses.length).toBeGreaterThanOrEqual(10);
    const alone = await Promise.all(addresses.map((address) => summaryOf(test.db, address)));
    expect(alone.every((summary) => summary !== null)).toBe(true);

    const counter = statementCounter();
    const db = test.db.withPlugin(counter.plugin);
    const shared = createSharedLoaders(db);
    // One request's loaders per address, as the handler makes them, all on the shared batcher.
    const requests = addresses.map(() => createLoaders(db, shared));
    const together = await Promise.all(
      addresses.map(async (address, i) => {
        const found = await requests[i]!.addressSummary.load(address);
        return found === null ? null : { found, totals: await requests[i]!.addressTotals.load(found.id) };
      }),
    );
    expect(together).toEqual(alone);
    // One summary statement; the totals came primed with it, for each request's own loaders.
    expect(counter.count()).toBe(1);
  });

  it('still answers after a column is added to addresses on connections that prepared the lookup', async () => {
    const before = await summaryOf(test.db, addresses[1]!);
    await sql`ALTER TABLE addresses ADD COLUMN later_column int4`.execute(test.db);
    try {
      // Sequential lookups reuse the pooled connection that prepared the statement above.
      for (let i = 0; i < 3; i++) expect(await summaryOf(test.db, addresses[1]!)).toEqual(before);
    } finally {
      await sql`ALTER TABLE addresses DROP COLUMN later_column`.execute(test.db);
    }
  });

  it('runs on a generic plan once Postgres has tried five custom ones, whatever the batch size', async () => {
    const plans = async (conn: Db) => {
      const { rows } = await sql<{ generic: number; custom: number }>`
        SELECT generic_plans::int4 AS generic, custom_plans::int4 AS custom
        FROM pg_prepared_statements WHERE name = 'address_summary'`.execute(conn);
      return rows[0] ?? { generic: 0, custom: 0 };
    };
    await test.db.connection().execute(async (conn) => {
      const before = await plans(conn);
      const shared = createSharedLoaders(conn);
      for (let i = 0; i < 12; i++) {
        // Batches of 1 to 12 addresses, as load makes them; each answered in full.
        const batch = addresses.slice(0, 1 + (i % addresses.length));
        const found = await Promise.all(batch.map((address) => shared.addressSummary.load(address)));
        expect(found.map((row) => row?.address)).toEqual(batch);
      }
      const after = await plans(conn);
      // Planned anew for each batch, the statement would cost more to plan than to run.
      expect(after.custom - before.custom).toBeLessThanOrEqual(5);
      expect(after.generic - before.generic).toBeGreaterThanOrEqual(7);
    });
  });

  it('keeps an unknown address of one request from failing the others', async () => {
    const shared = createSharedLoaders(test.db);
    const [known, unknown] = await Promise.all([
      createLoaders(test.db, shared).addressSummary.load(addresses[0]!),
      createLoaders(test.db, shared).addressSummary.load('bcrt1qnotindexednotindexednotindexed0000000'),
    ]);
    expect(known?.address).toBe(addresses[0]);
    expect(unknown).toBeNull();
  });
});
