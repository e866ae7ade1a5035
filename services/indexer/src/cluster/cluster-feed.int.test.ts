import { createDevnetChain, runScenario } from '@minetrace/devnet';
import { type BlockRows, decodeBlock } from '@minetrace/shared/chain';
import type { Db } from '@minetrace/shared/db';
import { createTestDatabase, type TestDatabase } from '@minetrace/shared/db/testing';
import { loadPools } from '@minetrace/shared/pools';
import { sql } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { applyBlockBatch } from '../ingest/batch-ingest.js';
import { rollbackTo } from '../ingest/block-rollback.js';
import { payoutsAfterBlock } from '../ingest/derived-rows.js';
import { parallelAndJit } from '../ingest/planner-settings.testing.js';
import { syncPools } from '../ingest/pool-sync.js';
import { addressOf, DERIVED_ROW_QUERIES, snapshotRows } from '../ingest/row-snapshot.testing.js';
import { createClusterCatchUp } from './cluster-catch-up.js';
import { ClusterFeed } from './cluster-feed.js';
import { finalizeClusters } from './cluster-store.js';

const FINALITY_DEPTH = 6;
const BATCH = 8;
const pools = loadPools();
const payouts = { afterBlock: payoutsAfterBlock({ payoutMaxHops: 3 }) };

// The demo scenario: its suspects and pools spend from several addresses at once, its mixers make
// CoinJoin-shaped transactions clustering must skip.
const chain = createDevnetChain();
runScenario('demo', chain, { seed: 'cluster-feed' });
const blocks: BlockRows[] = Array.from({ length: chain.tipHeight() + 1 }, (_, height) =>
  decodeBlock(chain.getBlock(chain.hashAtHeight(height)!)!.raw, 'regtest'),
);
const tip = blocks.length - 1;

const CLUSTER_QUERIES = {
  clusters: DERIVED_ROW_QUERIES.clusters,
  cluster_merges: DERIVED_ROW_QUERIES.cluster_merges,
  address_clusters: `SELECT ${addressOf('address_id')} AS address, ${addressOf('cluster_id')} AS cluster
       FROM address_clusters ORDER BY address`,
};

/** Writes blocks `from..to` in batches, each passing `feed` when given. */
async function writeBatches(
  db: Db,
  from: number,
  to: number,
  feed?: ClusterFeed,
  after?: (last: number) => void,
) {
  for (let height = from; height <= to; height += BATCH) {
    const batch = blocks.slice(height, Math.min(height + BATCH, to + 1));
    await applyBlockBatch(db, batch, pools, {
      ...payouts,
      ...(feed !== undefined ? { clusterFeed: feed } : {}),
    });
    after?.(height + batch.length - 1);
  }
}

async function clusterUpTo(db: Db, tipHeight: number, feed?: ClusterFeed) {
  return db.transaction().execute((trx) => finalizeClusters(trx, tipHeight, FINALITY_DEPTH, feed));
}

/**
 * Clustering reads a batch's blocks from what its write kept (`ClusterFeed`) rather than from the
 * stored rows: only as long as the two are the same rows.
 */
describe('clustering from the blocks a batch kept', () => {
  const opened: TestDatabase[] = [];
  const open = async (name: string) => {
    const test = await createTestDatabase('postgres', { name });
    opened.push(test);
    await syncPools(test.db, pools);
    return test;
  };
  afterEach(async () => {
    for (const test of opened.splice(0)) await test.close();
  });

  it('clusters exactly as reading the stored rows, beside the writes as a backfill does', async () => {
    const reference = await open('cluster_feed_ref');
    await writeBatches(reference.db, 0, tip);
    await clusterUpTo(reference.db, tip);

    const test = await open('cluster_feed');
    const feed = new ClusterFeed();
    const clustering = createClusterCatchUp(test.db, FINALITY_DEPTH, feed);
    await writeBatches(test.db, 0, tip, feed, (last) => clustering.request(last));
    await clustering.drain();

    const expected = await snapshotRows(reference.db, CLUSTER_QUERIES);
    expect(expected.cluster_merges.length).toBeGreaterThan(20);
    expect(await snapshotRows(test.db, CLUSTER_QUERIES)).toEqual(expected);
    // The kept blocks were read (all but the first chunks, written before any block was final)...
    expect(feed.stats.hits).toBeGreaterThan(10);
    expect(feed.stats.invalidated).toBe(0);
    // Addresses first seen within the blocks being clustered were not looked up (they cannot be in a
    // stored cluster yet), and the rows above still match the reference's.
    expect(feed.stats.unread).toBeGreaterThan(0);
    // ...and forgotten once clustered.
    expect(feed.size).toBeLessThanOrEqual(FINALITY_DEPTH);
  }, 120_000);

  it('reads the stored rows once a rollback has replaced blocks it kept, even with the same hashes', async () => {
    const last = tip - 10;
    const fork = last - 40;
    const reference = await open('cluster_feed_ref');
    await writeBatches(reference.db, 0, last);
    await clusterUpTo(reference.db, last);

    const test = await open('cluster_feed_rollback');
    const feed = new ClusterFeed(1_000);
    await writeBatches(test.db, 0, last, feed);
    // Another writer rolls back and writes the same blocks again: addresses first seen above the fork
    // get new ids, which the kept blocks do not know.
    await rollbackTo(test.db, fork);
    await writeBatches(test.db, fork + 1, last);
    await clusterUpTo(test.db, last, feed);

    expect(feed.stats.invalidated).toBe(1);
    expect(feed.size).toBe(0);
    expect(await snapshotRows(test.db, CLUSTER_QUERIES)).toEqual(
      await snapshotRows(reference.db, CLUSTER_QUERIES),
    );
  }, 120_000);

  it('clusters without parallel workers or JIT, in its transaction only', async () => {
    const test = await open('cluster_feed_serial');
    await writeBatches(test.db, 0, 40);
    const before = await parallelAndJit(test.db);
    expect(before).not.toMatch(/^0 |off$/);
    const inside = await test.db.transaction().execute(async (trx) => {
      await finalizeClusters(trx, 40, FINALITY_DEPTH);
      return parallelAndJit(trx);
    });
    expect(inside).toBe('0 off');
    expect(await parallelAndJit(test.db)).toBe(before);
  }, 60_000);

  it('keeps nothing of a batch whose transaction failed', async () => {
    const test = await open('cluster_feed_failed');
    // Room for every block: nothing clusters them here.
    const feed = new ClusterFeed(1_000);
    await writeBatches(test.db, 0, 99, feed);
    const kept = feed.size;
    await expect(
      applyBlockBatch(test.db, blocks.slice(100, 108), pools, {
        clusterFeed: feed,
        afterBatch: async () => {
          throw new Error('derived rows failed');
        },
      }),
    ).rejects.toThrow('derived rows failed');
    expect(feed.size).toBe(kept);
    expect(feed.range(100, 100)).toBeUndefined();
    // The same blocks written again are kept, and cluster as the stored rows say.
    await writeBatches(test.db, 100, 107, feed);
    expect(feed.range(100, 107)).toHaveLength(8);
  }, 60_000);

  it('knows, for each block kept, the lowest id an address first seen there or later can have', async () => {
    const test = await open('cluster_feed_first_ids');
    const feed = new ClusterFeed(1_000);
    await writeBatches(test.db, 0, tip, feed);
    const kept = feed.range(0, tip)!;
    const { rows } = await sql<{ height: number; before: string | null; own: string | null }>`
      SELECT b.height,
        (SELECT max(id) FROM addresses WHERE first_height < b.height)::text AS before,
        (SELECT min(id) FROM addresses WHERE first_height = b.height)::text AS own
      FROM blocks b ORDER BY b.height`.execute(test.db);
    let withNew = 0;
    for (const block of kept) {
      const stored = rows[block.height]!;
      // Safe: no address first seen before the block has an id as high (clustering skips those ids)...
      if (stored.before !== null) {
        expect(block.firstAddressId, `height ${block.height}`).toBeGreaterThan(Number(stored.before));
      }
      // ...and exact where the block paid a new address: its first is the first id skipped.
      if (stored.own !== null) {
        expect(block.firstAddressId, `height ${block.height}`).toBe(Number(stored.own));
        withNew += 1;
      }
    }
    expect(withNew).toBeGreaterThan(20);
  }, 60_000);
});
