import { readFileSync } from 'node:fs';
import { createDevnetChain, createWallet, type DevnetChain } from '@minetrace/devnet';
import { hashToHex } from '@minetrace/shared';
import { type BlockRows, decodeBlock } from '@minetrace/shared/chain';
import { createTestDatabase, type TestDatabase } from '@minetrace/shared/db/testing';
import { createPoolSet, loadPools, type Pool, type PoolSet } from '@minetrace/shared/pools';
import { sql } from 'kysely';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { applyBlock } from './block-ingest.js';
import { BlockNotContiguousError } from './ingest.errors.js';
import { syncPools } from './pool-sync.js';

const FIXTURE = new URL('../../../../test/fixtures/blocks/block413567.raw', import.meta.url);
/** Mainnet block 413567, mined by F2Pool (its coinbase carries F2Pool's tag 七彩神仙鱼). */
const BLOCK_413567_HASH = '0000000000000000025aff8be8a55df8f89c77296db6198f272d6577325d4069';

const datasetPools = loadPools();

function devnetRows(chain: DevnetChain, height: number): BlockRows {
  const block = chain.getBlock(chain.hashAtHeight(height)!)!;
  return decodeBlock(block.raw, 'regtest');
}

async function applyRange(test: TestDatabase, chain: DevnetChain, pools: PoolSet, from: number, to: number) {
  for (let height = from; height <= to; height++)
    await applyBlock(test.db, devnetRows(chain, height), pools, { height });
}

async function count(test: TestDatabase, table: string): Promise<number> {
  const result = await sql<{ n: bigint }>`SELECT count(*) AS n FROM ${sql.table(table)}`.execute(test.db);
  return Number(result.rows[0]!.n);
}

describe.each(['postgres', 'pglite'] as const)('applyBlock on %s', (kind) => {
  let test: TestDatabase;
  beforeAll(async () => {
    test = await createTestDatabase(kind);
  });
  afterAll(async () => {
    await test?.close();
  });
  beforeEach(async () => {
    await sql`TRUNCATE blocks, txs, tx_outputs, spends, addresses, chain_state, pools, pool_tags, pool_addresses, payouts, pool_outputs, pool_known_addresses, distributions, clusters, cluster_merges, cluster_state RESTART IDENTITY`.execute(
      test.db,
    );
  });

  it('writes a real mainnet block whose prevouts are unknown, leaving its fees null', async () => {
    const rows = decodeBlock(readFileSync(FIXTURE), 'main');
    const result = await applyBlock(test.db, rows, datasetPools);

    expect(result).toMatchObject({
      status: 'applied',
      height: 413_567,
      txCount: rows.txs.length,
      fees: null,
    });
    // Inputs spending outputs of earlier txs in the same block resolve; the rest are unknown here.
    const inBlock = new Set<string>();
    let unresolved = 0;
    let unknownFeeTxs = 0;
    for (const tx of rows.txs) {
      if (!tx.isCoinbase) {
        const missing = tx.inputs.filter((input) => !inBlock.has(input.prevTxid.toString('hex'))).length;
        unresolved += missing;
        if (missing > 0) unknownFeeTxs += 1;
      }
      inBlock.add(tx.txid.toString('hex'));
    }
    expect(unresolved).toBeGreaterThan(0);
    expect(unknownFeeTxs).toBeLessThan(rows.txs.length - 1);
    expect(result.unresolvedInputs).toBe(unresolved);

    const block = await test.db.selectFrom('blocks').selectAll().executeTakeFirstOrThrow();
    expect(hashToHex(block.hash)).toBe(BLOCK_413567_HASH);
    expect(block.height).toBe(413_567);
    expect(block.subsidy).toBe(2_500_000_000n); // 25 BTC: between the first and second halvings
    expect(block.fees).toBeNull();
    expect(block.tx_count).toBe(rows.txs.length);
    expect(block.pool_id).toBe(datasetPools.bySlug.get('f2pool')!.id);
    expect(block.coinbase_tag).toContain('七彩神仙鱼');

    expect(await count(test, 'txs')).toBe(rows.txs.length);
    const outputs = rows.txs.reduce((n, tx) => n + tx.outputs.length, 0);
    expect(await count(test, 'outputs')).toBe(outputs);
    const coinbase = await test.db
      .selectFrom('txs')
      .selectAll()
      .where('idx', '=', 0)
      .executeTakeFirstOrThrow();
    expect(coinbase).toMatchObject({ id: 0n, is_coinbase: true, fee: 0n });
    const unknownFees = await test.db
      .selectFrom('txs')
      .select(sql<bigint>`count(*)`.as('n'))
      .where('fee', 'is', null)
      .executeTakeFirstOrThrow();
    expect(unknownFees.n).toBe(BigInt(unknownFeeTxs));

    // Every output value survives as bigint; the sum matches the decoded block exactly.
    const total = await sql<{ total: bigint }>`SELECT sum(value)::int8 AS total FROM outputs`.execute(
      test.db,
    );
    const expected = rows.txs.flatMap((tx) => tx.outputs).reduce((sum, out) => sum + out.value, 0n);
    expect(total.rows[0]!.total).toBe(expected);

    const state = await test.db.selectFrom('chain_state').selectAll().executeTakeFirstOrThrow();
    expect(state.tip_height).toBe(413_567);
    expect(hashToHex(state.tip_hash!)).toBe(BLOCK_413567_HASH);
  });

  it('gives every address one row, at the height it first appeared', async () => {
    const rows = decodeBlock(readFileSync(FIXTURE), 'main');
    await applyBlock(test.db, rows, datasetPools);
    const distinct = new Set(
      rows.txs.flatMap((tx) => tx.outputs.map((out) => out.address)).filter((a) => a !== null),
    );
    expect(await count(test, 'addresses')).toBe(distinct.size);
    const payout = await test.db
      .selectFrom('addresses')
      .selectAll()
      .where('address', '=', '1KFHE7w8BhaENAswwryaoccDb6qcT6DbYY')
      .executeTakeFirstOrThrow();
    expect(payout.first_height).toBe(413_567);
    const linked = await sql<{ n: bigint }>`
      SELECT count(*) AS n FROM outputs o JOIN addresses a ON a.id = o.address_id`.execute(test.db);
    const withAddress = rows.txs.flatMap((tx) => tx.outputs).filter((out) => out.address !== null).length;
    expect(linked.rows[0]!.n).toBe(BigInt(withAddress));
  });

  it('treats a block already indexed as a no-op', async () => {
    const rows = decodeBlock(readFileSync(FIXTURE), 'main');
    await applyBlock(test.db, rows, datasetPools);
    const again = await applyBlock(test.db, rows, datasetPools);
    expect(again.status).toBe('already-indexed');
    expect(await count(test, 'txs')).toBe(rows.txs.length);
    expect(await count(test, 'blocks')).toBe(1);
  });

  describe('on a devnet chain', () => {
    let chain: DevnetChain;
    let fees: { first: bigint; second: bigint };
    let spendHeight: number;

    beforeAll(() => {
      chain = createDevnetChain();
      const wallet = createWallet('ingest-test', { chain });
      const miner = wallet.newAddress('p2wpkh', 'miner');
      chain.generateToAddress(101, miner.address);
      const alice = wallet.newAddress('p2pkh', 'alice');
      const first = wallet.send({
        from: { label: 'miner' },
        to: [{ address: alice.address, value: 1_000_000_000n }],
        fee: 12_345n,
      });
      chain.sendRawTransaction(first.raw);
      // Spends an output of `first` in the same block.
      const bob = wallet.newAddress('p2tr', 'bob');
      const second = wallet.send({
        from: { label: 'alice' },
        to: [{ address: bob.address, value: 400_000_000n }],
        fee: 6_789n,
      });
      chain.sendRawTransaction(second.raw);
      chain.mine({ coinbaseOutputs: miner.address, coinbaseTag: '/AntPool/' });
      spendHeight = chain.tipHeight();
      fees = { first: first.fee, second: second.fee };
    });

    it('computes tx and block fees from the prevouts it spends, inside the block too', async () => {
      await applyRange(test, chain, datasetPools, 0, spendHeight);
      const block = await test.db
        .selectFrom('blocks')
        .selectAll()
        .where('height', '=', spendHeight)
        .executeTakeFirstOrThrow();
      expect(fees).toEqual({ first: 12_345n, second: 6_789n });
      expect(block.fees).toBe(12_345n + 6_789n);
      const txFees = await test.db
        .selectFrom('txs')
        .select(['idx', 'fee'])
        .where('height', '=', spendHeight)
        .orderBy('idx')
        .execute();
      expect(txFees.map((tx) => tx.fee)).toEqual([0n, 12_345n, 6_789n]);
      // The coinbase claims subsidy + fees: the block's own arithmetic agrees with ours.
      const reward = await sql<{ reward: bigint }>`
        SELECT sum(o.value)::int8 AS reward FROM outputs o JOIN txs t ON t.id = o.tx_id
        WHERE t.height = ${spendHeight} AND t.is_coinbase`.execute(test.db);
      expect(reward.rows[0]!.reward).toBe(block.subsidy + block.fees!);
      // Every block's fees are known: the database holds the whole chain.
      const unknown = await test.db.selectFrom('blocks').select('height').where('fees', 'is', null).execute();
      expect(unknown).toEqual([]);
    });

    it('marks spends with the spending tx and input, and tx ids follow chain order', async () => {
      await applyRange(test, chain, datasetPools, 0, spendHeight);
      const ids = await test.db.selectFrom('txs').select(['id', 'height', 'idx']).orderBy('id').execute();
      expect(ids.map((tx) => tx.id)).toEqual(ids.map((_, i) => BigInt(i)));
      expect(ids.map((tx) => tx.height)).toEqual([...ids.map((tx) => tx.height)].sort((a, b) => a - b));
      const second = ids.find((tx) => tx.height === spendHeight && tx.idx === 2)!;
      const first = ids.find((tx) => tx.height === spendHeight && tx.idx === 1)!;
      const spentByFirst = await test.db
        .selectFrom('outputs')
        .select(['tx_id', 'n', 'spent_by_input'])
        .where('spent_by_tx_id', '=', second.id)
        .execute();
      expect(spentByFirst.map((o) => o.tx_id)).toEqual([first.id]);
      expect(spentByFirst[0]!.spent_by_input).toBe(0);
    });

    it('refuses a block that does not extend the tip and writes nothing', async () => {
      await applyRange(test, chain, datasetPools, 0, 5);
      const before = await count(test, 'txs');
      await expect(applyBlock(test.db, devnetRows(chain, 7), datasetPools)).rejects.toThrow(
        BlockNotContiguousError,
      );
      await expect(applyBlock(test.db, devnetRows(chain, 6), datasetPools, { height: 9 })).rejects.toThrow(
        BlockNotContiguousError,
      );
      expect(await count(test, 'txs')).toBe(before);
      const state = await test.db.selectFrom('chain_state').selectAll().executeTakeFirstOrThrow();
      expect(state.tip_height).toBe(5);
    });

    it('attributes pools by tag and by payout address, and again when the pool set changes', async () => {
      await applyRange(test, chain, datasetPools, 0, spendHeight);
      const tagged = await test.db
        .selectFrom('blocks')
        .select(['pool_id', 'pool_match'])
        .where('height', '=', spendHeight)
        .executeTakeFirstOrThrow();
      expect(tagged).toEqual({ pool_id: datasetPools.bySlug.get('antpool')!.id, pool_match: 'tag' });
      const untagged = await test.db
        .selectFrom('blocks')
        .select(['pool_id', 'pool_match'])
        .where('height', '=', 1)
        .executeTakeFirstOrThrow();
      expect(untagged).toEqual({ pool_id: null, pool_match: 'unknown' });

      // A pool set that knows the miner's address: blocks 1..101 pay it, so they become that pool's.
      const minerAddress = devnetRows(chain, 1).txs[0]!.outputs[0]!.address!;
      const local: Pool = {
        id: 90_001,
        slug: 'local-pool',
        name: 'Local Pool',
        link: '',
        tags: [],
        addresses: [minerAddress],
        source: 'test',
      };
      const changedSet = createPoolSet([...datasetPools.pools, local]);
      const result = await syncPools(test.db, changedSet);
      expect(result.changed).toBe(true);
      expect(result.reattributed).toBe(spendHeight);
      const byAddress = await test.db
        .selectFrom('blocks')
        .select(['pool_id', 'pool_match'])
        .where('height', '=', 1)
        .executeTakeFirstOrThrow();
      expect(byAddress).toEqual({ pool_id: 90_001, pool_match: 'address' });
      const state = await test.db.selectFrom('chain_state').selectAll().executeTakeFirstOrThrow();
      expect(state.pools_fingerprint).toBe(changedSet.fingerprint);
      const poolRow = await test.db
        .selectFrom('pools')
        .selectAll()
        .where('id', '=', 90_001)
        .executeTakeFirst();
      expect(poolRow?.slug).toBe('local-pool');
      // Same set again: nothing to do.
      expect((await syncPools(test.db, changedSet)).changed).toBe(false);
    });
  });
});
