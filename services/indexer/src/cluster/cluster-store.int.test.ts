import { createDevnetChain, createWallet, type OwnedAddress, type Utxo } from '@minetrace/devnet';
import { decodeBlock } from '@minetrace/shared/chain';
import type { Db } from '@minetrace/shared/db';
import { createTestDatabase, type TestDatabase } from '@minetrace/shared/db/testing';
import { loadPools } from '@minetrace/shared/pools';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyBlock } from '../ingest/block-ingest.js';
import { rollbackTo } from '../ingest/block-rollback.js';
import { findClusterLink, readClusterInputs, rebuildClusters } from './cluster-store.js';

const FINALITY_DEPTH = 2;
const pools = loadPools();

/**
 * A devnet chain where three spends link four addresses: tx1 spends from A and B, tx2 from C and D,
 * tx3 from A and D (joining both pairs); a CoinJoin-shaped tx spends from E, F and G.
 */
const chain = createDevnetChain();
const wallet = createWallet('cluster-store', { chain });
const miner = wallet.newAddress('p2wpkh', 'miner');
chain.generateToAddress(110, miner.address);
const names = ['A', 'B', 'C', 'D', 'E', 'F', 'G'] as const;
type Name = (typeof names)[number];
const owned = Object.fromEntries(names.map((name) => [name, wallet.newAddress('p2wpkh', name)])) as Record<
  Name,
  OwnedAddress
>;
const funding = wallet.send({
  from: { label: 'miner' },
  to: [...names, 'A', 'D'].map((name) => ({ address: owned[name as Name].address, value: 100_000_000n })),
  fee: 10_000n,
});
chain.sendRawTransaction(funding.raw);
chain.mine({ coinbaseOutputs: miner.address });
const coin = (name: Name, index = 0): Utxo => wallet.listUnspent({ label: name })[index]!;
const sink = wallet.newAddress('p2wpkh', 'sink');

const spend = (coins: Utxo[]) => {
  const tx = wallet.send({ from: coins, to: [{ address: sink.address, value: 150_000_000n }], fee: 5_000n });
  chain.sendRawTransaction(tx.raw);
  chain.mine({ coinbaseOutputs: miner.address });
  return { txid: tx.txid, height: chain.tipHeight() };
};
const tx1 = spend([coin('A', 0), coin('B')]);
const tx2 = spend([coin('C'), coin('D', 0)]);
const tx3 = spend([wallet.listUnspent({ label: 'A' })[0]!, wallet.listUnspent({ label: 'D' })[0]!]);
// Three participants, three equal outputs and two changes: the BlockSci CoinJoin shape.
const coinjoin = wallet.send({
  from: [coin('E'), coin('F'), coin('G')],
  to: [
    ...Array.from({ length: 3 }, () => ({
      address: wallet.newAddress('p2wpkh', 'mixed').address,
      value: 50_000_000n,
    })),
    { address: wallet.newAddress('p2wpkh', 'E').address, value: 30_000_000n },
    { address: wallet.newAddress('p2wpkh', 'F').address, value: 40_000_000n },
  ],
  fee: 10_000n,
});
chain.sendRawTransaction(coinjoin.raw);
chain.mine({ coinbaseOutputs: miner.address });
const coinjoinHeight = chain.tipHeight();
chain.generateToAddress(FINALITY_DEPTH, miner.address);
const tip = chain.tipHeight();

async function applyRange(db: Db, from: number, to: number) {
  for (let height = from; height <= to; height++) {
    const rows = decodeBlock(chain.getBlock(chain.hashAtHeight(height)!)!.raw, 'regtest');
    await applyBlock(db, rows, pools, { height, finalityDepth: FINALITY_DEPTH });
  }
}

describe.each(['postgres', 'pglite'] as const)('clusters on %s', (kind) => {
  let test: TestDatabase;
  const id = new Map<Name, bigint>();
  const clusterOf = async (name: Name) =>
    (
      await test.db
        .selectFrom('addresses as a')
        .leftJoin('address_clusters as ac', 'ac.address_id', 'a.id')
        .select(['ac.cluster_id'])
        .where('a.address', '=', owned[name].address)
        .executeTakeFirstOrThrow()
    ).cluster_id;

  beforeAll(async () => {
    test = await createTestDatabase(kind);
    await applyRange(test.db, 0, tx3.height);
    const rows = await test.db
      .selectFrom('addresses')
      .select(['id', 'address'])
      .where(
        'address',
        'in',
        names.map((name) => owned[name].address),
      )
      .execute();
    for (const name of names) id.set(name, rows.find((row) => row.address === owned[name].address)!.id);
  }, 60_000);
  afterAll(async () => {
    await test?.close();
  });

  it('clusters a block only once it is FINALITY_DEPTH below the tip', async () => {
    // tx1 is final (2 blocks deep), tx2 one block short of it, tx3 at the tip.
    expect(await clusterOf('A')).toBe(await clusterOf('B'));
    expect(await clusterOf('C')).toBeNull();
    const state = await test.db.selectFrom('cluster_state').selectAll().executeTakeFirstOrThrow();
    expect(state).toEqual({ id: true, clustered_height: tx3.height - FINALITY_DEPTH, stale: false });
    await applyRange(test.db, tx3.height + 1, tip);
  });

  it('keeps every cluster_id and size exact, the larger (then smaller-id) side keeping its id', async () => {
    const root = [id.get('A')!, id.get('B')!, id.get('C')!, id.get('D')!].sort((a, b) => (a < b ? -1 : 1))[0];
    for (const name of ['A', 'B', 'C', 'D'] as const) expect(await clusterOf(name)).toBe(root);
    for (const name of ['E', 'F', 'G'] as const) expect(await clusterOf(name)).toBeNull();
    const clusters = await test.db.selectFrom('clusters').select(['id', 'size', 'height']).execute();
    expect(clusters).toEqual([{ id: root, size: 4, height: tx3.height }]);
  });

  it('records which transaction merged which clusters, and answers which one linked two addresses', async () => {
    const merges = await test.db
      .selectFrom('cluster_merges as m')
      .innerJoin('txs as t', 't.id', 'm.tx_id')
      .select(['m.height', 't.txid', 'm.new_size'])
      .orderBy('m.id')
      .execute();
    expect(merges.map((m) => [m.height, m.txid.toString('hex'), m.new_size])).toEqual([
      [tx1.height, tx1.txid, 2],
      [tx2.height, tx2.txid, 2],
      [tx3.height, tx3.txid, 4],
    ]);
    const link = async (a: Name, b: Name) =>
      (await findClusterLink(test.db, id.get(a)!, id.get(b)!))?.txid.toString('hex') ?? null;
    expect(await link('A', 'B')).toBe(tx1.txid);
    expect(await link('B', 'A')).toBe(tx1.txid);
    expect(await link('D', 'C')).toBe(tx2.txid);
    expect(await link('A', 'D')).toBe(tx3.txid);
    expect(await link('B', 'C')).toBe(tx3.txid);
    expect(await link('A', 'E')).toBeNull();
    // The CoinJoin-shaped tx at `coinjoinHeight` merged nobody.
    expect(coinjoinHeight).toBeLessThanOrEqual(tip - FINALITY_DEPTH);
    expect(await link('E', 'F')).toBeNull();
  });

  it('marks clusters stale after a rollback below the clustered height and rebuilds them the same', async () => {
    const before = await test.db.selectFrom('clusters').select(['id', 'size', 'height']).execute();
    await rollbackTo(test.db, tx3.height);
    const state = await test.db.selectFrom('cluster_state').selectAll().executeTakeFirstOrThrow();
    expect(state.stale).toBe(true);

    // An explicit rebuild clusters what is final at the new tip: tx1's block only.
    const rebuilt = await rebuildClusters(test.db, FINALITY_DEPTH);
    expect(rebuilt).toMatchObject({ rebuilt: true, clusteredHeight: tx3.height - FINALITY_DEPTH });
    expect(await clusterOf('A')).toBe(await clusterOf('B'));
    expect(await clusterOf('C')).toBeNull();

    await applyRange(test.db, tx3.height + 1, tip);
    expect(await test.db.selectFrom('clusters').select(['id', 'size', 'height']).execute()).toEqual(before);
    expect(await findClusterLink(test.db, id.get('B')!, id.get('C')!)).toMatchObject({ height: tx3.height });
  });

  it('drops the membership of the addresses a rollback deletes, and rebuilds the same clusters', async () => {
    const before = await test.db.selectFrom('clusters').select(['id', 'size', 'height']).execute();
    const orphans = async () =>
      (
        await sql<{ n: bigint }>`
          SELECT count(*) AS n FROM address_clusters ac LEFT JOIN addresses a ON a.id = ac.address_id
          WHERE a.id IS NULL`.execute(test.db)
      ).rows[0]!.n;
    // Below the block that first paid A..G: their rows go, and so must the memberships they had.
    const fundingHeight = tx1.height - 1;
    await rollbackTo(test.db, fundingHeight - 1);
    expect(
      await test.db
        .selectFrom('addresses')
        .select('id')
        .where('id', 'in', [...id.values()])
        .execute(),
    ).toEqual([]);
    expect(await orphans()).toBe(0n);

    await applyRange(test.db, fundingHeight, tip);
    expect(await orphans()).toBe(0n);
    const roots = await test.db.selectFrom('clusters').select(['id', 'size', 'height']).execute();
    expect(roots.map(({ size, height }) => ({ size, height }))).toEqual(
      before.map(({ size, height }) => ({ size, height })),
    );
    for (const name of ['A', 'B', 'C', 'D'] as const) expect(await clusterOf(name)).toBe(roots[0]!.id);
  });
});

describe('the clustering read on statistics that lag behind a bulk load', () => {
  let test: TestDatabase;
  beforeAll(async () => {
    test = await createTestDatabase('postgres');
  });
  afterAll(async () => {
    await test?.close();
  });

  it('finds the spent outputs through the spender index, never by reading every output', async () => {
    // 40 blocks of 200 two-input txs, each spending two outputs of the block 20 heights before: 16,000
    // spent outputs. The statistics then claim 5 distinct spenders (as after an ANALYZE taken while few
    // outputs were spent), which makes reading every output look cheapest, with or without a hash join.
    await sql`
      INSERT INTO txs (id, txid, height, idx, is_coinbase, fee, size, vsize, weight, version, locktime, input_count, output_count)
      SELECT i, sha256(int8send(i)), i / 200, i % 200, false, 0, 200, 200, 800, 2, 0, 2, 2
      FROM generate_series(0, 7999) AS i`.execute(test.db);
    await sql`
      INSERT INTO tx_outputs (tx_id, n, value, script_type, address_id)
      SELECT i, n, 1000 + i, 1, i * 2 + n
      FROM generate_series(0, 7999) AS i, generate_series(0, 1) AS n`.execute(test.db);
    await sql`
      INSERT INTO spends (tx_id, n, spent_by_tx_id, spent_by_input)
      SELECT i, n, i + 4000, n FROM generate_series(0, 3999) AS i, generate_series(0, 1) AS n`.execute(
      test.db,
    );
    await sql`ALTER TABLE spends ALTER COLUMN spent_by_tx_id SET (n_distinct = 5)`.execute(test.db);
    await sql`ANALYZE txs, tx_outputs, spends`.execute(test.db);

    const { rows, seqScans, indexScans } = await test.db.transaction().execute(async (trx) => {
      const scans = async () =>
        (
          await sql<{ seq: string; idx: string }>`
            SELECT sum(seq_scan)::text AS seq, sum(coalesce(idx_scan, 0))::text AS idx
            FROM pg_stat_xact_user_tables WHERE relname IN ('tx_outputs', 'spends')`.execute(trx)
        ).rows[0]!;
      const before = await scans();
      const rows = await readClusterInputs(trx, 25, 27);
      const after = await scans();
      return {
        rows,
        seqScans: Number(after.seq) - Number(before.seq),
        indexScans: Number(after.idx) - Number(before.idx),
      };
    });
    // Heights 25..27 hold txs 5000..5599, spending outputs of txs 1000..1599, both of each.
    expect(rows).toHaveLength(1200);
    expect(rows[0]).toMatchObject({ height: 25, tx_id: 5000n, value: 2000n, address_id: 2000n });
    expect(rows[1]).toMatchObject({ tx_id: 5000n, address_id: 2001n });
    expect(rows[1199]).toMatchObject({ height: 27, tx_id: 5599n, value: 2599n, address_id: 3199n });
    expect(seqScans).toBe(0);
    expect(indexScans).toBeGreaterThan(0);
  });
});
