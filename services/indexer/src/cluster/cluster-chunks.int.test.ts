import { buildMainnetLike, createDevnetChain } from '@minetrace/devnet';
import { type BlockRows, decodeBlock } from '@minetrace/shared/chain';
import type { Db } from '@minetrace/shared/db';
import { createTestDatabase, type TestDatabase } from '@minetrace/shared/db/testing';
import { loadPools } from '@minetrace/shared/pools';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyBlockBatch } from '../ingest/batch-ingest.js';
import { applyBlock } from '../ingest/block-ingest.js';
import { deriveAfterBatch, payoutsAfterBlock } from '../ingest/derived-rows.js';
import { addressOf, snapshotRows } from '../ingest/row-snapshot.testing.js';
import { rebuildClusters } from './cluster-store.js';

const pools = loadPools();
const FINALITY_DEPTH = 3;
/** Mainnet-like blocks after the funding prelude: several chunks of heights, spends of recent coins. */
const BLOCKS = 40;
const TXS = 150;

/** Every address with its cluster, every cluster and every merge; addresses instead of their ids. */
function clusterSnapshot(db: Db) {
  return snapshotRows(db, {
    addresses: `SELECT ${addressOf('ac.address_id')} AS address, ${addressOf('ac.cluster_id')} AS cluster
       FROM address_clusters ac ORDER BY address`,
    clusters: `SELECT ${addressOf('c.id')} AS root, size, height FROM clusters c ORDER BY root`,
    cluster_merges: `SELECT id, height, tx_id, ${addressOf('m.winner')} AS winner, ${addressOf('m.loser')} AS loser,
       new_size FROM cluster_merges m ORDER BY id`,
    state: 'SELECT clustered_height, stale FROM cluster_state',
  });
}

/**
 * Clustering several blocks at once (a batch's blocks made final, a rebuild chunk by chunk) reads the
 * stored clusters once and writes the merges at the end; it must leave exactly what clustering block by
 * block leaves, on blocks where clusters formed a few blocks earlier merge again and again.
 */
describe('clustering many blocks at once', () => {
  let blocks: BlockRows[];
  let reference: TestDatabase;
  let expected: Awaited<ReturnType<typeof clusterSnapshot>>;
  const dbs: TestDatabase[] = [];

  beforeAll(async () => {
    const chain = createDevnetChain();
    buildMainnetLike(chain, { seed: 'cluster-chunks', blocks: BLOCKS, txsPerBlock: TXS });
    blocks = [];
    for (let height = 0; height <= chain.tipHeight(); height++) {
      blocks.push(decodeBlock(chain.getBlock(chain.hashAtHeight(height)!)!.raw, 'regtest'));
    }
    reference = await createTestDatabase('postgres', { name: 'cluster_chunks_ref' });
    dbs.push(reference);
    for (const [height, rows] of blocks.entries()) {
      await applyBlock(reference.db, rows, pools, { height, finalityDepth: FINALITY_DEPTH });
    }
    expected = await clusterSnapshot(reference.db);
  }, 240_000);

  afterAll(async () => {
    for (const test of dbs) await test.close();
  });

  it('meets clusters that grow again within a few blocks, stored ones losing to others', async () => {
    const merges = await sql<{ regrown: bigint; stored_losers: bigint; total: bigint }>`
      SELECT
        count(*) FILTER (WHERE EXISTS (
          SELECT 1 FROM cluster_merges e
          WHERE e.winner IN (m.winner, m.loser) AND e.height < m.height AND e.height >= m.height - 8)) AS regrown,
        count(*) FILTER (WHERE EXISTS (
          SELECT 1 FROM cluster_merges e WHERE e.winner = m.loser AND e.height < m.height)) AS stored_losers,
        count(*) AS total
      FROM cluster_merges m`.execute(reference.db);
    const { regrown, stored_losers, total } = merges.rows[0]!;
    // Without these, one write per chunk could not differ from one write per block.
    expect(total).toBeGreaterThan(1000n);
    expect(regrown).toBeGreaterThan(100n);
    expect(stored_losers).toBeGreaterThan(10n);
  });

  it('clusters a batch of blocks once per batch exactly as block by block', async () => {
    const test = await createTestDatabase('postgres', { name: 'cluster_chunks_batch' });
    dbs.push(test);
    const derive = deriveAfterBatch({ payoutMaxHops: 3, finalityDepth: FINALITY_DEPTH });
    for (let from = 0; from < blocks.length; from += 8) {
      await applyBlockBatch(test.db, blocks.slice(from, from + 8), pools, derive);
    }
    expect(await clusterSnapshot(test.db)).toEqual(expected);
  }, 120_000);

  it('rebuilds every cluster in chunks of heights exactly as block by block', async () => {
    const test = await createTestDatabase('postgres', { name: 'cluster_chunks_rebuild' });
    dbs.push(test);
    for (let from = 0; from < blocks.length; from += 20) {
      await applyBlockBatch(test.db, blocks.slice(from, from + 20), pools, {
        afterBlock: payoutsAfterBlock({ payoutMaxHops: 3 }),
      });
    }
    const rebuilt = await rebuildClusters(test.db, FINALITY_DEPTH);
    expect(rebuilt.blocks).toBe(blocks.length - FINALITY_DEPTH);
    expect(await clusterSnapshot(test.db)).toEqual(expected);
  }, 120_000);
});
