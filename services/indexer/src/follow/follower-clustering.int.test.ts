import { createDevnetChain, createWallet, type DevnetNode, startDevnetNode } from '@minetrace/devnet';
import { decodeBlock } from '@minetrace/shared/chain';
import type { Db } from '@minetrace/shared/db';
import { createTestDatabase, type TestDatabase } from '@minetrace/shared/db/testing';
import { createLogger } from '@minetrace/shared/log';
import { loadPools } from '@minetrace/shared/pools';
import { type KyselyPlugin, sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApplyBlockBatchOptions, applyBlockBatch } from '../ingest/batch-ingest.js';
import { deriveAfterBlock, payoutsAfterBlock } from '../ingest/derived-rows.js';
import { createChainFollower } from './chain-follower.js';
import { BitcoindRpcClient } from './rpc-client.js';

const pools = loadPools();
const silent = createLogger({ level: 'silent' });
const FINALITY_DEPTH = 3;

/** Every address with the smallest address of its cluster: the partition, whatever the ids. */
async function partition(db: Db): Promise<Array<{ address: string; root: string }>> {
  const result = await sql<{ address: string; root: string }>`
    WITH c AS (
      SELECT a.address, coalesce(ac.cluster_id, a.id) AS cluster
      FROM addresses a LEFT JOIN address_clusters ac ON ac.address_id = a.id
    )
    SELECT a.address, min(m.address) OVER (PARTITION BY a.cluster) AS root
    FROM c a JOIN c m ON m.cluster = a.cluster
    ORDER BY a.address`.execute(db);
  return [...new Map(result.rows.map((row) => [row.address, row])).values()];
}

async function clusteredHeight(db: Db): Promise<number | null> {
  const state = await db.selectFrom('cluster_state').select('clustered_height').executeTakeFirst();
  return state?.clustered_height ?? null;
}

/**
 * The follower clusters the blocks a commit made final in a transaction of its own, after the
 * block's. These tests hold it to the same clusters as clustering inside each block's transaction,
 * and check that clustering a crash left undone is caught up without a new block.
 */
describe('follower: clustering after the block commits', () => {
  let node: DevnetNode;
  let rpc: BitcoindRpcClient;
  let tip: number;
  let reference: TestDatabase;
  const dbs: TestDatabase[] = [];

  /** The node's blocks 0..tip written as `applyBlockBatch` with `afterBlock`, one block per batch. */
  const writeChain = async (db: Db, afterBlock: ApplyBlockBatchOptions['afterBlock']) => {
    for (let height = 0; height <= tip; height++) {
      const raw = await rpc.getBlockRaw(await rpc.getBlockHash(height));
      await applyBlockBatch(db, [decodeBlock(raw, 'regtest')], pools, { afterBlock });
    }
  };

  beforeAll(async () => {
    const chain = createDevnetChain();
    const wallet = createWallet('follower-clustering', { chain });
    // Coinbases to a new address each, then spends of several of them at once: multi-input merges.
    for (let i = 0; i < 8; i++) chain.generateToAddress(1, wallet.newAddress('p2wpkh', 'miner').address);
    chain.generateToAddress(100, wallet.newAddress('p2wpkh', 'filler').address);
    for (let i = 0; i < 3; i++) {
      const tx = wallet.send({
        from: { label: 'miner' },
        to: [{ address: wallet.newAddress('p2wpkh', 'out').address, value: 60n * 100_000_000n }],
      });
      chain.sendRawTransaction(tx.raw);
      chain.mine({ coinbaseOutputs: wallet.newAddress('p2wpkh', 'filler').address, txs: [tx.raw] });
    }
    chain.generateToAddress(FINALITY_DEPTH + 1, wallet.newAddress('p2wpkh', 'filler').address);
    node = await startDevnetNode({ chain });
    rpc = new BitcoindRpcClient({ url: node.rpcUrl, restUrl: node.restUrl });
    tip = (await rpc.getBlockchainInfo()).blocks;
    reference = await createTestDatabase('postgres', { name: 'follower_clusters_ref' });
    dbs.push(reference);
    await writeChain(reference.db, deriveAfterBlock({ payoutMaxHops: 3, finalityDepth: FINALITY_DEPTH }));
  }, 120_000);

  afterAll(async () => {
    await node?.stop();
    for (const test of dbs) await test.close();
  });

  const follow = (db: Db) =>
    createChainFollower({
      db,
      rpc,
      pools,
      logger: silent,
      config: { pollIntervalMs: 600_000, apply: { finalityDepth: FINALITY_DEPTH } },
    });

  it('ends with the clusters of clustering inside each block transaction', async () => {
    const merged = (await partition(reference.db)).filter((row) => row.address !== row.root);
    // The scenario merges: a test without merges could not tell the two ways apart.
    expect(merged.length).toBeGreaterThanOrEqual(3);
    const test = await createTestDatabase('postgres', { name: 'follower_clusters' });
    dbs.push(test);
    const follower = follow(test.db);
    await follower.prepare();
    await follower.reconcile();
    expect(await clusteredHeight(test.db)).toBe(tip - FINALITY_DEPTH);
    expect(await partition(test.db)).toEqual(await partition(reference.db));
  });

  it('catches up the clustering a crash left undone after the last commit, with no new block', async () => {
    const test = await createTestDatabase('postgres', { name: 'follower_clusters_crash' });
    dbs.push(test);
    // Every block committed with its payouts, none clustered: as if each commit were followed by a crash.
    await writeChain(test.db, payoutsAfterBlock({ payoutMaxHops: 3 }));
    expect(await clusteredHeight(test.db)).toBeNull();
    const follower = follow(test.db);
    await follower.prepare();
    const round = await follower.reconcile();
    expect(round.applied).toBe(0);
    expect(await clusteredHeight(test.db)).toBe(tip - FINALITY_DEPTH);
    expect(await partition(test.db)).toEqual(await partition(reference.db));
  });

  it('asks nothing of clustering in a round without a new block, once caught up', async () => {
    const test = await createTestDatabase('postgres', { name: 'follower_clusters_idle' });
    dbs.push(test);
    const statements: string[] = [];
    const recorder: KyselyPlugin = {
      transformQuery: ({ node }) => {
        statements.push(
          JSON.stringify(node, (_key, value) => (typeof value === 'bigint' ? String(value) : value)),
        );
        return node;
      },
      transformResult: async ({ result }) => result,
    };
    const follower = follow(test.db.withPlugin(recorder));
    await follower.prepare();
    await follower.reconcile();
    expect(statements.some((text) => text.includes('cluster_state'))).toBe(true);
    statements.length = 0;
    const idle = await follower.reconcile();
    expect(idle.applied).toBe(0);
    expect(statements.length).toBeGreaterThan(0);
    expect(statements.filter((text) => text.includes('cluster_state'))).toEqual([]);
  });
});
