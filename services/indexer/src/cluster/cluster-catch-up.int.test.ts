import { createDevnetChain, createWallet, type Utxo } from '@minetrace/devnet';
import { type BlockRows, decodeBlock } from '@minetrace/shared/chain';
import { openPostgres } from '@minetrace/shared/db';
import { createTestDatabase, type TestDatabase } from '@minetrace/shared/db/testing';
import { loadPools } from '@minetrace/shared/pools';
import pg from 'pg';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { applyBlockBatch } from '../ingest/batch-ingest.js';
import { payoutsAfterBlock } from '../ingest/derived-rows.js';
import { createClusterCatchUp } from './cluster-catch-up.js';
import { finalizeClusters } from './cluster-store.js';

const FINALITY_DEPTH = 2;
const pools = loadPools();

/**
 * Every block pays the same miner address (so each batch names a stored address), and three spends
 * from two addresses each give the clustering merges to make.
 */
const chain = createDevnetChain();
const wallet = createWallet('cluster-catch-up', { chain });
const miner = wallet.newAddress('p2wpkh', 'miner');
chain.generateToAddress(105, miner.address);
const pairs = [0, 1, 2].map((i) => [
  wallet.newAddress('p2wpkh', `a${i}`),
  wallet.newAddress('p2wpkh', `b${i}`),
]);
const funding = wallet.send({
  from: { label: 'miner' },
  to: pairs.flat().map((owned) => ({ address: owned.address, value: 10_000_000n })),
  fee: 10_000n,
});
chain.sendRawTransaction(funding.raw);
chain.mine({ coinbaseOutputs: miner.address });
const sink = wallet.newAddress('p2wpkh', 'sink');
pairs.forEach((_, i) => {
  const coins: Utxo[] = [
    wallet.listUnspent({ label: `a${i}` })[0]!,
    wallet.listUnspent({ label: `b${i}` })[0]!,
  ];
  const tx = wallet.send({ from: coins, to: [{ address: sink.address, value: 15_000_000n }], fee: 5_000n });
  chain.sendRawTransaction(tx.raw);
  chain.mine({ coinbaseOutputs: miner.address });
});
chain.generateToAddress(FINALITY_DEPTH + 2, miner.address);
const tip = chain.tipHeight();
const rows: BlockRows[] = Array.from({ length: tip + 1 }, (_, height) =>
  decodeBlock(chain.getBlock(chain.hashAtHeight(height)!)!.raw, 'regtest'),
);
const payouts = { afterBlock: payoutsAfterBlock({ payoutMaxHops: 3 }) };

/** Settles with the promise's value, or rejects once `ms` pass: a write stuck on a lock fails the test. */
function within<T>(ms: number, what: string, promise: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} still waiting after ${ms} ms`)), ms);
  });
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}

const clusteredHeight = async (test: TestDatabase) =>
  (await test.db.selectFrom('cluster_state').select('clustered_height').executeTakeFirst())
    ?.clustered_height ?? null;

/**
 * Clustering runs in its own transaction beside the batch writes (backfill and the follower catching
 * up). It only pays off if neither waits for the other: these hold one side's locks open on a second
 * connection and require the other side to finish meanwhile.
 */
describe('clustering beside batch writes', () => {
  let test: TestDatabase;
  let other: pg.Client;
  beforeEach(async () => {
    test = await createTestDatabase('postgres', { name: 'cluster_catch_up' });
    other = new pg.Client({ connectionString: test.url });
    await other.connect();
  });
  afterEach(async () => {
    await other.end();
    await test.close();
  });

  it('a batch paying a stored address does not wait for a clustering transaction putting it in a cluster', async () => {
    await applyBlockBatch(test.db, rows.slice(0, 100), pools, payouts);
    // As clustering's transaction does: the miner's address joins a cluster, not committed yet.
    await other.query('BEGIN');
    const updated = await other.query(
      'INSERT INTO address_clusters (address_id, cluster_id) SELECT id, id FROM addresses WHERE address = $1',
      [miner.address],
    );
    expect(updated.rowCount).toBe(1);
    const result = await within(
      5_000,
      'the batch write',
      applyBlockBatch(test.db, rows.slice(100, 104), pools, payouts),
    );
    expect(result.blocks).toHaveLength(4);
    await other.query('ROLLBACK');
    const paid = await test.db
      .selectFrom('outputs as o')
      .innerJoin('addresses as a', 'a.id', 'o.address_id')
      .innerJoin('txs as t', 't.id', 'o.tx_id')
      .select((eb) => eb.fn.countAll<string>().as('n'))
      .where('a.address', '=', miner.address)
      .where('t.height', '>=', 100)
      .executeTakeFirstOrThrow();
    // Block 100's coinbase, 101-103's: the miner's stored id was found, not a second row made.
    expect(Number(paid.n)).toBe(4);
    const rowsOfMiner = await test.db
      .selectFrom('addresses')
      .select('id')
      .where('address', '=', miner.address)
      .execute();
    expect(rowsOfMiner).toHaveLength(1);
  });

  it('clustering does not wait for a batch holding the tip', async () => {
    await applyBlockBatch(test.db, rows, pools, payouts);
    // As a batch write does for its whole transaction.
    await other.query('BEGIN');
    await other.query('SELECT * FROM chain_state FOR UPDATE');
    const clustering = createClusterCatchUp(test.db, FINALITY_DEPTH);
    clustering.request(tip);
    await within(5_000, 'clustering', clustering.drain());
    await other.query('ROLLBACK');
    expect(await clusteredHeight(test)).toBe(tip - FINALITY_DEPTH);
    const merged = await test.db.selectFrom('clusters').select(['size']).where('size', '>=', 2).execute();
    // The three spends from two addresses each.
    expect(merged.map((row) => row.size)).toEqual([2, 2, 2]);
  });
});

describe('createClusterCatchUp', () => {
  const opened: TestDatabase[] = [];
  afterAll(async () => {
    for (const test of opened) await test.close();
  });

  it('clusters to the highest tip requested, one round at a time, as clustering after each batch would', async () => {
    const beside = await createTestDatabase('postgres', { name: 'cluster_catch_up_beside' });
    const after = await createTestDatabase('postgres', { name: 'cluster_catch_up_after' });
    opened.push(beside, after);
    const clustering = createClusterCatchUp(beside.db, FINALITY_DEPTH);
    for (let start = 0; start <= tip; start += 20) {
      const batch = rows.slice(start, start + 20);
      const last = start + batch.length - 1;
      await applyBlockBatch(beside.db, batch, pools, payouts);
      clustering.request(last);
      await applyBlockBatch(after.db, batch, pools, payouts);
      await after.db.transaction().execute((trx) => finalizeClusters(trx, last, FINALITY_DEPTH));
    }
    await clustering.drain();
    expect(await clusteredHeight(beside)).toBe(tip - FINALITY_DEPTH);
    const partition = (test: TestDatabase) =>
      test.db
        .selectFrom('addresses as a')
        .leftJoin('address_clusters as ac', 'ac.address_id', 'a.id')
        .leftJoin('addresses as r', 'r.id', 'ac.cluster_id')
        .select(['a.address', 'r.address as root'])
        .orderBy('a.address')
        .execute();
    expect(await partition(beside)).toEqual(await partition(after));
    const merges = (test: TestDatabase) =>
      test.db.selectFrom('cluster_merges').select(['height', 'tx_id', 'new_size']).orderBy('id').execute();
    expect(await merges(beside)).toEqual(await merges(after));
    expect(await merges(beside)).toHaveLength(3);
  });

  it('reports the first failure from drain, and again on every later drain', async () => {
    const test = await createTestDatabase('postgres', { name: 'cluster_catch_up_fail' });
    opened.push(test);
    // A handle on a database that does not exist: its first transaction fails.
    const url = new URL(test.url!);
    url.pathname = `${url.pathname}_missing`;
    const missing = openPostgres(url.toString());
    try {
      const clustering = createClusterCatchUp(missing, FINALITY_DEPTH);
      clustering.request(tip);
      await expect(clustering.drain()).rejects.toThrow(/does not exist/);
      clustering.request(tip);
      await expect(clustering.drain()).rejects.toThrow(/does not exist/);
    } finally {
      await missing.destroy();
    }
  });
});
