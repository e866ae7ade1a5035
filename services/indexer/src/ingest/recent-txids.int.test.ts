import { createDevnetChain, createMainnetLikeGenerator, createWallet } from '@minetrace/devnet';
import { type BlockRows, decodeBlock } from '@minetrace/shared/chain';
import type { Db } from '@minetrace/shared/db';
import { createTestDatabase, type TestDatabase } from '@minetrace/shared/db/testing';
import { loadPools } from '@minetrace/shared/pools';
import { sql } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { applyBlockBatch } from './batch-ingest.js';
import { rollbackTo } from './block-rollback.js';
import { RecentTxids } from './recent-txids.js';

const pools = loadPools();
const COIN = 100_000_000n;

const decodeAt = (chain: ReturnType<typeof createDevnetChain>, hash: string): BlockRows =>
  decodeBlock(chain.getBlock(hash)!.raw, 'regtest');

/** What a wrong prevout would change: every tx's fee and every output's spender. */
async function spendRows(db: Db) {
  const txs = await sql<{ id: string; txid: Buffer; fee: string | null }>`
    SELECT id::text, txid, fee::text FROM txs ORDER BY id`.execute(db);
  const outputs = await sql<{
    tx_id: string;
    n: number;
    spent_by_tx_id: string | null;
    spent_by_input: number | null;
  }>`
    SELECT tx_id::text, n, spent_by_tx_id::text, spent_by_input FROM outputs ORDER BY tx_id, n`.execute(db);
  return { txs: txs.rows, outputs: outputs.rows };
}

/** Writes `blocks` `size` at a time. */
async function writeBatches(db: Db, blocks: BlockRows[], size: number, recentTxids?: RecentTxids) {
  for (let i = 0; i < blocks.length; i += size) {
    await applyBlockBatch(
      db,
      blocks.slice(i, i + size),
      pools,
      recentTxids === undefined ? {} : { recentTxids },
    );
  }
}

describe('prevouts resolved from the txids a writer committed last', () => {
  const opened: TestDatabase[] = [];
  const open = async (name: string) => {
    const test = await createTestDatabase('postgres', { name });
    opened.push(test);
    return test;
  };
  afterEach(async () => {
    for (const test of opened.splice(0)) await test.close();
  });

  it('writes exactly the rows the txid lookup gives, finding most prevout txs in memory', async () => {
    const chain = createDevnetChain();
    const generator = createMainnetLikeGenerator(chain, { seed: 'recent-txids', txsPerBlock: 150 });
    for (let i = 0; i < 12; i++) generator.mineNext();
    const blocks = Array.from({ length: chain.tipHeight() + 1 }, (_, h) =>
      decodeAt(chain, chain.hashAtHeight(h)!),
    );

    const reference = await open('recent_txids_ref');
    await writeBatches(reference.db, blocks, 3);
    const test = await open('recent_txids');
    const recent = new RecentTxids();
    await writeBatches(test.db, blocks, 3, recent);

    expect(await spendRows(test.db)).toEqual(await spendRows(reference.db));
    expect(recent.stats.found).toBeGreaterThan(100);
    expect(recent.stats.invalidated).toBe(0);
  }, 120_000);

  it('forgets them once another writer has rolled back and rewritten the tip', async () => {
    // Block A mines T at height 102; the node then replaces A with an empty block and mines T one
    // block later, so T gets another txs.id; the block after spends T.
    const chain = createDevnetChain();
    const wallet = createWallet('recent-txids-reorg', { chain });
    const miner = wallet.newAddress('p2wpkh', 'miner').address;
    chain.generateToAddress(101, miner);
    const payee = createWallet('recent-txids-payee', { chain });
    const to = payee.newAddress('p2wpkh', 'to').address;
    const t = wallet.send({ from: { label: 'miner' }, to: [{ address: to, value: COIN }], fee: 10_000n });
    chain.sendRawTransaction(t.raw);
    const [a] = chain.generateToAddress(1, miner);
    const prelude = Array.from({ length: 102 }, (_, h) => decodeAt(chain, chain.hashAtHeight(h)!));
    const blockA = decodeAt(chain, a!);
    chain.invalidateBlock(a!);
    const b1 = chain.generateBlock(miner, []);
    const [b2] = chain.generateToAddress(1, miner);
    const spend = payee.send({
      from: { label: 'to' },
      to: [{ address: miner, value: COIN / 2n }],
      fee: 10_000n,
    });
    chain.sendRawTransaction(spend.raw);
    const [b3] = chain.generateToAddress(1, miner);
    const [rowsB1, rowsB2, rowsB3] = [b1, b2!, b3!].map((hash) => decodeAt(chain, hash));

    const reference = await open('recent_txids_reorg_ref');
    await writeBatches(reference.db, [...prelude, rowsB1!, rowsB2!, rowsB3!], 8);

    const test = await open('recent_txids_reorg');
    const recent = new RecentTxids();
    await writeBatches(test.db, [...prelude, blockA], 8, recent);
    expect(recent.get(t.txid)).toBeDefined();
    // Another writer follows the reorganization.
    await rollbackTo(test.db, 101);
    await writeBatches(test.db, [rowsB1!, rowsB2!], 8);
    // This writer's next batch spends T: its txs.id is no longer the one kept.
    await writeBatches(test.db, [rowsB3!], 8, recent);

    expect(recent.stats.invalidated).toBe(1);
    expect(await spendRows(test.db)).toEqual(await spendRows(reference.db));
  }, 120_000);
});
