import { sql } from 'kysely';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { readFixture } from '../chain/fixtures.testing.js';
import type { Db } from '../db/db.js';
import { createTestDatabase, type TestDatabase } from '../db/testing.js';
import { TagImportError } from './tag.errors.js';
import { listTags, removeTags, storeTags, tagInputOfRow, tagsOfAddresses } from './tag.repository.js';
import { importTags } from './tag-import.js';
import { parseTagPack } from './tagpack-parser.js';
import { writeTagPack } from './tagpack-writer.js';
import { BIP173, F2POOL, OFAC, SAMPLE_TAGS_CSV } from './testing.js';

/** The sample with its bech32 address upper-cased, as some lists write it: stored lower-cased. */
const CSV = SAMPLE_TAGS_CSV.replace(BIP173, BIP173.toUpperCase());

async function count(db: Db): Promise<number> {
  const row = await sql<{ n: bigint }>`SELECT count(*) AS n FROM tags`.execute(db);
  return Number(row.rows[0]!.n);
}

describe('tags repository and import (Postgres)', () => {
  let test: TestDatabase;
  let db: Db;

  beforeAll(async () => {
    test = await createTestDatabase('postgres', { name: 'shared_tags' });
    db = test.db;
  }, 60_000);
  afterAll(async () => {
    await test?.close();
  });
  beforeEach(async () => {
    await sql`TRUNCATE tags, chain_state`.execute(db);
    await sql`DELETE FROM pools`.execute(db);
  });

  it('imports a CSV once: the second import of the same file adds and changes nothing', async () => {
    const first = await importTags(db, { format: 'csv', content: CSV, createdBy: 'cli' });
    expect(first).toMatchObject({ read: 3, inserted: 3, updated: 0, unchanged: 0, skipped: 0 });
    const before = await listTags(db);
    const second = await importTags(db, { format: 'csv', content: CSV, createdBy: 'cli' });
    expect(second).toMatchObject({ read: 3, inserted: 0, updated: 0, unchanged: 3 });
    expect(await listTags(db)).toEqual(before);
    expect(before.map((row) => [row.address, row.label, row.confidence, row.created_by])).toEqual([
      [OFAC, 'Lazarus Group', 0.6, 'cli'],
      [F2POOL, 'Example Exchange', 0.5, 'cli'],
      // Stored lowercased, as the indexer stores segwit addresses.
      [BIP173, 'Example Exchange', 0.5, 'cli'],
    ]);
  });

  it('updates a known tag whose confidence changed, keeping one row per source', async () => {
    await importTags(db, { format: 'csv', content: CSV, createdBy: 'cli' });
    const changed = CSV.replace(
      `${F2POOL},Example Exchange,exchange,https://example.org,0.5`,
      `${F2POOL},Example Exchange,exchange,https://example.org,0.9`,
    );
    const result = await importTags(db, { format: 'csv', content: changed, createdBy: 'cli' });
    expect(result).toMatchObject({ inserted: 0, updated: 1, unchanged: 2 });
    // A second source for the same address and label is a second row, never merged.
    await storeTags(
      db,
      [
        {
          address: F2POOL,
          label: 'Example Exchange',
          category: 'exchange',
          source: 'alice',
          confidence: 0.2,
        },
      ],
      'alice',
    );
    const rows = await tagsOfAddresses(db, [F2POOL]);
    expect(rows.map((row) => [row.source, row.confidence])).toEqual([
      ['https://example.org', 0.9],
      ['alice', 0.2],
    ]);
  });

  it('imports nothing from a file with problems, and only the valid rows with skipInvalid', async () => {
    const bad = `${CSV}\n${F2POOL.slice(0, -1)}Z,Bad,exchange,s,0.5\n${F2POOL},Too sure,exchange,s,7`;
    const error = await importTags(db, { format: 'csv', content: bad, createdBy: 'cli' }).catch((err) => err);
    expect(error).toBeInstanceOf(TagImportError);
    expect((error as TagImportError).problems.map((p) => p.at)).toEqual([
      'line 5 (address)',
      'line 6 (confidence)',
    ]);
    expect(await count(db)).toBe(0);

    const skipped = await importTags(db, {
      format: 'csv',
      content: bad,
      skipInvalid: true,
      createdBy: 'cli',
    });
    expect(skipped).toMatchObject({ read: 3, inserted: 3, skipped: 2 });
    expect(await count(db)).toBe(3);
  });

  it('checks addresses against the indexed network', async () => {
    await sql`INSERT INTO chain_state (id, network) VALUES (true, 'regtest')`.execute(db);
    const error = await importTags(db, { format: 'csv', content: CSV, createdBy: 'cli' }).catch((err) => err);
    expect((error as TagImportError).problems.map((p) => p.at)).toEqual([
      'line 2 (address)',
      'line 3 (address)',
      'line 4 (address)',
    ]);
    expect((error as TagImportError).problems[0]!.message).toMatch(
      /is a mainnet address, the index holds regtest/,
    );
    expect(await count(db)).toBe(0);
  });

  it('imports the real OFAC list with skipInvalid: 434 sanctioned addresses, the Tron entry skipped', async () => {
    await sql`INSERT INTO chain_state (id, network) VALUES (true, 'main')`.execute(db);
    const content = readFixture('ofac/sanctioned_addresses_XBT.txt').toString('utf8');
    await expect(importTags(db, { format: 'ofac', content, createdBy: 'cli' })).rejects.toThrow(/line 355/);
    const result = await importTags(db, { format: 'ofac', content, skipInvalid: true, createdBy: 'cli' });
    // 435 lines, one of them a Tron address: 435 - 1 = 434.
    expect(result).toMatchObject({ read: 434, inserted: 434, skipped: 1 });
    const row = await sql<{
      n: bigint;
    }>`SELECT count(*) AS n FROM tags WHERE category = 'sanctioned'`.execute(db);
    expect(row.rows[0]!.n).toBe(434n);
  });

  it('keeps one miner tag per pool payout address, following reloads of the pools dataset', async () => {
    await sql`INSERT INTO pools (id, slug, name, link, source) VALUES (1, 'f2pool', 'F2Pool', null, 'x'), (2, 'other', 'Other', null, 'x')`.execute(
      db,
    );
    await sql`INSERT INTO pool_addresses (pool_id, address) VALUES (1, ${F2POOL}), (2, ${OFAC}), (2, ${BIP173})`.execute(
      db,
    );
    const miners = async () =>
      (await listTags(db, { category: 'miner' })).map((row) => [
        row.address,
        row.label,
        row.source,
        row.actor,
      ]);
    expect(await miners()).toEqual([
      [OFAC, 'Other', 'mining-pools dataset', 'other'],
      [F2POOL, 'F2Pool', 'mining-pools dataset', 'f2pool'],
      [BIP173, 'Other', 'mining-pools dataset', 'other'],
    ]);
    // A reload (delete everything, insert the new set) leaves exactly the new set's tags.
    await db.transaction().execute(async (trx) => {
      await sql`DELETE FROM pools`.execute(trx);
      await sql`INSERT INTO pools (id, slug, name, link, source) VALUES (1, 'f2pool', 'F2Pool Renamed', null, 'x')`.execute(
        trx,
      );
      await sql`INSERT INTO pool_addresses (pool_id, address) VALUES (1, ${F2POOL})`.execute(trx);
    });
    expect(await miners()).toEqual([[F2POOL, 'F2Pool Renamed', 'mining-pools dataset', 'f2pool']]);
    // Nobody else may write under the dataset's source, and removeTags leaves its rows alone.
    const error = await importTags(db, {
      format: 'csv',
      content: `address,label,category,source,confidence\n${OFAC},Fake,miner,mining-pools dataset,1`,
      createdBy: 'cli',
    }).catch((err) => err);
    expect((error as TagImportError).problems[0]!.at).toBe('line 2 (source)');
    expect(await removeTags(db, { addresses: [F2POOL], source: 'mining-pools dataset' })).toBe(0);
    expect(await miners()).toHaveLength(1);
  });

  it('removes a source’s tags from addresses, optionally by label', async () => {
    await importTags(db, { format: 'csv', content: CSV, createdBy: 'cli' });
    expect(
      await removeTags(db, {
        addresses: [F2POOL, OFAC],
        source: 'https://example.org',
        label: 'Lazarus Group',
      }),
    ).toBe(1);
    expect(await removeTags(db, { addresses: [F2POOL, OFAC], source: 'someone else' })).toBe(0);
    expect((await listTags(db)).map((row) => row.address)).toEqual([F2POOL, BIP173]);
  });

  it('exports TagPack YAML that imports back to the same rows', async () => {
    const pack = `
title: Round trip
creator: tests
source: https://example.org/report
tags:
  - { address: ${F2POOL}, label: Example, category: exchange, confidence: ownership, actor: example }
  - { address: ${OFAC}, label: Lazarus Group, category: perpetrator, abuse: sanctioned, confidence: authority_data, is_cluster_definer: true }
`;
    await importTags(db, { format: 'tagpack', content: pack, createdBy: 'cli' });
    await importTags(db, { format: 'csv', content: CSV, createdBy: 'cli' });
    const before = await listTags(db);
    const exported = writeTagPack(
      { title: 'export', creator: 'minetrace', isPublic: false, description: null },
      before.map(tagInputOfRow),
    );
    expect(parseTagPack(exported, { network: 'main' }).problems).toEqual([]);
    await sql`TRUNCATE tags`.execute(db);
    const result = await importTags(db, { format: 'tagpack', content: exported, createdBy: 'cli' });
    expect(result).toMatchObject({ read: 5, inserted: 5 });
    const strip = (rows: typeof before) =>
      rows.map(({ id: _id, created_at: _at, tagpack: _pack, ...rest }) => rest);
    expect(strip(await listTags(db))).toEqual(strip(before));
  });
});

describe('tags on the embedded PGlite', () => {
  it('keeps the pools dataset’s miner tags by trigger and imports idempotently there too', async () => {
    const test = await createTestDatabase('pglite');
    try {
      await sql`INSERT INTO pools (id, slug, name, link, source) VALUES (1, 'f2pool', 'F2Pool', null, 'x')`.execute(
        test.db,
      );
      await sql`INSERT INTO pool_addresses (pool_id, address) VALUES (1, ${F2POOL})`.execute(test.db);
      expect((await listTags(test.db)).map((row) => [row.address, row.label, row.category])).toEqual([
        [F2POOL, 'F2Pool', 'miner'],
      ]);
      expect(await importTags(test.db, { format: 'csv', content: CSV, createdBy: 'cli' })).toMatchObject({
        inserted: 3,
      });
      expect(await importTags(test.db, { format: 'csv', content: CSV, createdBy: 'cli' })).toMatchObject({
        inserted: 0,
        unchanged: 3,
      });
      await sql`DELETE FROM pools`.execute(test.db);
      expect(await listTags(test.db, { category: 'miner' })).toEqual([]);
      expect(await count(test.db)).toBe(3);
    } finally {
      await test.close();
    }
    // PGlite starts a whole Postgres in WebAssembly and runs every migration.
  }, 180_000);
});
