import { createDevnetChain, type GroundTruth, runScenario } from '@minetrace/devnet';
import { type BlockRows, decodeBlock } from '@minetrace/shared/chain';
import type { Db } from '@minetrace/shared/db';
import { createTestDatabase, type TestDatabase } from '@minetrace/shared/db/testing';
import { createPoolSet, loadPools } from '@minetrace/shared/pools';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyBlockBatch } from './batch-ingest.js';
import { applyBlock } from './block-ingest.js';
import { rollbackTo } from './block-rollback.js';
import { deriveAfterBlock } from './derived-rows.js';
import { syncPools } from './pool-sync.js';
import { addressOf, DERIVED_ROW_QUERIES, snapshotRows } from './row-snapshot.testing.js';

/** The demo chain's first blocks: pools mine from height 13, pay out after coinbase maturity (100). */
const LAST = 180;
/** Below the clustered height at LAST, with payouts on both sides. */
const FORK = 150;
const FINALITY_DEPTH = 6;
const pools = loadPools();
const poolId = (slug: string) => pools.bySlug.get(slug)!.id;

const chain = createDevnetChain();
const truth: GroundTruth = runScenario('demo', chain, { seed: 'derived-rows' });
const blocks: BlockRows[] = [];
for (let height = 0; height <= LAST; height++) {
  blocks.push(decodeBlock(chain.getBlock(chain.hashAtHeight(height)!)!.raw, 'regtest'));
}
const entityAddresses = new Map(truth.entities.map((e) => [e.name, e.addresses]));

async function applyRange(db: Db, from: number, to: number) {
  for (let height = from; height <= to; height++) {
    await applyBlock(db, blocks[height]!, pools, { height, payoutMaxHops: 3, finalityDepth: FINALITY_DEPTH });
  }
}

/**
 * Every derived row, in a stable order, as text. Addresses appear as strings: a rollback deletes the
 * addresses first seen above the fork, and the same addresses come back with new ids.
 */
function snapshot(db: Db) {
  return snapshotRows(db, {
    ...DERIVED_ROW_QUERIES,
    pool_known_addresses: `SELECT pool_id, ${addressOf('k.address_id')} AS address, first_height FROM pool_known_addresses k
       ORDER BY pool_id, address`,
    address_clusters: `SELECT ${addressOf('ac.address_id')} AS address, ${addressOf('ac.cluster_id')} AS cluster
       FROM address_clusters ac ORDER BY address`,
  });
}

describe.each(['postgres', 'pglite'] as const)('derived rows on %s', (kind) => {
  let test: TestDatabase;
  /** The derived rows when the fork block was the tip. */
  let atFork: Awaited<ReturnType<typeof snapshot>>;
  beforeAll(async () => {
    test = await createTestDatabase(kind);
    await syncPools(test.db, pools);
    await applyRange(test.db, 0, FORK);
    atFork = await snapshot(test.db);
    await applyRange(test.db, FORK + 1, LAST);
  }, 120_000);
  afterAll(async () => {
    await test?.close();
  });

  it("marks a custodial pool's coinbase outputs as its funds and learns their addresses", async () => {
    const coinbase = blocks.find((b) =>
      b.txs[0]!.outputs.some((o) => o.address === entityAddresses.get('antpool')![0]),
    )!;
    const height = blocks.indexOf(coinbase);
    const marks = await sql<{ pool_id: number; hop: number; reason: string; address: string }>`
      SELECT p.pool_id, p.hop, p.reason, a.address FROM pool_outputs p
      JOIN txs t ON t.id = p.tx_id JOIN outputs o ON o.tx_id = p.tx_id AND o.n = p.n
      JOIN addresses a ON a.id = o.address_id
      WHERE t.height = ${height}::int4 AND t.idx = 0`.execute(test.db);
    expect(marks.rows).toEqual([
      { pool_id: poolId('antpool'), hop: 0, reason: 'coinbase', address: entityAddresses.get('antpool')![0] },
    ]);
    const known = await sql<{ address: string }>`
      SELECT a.address FROM pool_known_addresses k JOIN addresses a ON a.id = k.address_id
      WHERE k.pool_id = ${poolId('antpool')}::int4`.execute(test.db);
    expect(known.rows.map((r) => r.address)).toContain(entityAddresses.get('antpool')![0]);

    // The solo miner's untagged blocks belong to no pool: nothing of theirs is pool funds.
    const solo = await sql<{ n: bigint }>`
      SELECT count(*) AS n FROM pool_outputs p JOIN txs t ON t.id = p.tx_id WHERE t.height BETWEEN 1 AND 12`.execute(
      test.db,
    );
    expect(solo.rows[0]!.n).toBe(0n);
  });

  it('stores every ground-truth payout up to the last block with its pool, hop and source', async () => {
    const expected = truth.payouts.filter((p) => p.height <= LAST);
    expect(new Set(expected.map((p) => p.hop))).toEqual(new Set([0, 1, 2]));
    const found = await sql<{ key: string; pool_id: number; hop: number; source: Buffer; value: bigint }>`
      SELECT encode(t.txid, 'hex') || ':' || p.n AS key, p.pool_id, p.hop, s.txid AS source, p.value
      FROM payouts p JOIN txs t ON t.id = p.payout_tx_id JOIN txs s ON s.id = p.source_tx_id`.execute(
      test.db,
    );
    const byKey = new Map(found.rows.map((row) => [row.key, row]));
    for (const payout of expected) {
      expect(byKey.get(`${payout.payoutTxid}:${payout.vout}`)).toEqual({
        key: `${payout.payoutTxid}:${payout.vout}`,
        pool_id: poolId(payout.pool),
        hop: payout.hop,
        source: Buffer.from(payout.sourceTxid, 'hex'),
        value: BigInt(payout.value),
      });
    }
  });

  it("records each OCEAN coinbase paying its miners as one of the pool's distributions", async () => {
    const oceanHeights = truth.blocks
      .filter((b) => b.pool === 'ocean' && b.height <= LAST)
      .map((b) => b.height);
    expect(oceanHeights.length).toBeGreaterThan(3);
    const rows = await test.db
      .selectFrom('distributions')
      .select(['height', sql<number>`cardinality(address_ids)`.as('paid')])
      .where('pool_id', '=', poolId('ocean'))
      .where('kind', '=', 'coinbase')
      .orderBy('height')
      .execute();
    expect(rows.map((r) => r.height)).toEqual(oceanHeights);
    for (const row of rows) {
      const addresses = new Set(blocks[row.height]!.txs[0]!.outputs.flatMap((o) => o.address ?? []));
      expect(row.paid).toBe(addresses.size);
    }
  });

  it('a rollback deletes exactly the derived rows above the fork; re-applying restores them', async () => {
    const atTip = await snapshot(test.db);
    expect(atTip.cluster_merges.length).toBeGreaterThan(0);

    // Shallow: above the clustered height (LAST - FINALITY_DEPTH), clusters stay exact.
    await rollbackTo(test.db, LAST - 3);
    const shallow = await test.db.selectFrom('cluster_state').selectAll().executeTakeFirstOrThrow();
    expect(shallow).toMatchObject({ clustered_height: LAST - FINALITY_DEPTH, stale: false });
    await applyRange(test.db, LAST - 2, LAST);
    expect(await snapshot(test.db)).toEqual(atTip);

    // Deep: below the clustered height. Payout rows are those the database held when the fork block was
    // the tip; clusters are marked stale and rebuilt by the next block.
    await rollbackTo(test.db, FORK);
    const after = await snapshot(test.db);
    for (const table of ['payouts', 'pool_outputs', 'pool_known_addresses', 'distributions'] as const)
      expect(after[table], table).toEqual(atFork[table]);
    expect(after.payouts.length).toBeGreaterThan(0);
    expect(await test.db.selectFrom('cluster_state').selectAll().executeTakeFirstOrThrow()).toMatchObject({
      stale: true,
    });
    await applyRange(test.db, FORK + 1, LAST);
    expect(await snapshot(test.db)).toEqual(atTip);
    expect(await test.db.selectFrom('cluster_state').selectAll().executeTakeFirstOrThrow()).toMatchObject({
      clustered_height: LAST - FINALITY_DEPTH,
      stale: false,
    });
  }, 120_000);

  it('recomputes payouts when the pool definitions change, and restores them when they change back', async () => {
    const before = await snapshot(test.db);
    const viabtc = poolId('viabtc');
    const withoutViaBtc = createPoolSet(pools.pools.filter((p) => p.id !== viabtc));
    const changed = await syncPools(test.db, withoutViaBtc);
    expect(changed.changed).toBe(true);
    expect(changed.reattributed).toBe(
      truth.blocks.filter((b) => b.pool === 'viabtc' && b.height <= LAST).length,
    );
    const left = await test.db
      .selectFrom('payouts')
      .select('pool_id')
      .where('pool_id', '=', viabtc)
      .execute();
    expect(left).toEqual([]);
    const marks = await test.db
      .selectFrom('pool_outputs')
      .select('pool_id')
      .where('pool_id', '=', viabtc)
      .execute();
    expect(marks).toEqual([]);

    const restored = await syncPools(test.db, pools);
    expect(restored.payouts).toBe(before.payouts.length);
    expect(await snapshot(test.db)).toEqual(before);
  }, 120_000);

  it('batch ingest with deriveAfterBlock stores the same derived rows as block-by-block ingest', async () => {
    const expected = await snapshot(test.db);
    const batched = await createTestDatabase(kind);
    try {
      await syncPools(batched.db, pools);
      const afterBlock = deriveAfterBlock({ payoutMaxHops: 3, finalityDepth: FINALITY_DEPTH });
      for (let from = 0; from <= LAST; from += 40) {
        await applyBlockBatch(batched.db, blocks.slice(from, Math.min(from + 40, LAST + 1)), pools, {
          afterBlock,
        });
      }
      expect(await snapshot(batched.db)).toEqual(expected);
    } finally {
      await batched.close();
    }
  }, 120_000);
});
