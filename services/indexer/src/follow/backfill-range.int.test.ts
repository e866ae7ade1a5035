import { createDevnetChain, type DevnetNode, runScenario, startDevnetNode } from '@minetrace/devnet';
import { decodeBlock } from '@minetrace/shared/chain';
import type { Db } from '@minetrace/shared/db';
import { createTestDatabase, type TestDatabase } from '@minetrace/shared/db/testing';
import { createLogger } from '@minetrace/shared/log';
import { loadPools } from '@minetrace/shared/pools';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyBlock } from '../ingest/block-ingest.js';
import { syncPools } from '../ingest/pool-sync.js';
import { addressOf, DERIVED_ROW_QUERIES, snapshotRows } from '../ingest/row-snapshot.testing.js';
import { type BackfillProgress, backfillRange } from './backfill-range.js';
import { createChainFollower } from './chain-follower.js';
import { BackfillRangeError } from './follow.errors.js';
import { BitcoindRpcClient } from './rpc-client.js';

const pools = loadPools();
/** The demo chain's first blocks: pools mine from height 13 and pay out after coinbase maturity (100). */
const LAST = 180;

/**
 * Every chain and derived row, in a stable order, as text; ids of addresses shown as the addresses, so
 * two databases written in other batch sizes compare equal only if they hold the same facts.
 */
function snapshot(db: Db) {
  return snapshotRows(db, {
    blocks: 'SELECT * FROM blocks ORDER BY height',
    txs: 'SELECT * FROM txs ORDER BY id',
    outputs: `SELECT tx_id, n, value, script_type, ${addressOf('o.address_id')} AS address, spent_by_tx_id, spent_by_input
       FROM outputs o ORDER BY tx_id, n`,
    addresses: `SELECT address, script_type, first_height, ${addressOf('ac.cluster_id')} AS cluster
       FROM addresses a LEFT JOIN address_clusters ac ON ac.address_id = a.id ORDER BY address`,
    ...DERIVED_ROW_QUERIES,
    state: 'SELECT network, tip_height, tip_hash FROM chain_state',
    clustering: 'SELECT clustered_height, stale FROM cluster_state',
  });
}

describe('backfillRange and the follower catching up in batches', () => {
  const chain = createDevnetChain();
  runScenario('demo', chain, { seed: 'backfill-range' });
  let node: DevnetNode;
  let rpc: BitcoindRpcClient;
  /** The demo chain up to LAST, applied block by block with `applyBlock`. */
  let reference: TestDatabase;
  let expected: Awaited<ReturnType<typeof snapshot>>;

  beforeAll(async () => {
    node = await startDevnetNode({ chain });
    rpc = new BitcoindRpcClient({ url: node.rpcUrl, restUrl: node.restUrl });
    reference = await createTestDatabase('postgres', { name: 'backfill_reference' });
    await reference.db
      .insertInto('chain_state')
      .values({ id: true, network: 'regtest', updated_at: new Date() })
      .execute();
    await syncPools(reference.db, pools);
    for (let height = 0; height <= LAST; height++) {
      const rows = decodeBlock(chain.getBlock(chain.hashAtHeight(height)!)!.raw, 'regtest');
      await applyBlock(reference.db, rows, pools, { height });
    }
    expected = await snapshot(reference.db);
  }, 240_000);
  afterAll(async () => {
    await reference?.close();
    await node?.stop();
  });

  it('writes in ranges and odd batch sizes exactly the rows block-by-block ingest writes', async () => {
    // The reference holds payouts and clusters, or comparing them would prove nothing.
    expect(expected.payouts.length).toBeGreaterThan(0);
    expect(expected.cluster_merges.length).toBeGreaterThan(0);
    const test = await createTestDatabase('postgres', { name: 'backfill_ranges' });
    try {
      const progress: BackfillProgress[] = [];
      const first = await backfillRange({
        db: test.db,
        rpc,
        pools,
        from: 0,
        to: 60,
        batchBlocks: 7,
        onProgress: (p) => progress.push(p),
      });
      // 61 blocks in batches of at most 7: ceil(61 / 7) = 9 commits, the last at 60.
      expect(first).toMatchObject({ skipped: 0, applied: 61, aborted: false, tip: { height: 60 } });
      expect(progress).toHaveLength(9);
      expect(progress.map((p) => p.height)).toEqual([6, 13, 20, 27, 34, 41, 48, 55, 60]);
      expect(progress.at(-1)).toMatchObject({ applied: 61, total: 61 });

      // 40..120 overlaps what is indexed: 40..60 (21 blocks) are skipped, 61..120 (60) applied,
      // decoded in a worker thread.
      const second = await backfillRange({
        db: test.db,
        rpc,
        pools,
        from: 40,
        to: 120,
        batchBlocks: 16,
        decodeInWorker: true,
      });
      expect(second).toMatchObject({ skipped: 21, applied: 60, tip: { height: 120 } });
      // A range already indexed is a no-op.
      const again = await backfillRange({ db: test.db, rpc, pools, from: 100, to: 110 });
      expect(again).toMatchObject({ skipped: 11, applied: 0, tip: { height: 120 } });

      const third = await backfillRange({ db: test.db, rpc, pools, from: 121, to: LAST, batchTxs: 1 });
      // batchTxs 1 closes every batch after one block: one commit per block.
      expect(third).toMatchObject({ skipped: 0, applied: LAST - 120, tip: { height: LAST } });
      expect(await snapshot(test.db)).toEqual(expected);
    } finally {
      await test.close();
    }
  }, 240_000);

  it('refuses a range it cannot apply on the tip, with a clear error, writing nothing', async () => {
    const test = await createTestDatabase('postgres', { name: 'backfill_refused' });
    try {
      await expect(backfillRange({ db: test.db, rpc, pools, from: 5, to: 10 })).rejects.toThrow(
        /database is empty.*heights 0\.\.4 must be indexed first/,
      );
      await backfillRange({ db: test.db, rpc, pools, from: 0, to: 9 });
      const before = await snapshot(test.db);
      await expect(backfillRange({ db: test.db, rpc, pools, from: 12, to: 20 })).rejects.toThrow(
        /starts at 12 but the indexed tip is at 9.*heights 10\.\.11 must be indexed first/,
      );
      await expect(
        backfillRange({ db: test.db, rpc, pools, from: 10, to: chain.tipHeight() + 1 }),
      ).rejects.toThrow(new RegExp(`node's chain ends at ${chain.tipHeight()}`));
      await expect(backfillRange({ db: test.db, rpc, pools, from: 20, to: 10 })).rejects.toThrow(
        BackfillRangeError,
      );
      await expect(backfillRange({ db: test.db, rpc, pools, from: -1, to: 10 })).rejects.toThrow(
        BackfillRangeError,
      );
      await expect(backfillRange({ db: test.db, rpc, pools, from: 10, to: 10.5 })).rejects.toThrow(
        BackfillRangeError,
      );
      expect(await snapshot(test.db)).toEqual(before);
    } finally {
      await test.close();
    }
  }, 120_000);

  it('the follower catching up many blocks at once writes the same rows as block-by-block ingest', async () => {
    // A node whose chain ends at LAST, so the follower's tip is the reference's.
    const short = createDevnetChain();
    for (let height = 1; height <= LAST; height++) {
      const reason = short.submitBlock(chain.getBlock(chain.hashAtHeight(height)!)!.raw);
      expect(reason).toBeNull();
    }
    const shortNode = await startDevnetNode({ chain: short });
    const test = await createTestDatabase('postgres', { name: 'backfill_follower' });
    try {
      const heights: number[] = [];
      const follower = createChainFollower({
        db: test.db,
        rpc: new BitcoindRpcClient({ url: shortNode.rpcUrl, restUrl: shortNode.restUrl }),
        pools,
        logger: createLogger({ level: 'silent' }),
        // Catching up more than a batch: decoded in a worker thread.
        config: { pollIntervalMs: 600_000, batchBlocks: 5, decodeInWorker: true },
        onEvent: (event) => {
          if (event.type === 'block') heights.push(event.height);
        },
      });
      await follower.prepare();
      const round = await follower.reconcile();
      expect(round.applied).toBe(LAST + 1);
      // One event per block, in height order.
      expect(heights).toEqual(Array.from({ length: LAST + 1 }, (_, h) => h));
      expect(await snapshot(test.db)).toEqual(expected);
    } finally {
      await test.close();
      await shortNode.stop();
    }
  }, 240_000);
});
