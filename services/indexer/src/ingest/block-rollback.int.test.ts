import { createDevnetChain, createWallet } from '@minetrace/devnet';
import { hexToHash } from '@minetrace/shared';
import { decodeBlock } from '@minetrace/shared/chain';
import { createTestDatabase, type TestDatabase } from '@minetrace/shared/db/testing';
import { loadPools } from '@minetrace/shared/pools';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyBlock } from './block-ingest.js';
import { rollbackTo } from './block-rollback.js';
import { RollbackError } from './ingest.errors.js';

const pools = loadPools();

describe('rollbackTo on Postgres', () => {
  const chain = createDevnetChain();
  const wallet = createWallet('rollback', { chain });
  const miner = wallet.newAddress('p2wpkh').address;
  let test: TestDatabase;
  let paidAddress: string;

  const applyHeight = async (height: number) => {
    const block = chain.getBlock(chain.hashAtHeight(height)!)!;
    await applyBlock(test.db, decodeBlock(block.raw, 'regtest'), pools, { height });
  };
  const countAbove = async (height: number) => {
    const txs = await test.db.selectFrom('txs').select('id').where('height', '>', height).execute();
    const blocks = await test.db.selectFrom('blocks').select('height').where('height', '>', height).execute();
    return txs.length + blocks.length;
  };

  beforeAll(async () => {
    chain.generateToAddress(101, miner);
    paidAddress = wallet.newAddress('p2tr').address;
    const tx = wallet.send({ to: [{ address: paidAddress, value: 5_000_000n }] });
    chain.sendRawTransaction(tx.raw);
    chain.mine({ coinbaseOutputs: miner, txs: [tx.raw] }); // height 102 spends the coinbase of height 1
    chain.generateToAddress(2, miner);
    test = await createTestDatabase('postgres', { name: 'rollback' });
    for (let height = 0; height <= chain.tipHeight(); height++) await applyHeight(height);
  });
  afterAll(async () => {
    await test?.close();
  });

  it('deletes every row above the fork, un-marks the spends they made and moves the tip in one go', async () => {
    const spentBefore = await test.db
      .selectFrom('outputs')
      .select('tx_id')
      .where('spent_by_tx_id', 'is not', null)
      .execute();
    expect(spentBefore.length).toBeGreaterThan(0);

    const result = await rollbackTo(test.db, 101, {
      newTip: { height: 105, hash: Buffer.alloc(32, 7) },
    });
    expect(result).toMatchObject({ status: 'rolled-back', forkHeight: 101, depth: 3 });
    expect(await countAbove(101)).toBe(0);
    const spent = await test.db
      .selectFrom('outputs')
      .select('tx_id')
      .where('spent_by_tx_id', 'is not', null)
      .execute();
    expect(spent).toEqual([]);
    const address = await test.db
      .selectFrom('addresses')
      .select('id')
      .where('address', '=', paidAddress)
      .execute();
    expect(address).toEqual([]);
    const state = await test.db.selectFrom('chain_state').selectAll().executeTakeFirstOrThrow();
    expect(state.tip_height).toBe(101);
    expect(state.tip_hash).toEqual(hexToHash(chain.hashAtHeight(101)!));
    const reorgs = await test.db.selectFrom('reorgs').selectAll().execute();
    expect(reorgs).toHaveLength(1);
    expect(reorgs[0]).toMatchObject({
      fork_height: 101,
      depth: 3,
      old_tip_height: 104,
      new_tip_height: 105,
      new_tip_hash: Buffer.alloc(32, 7),
    });
    expect(reorgs[0]!.old_tip_hash).toEqual(hexToHash(chain.hashAtHeight(104)!));
  });

  it('is idempotent: rolling back to the fork again writes nothing', async () => {
    const again = await rollbackTo(test.db, 101);
    expect(again.status).toBe('already-at-fork');
    expect(await test.db.selectFrom('reorgs').select('id').execute()).toHaveLength(1);
  });

  it('refuses a fork point that is not indexed, writing nothing', async () => {
    await expect(rollbackTo(test.db, 500)).rejects.toThrow(RollbackError);
    expect(
      (await test.db.selectFrom('chain_state').select('tip_height').executeTakeFirstOrThrow()).tip_height,
    ).toBe(101);
  });

  it('leaves a database the same blocks apply to again, with the same spends', async () => {
    for (let height = 102; height <= chain.tipHeight(); height++) await applyHeight(height);
    const spent = await test.db
      .selectFrom('outputs')
      .select('tx_id')
      .where('spent_by_tx_id', 'is not', null)
      .execute();
    expect(spent.length).toBeGreaterThan(0);
    const state = await test.db.selectFrom('chain_state').select('tip_hash').executeTakeFirstOrThrow();
    expect(state.tip_hash).toEqual(hexToHash(chain.tipHash()));
  });
});
