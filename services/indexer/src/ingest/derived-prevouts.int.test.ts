import { createDevnetChain, createWallet } from '@minetrace/devnet';
import { type BlockRows, decodeBlock } from '@minetrace/shared/chain';
import type { Db } from '@minetrace/shared/db';
import { createTestDatabase, type TestDatabase } from '@minetrace/shared/db/testing';
import { loadPools } from '@minetrace/shared/pools';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyBlockBatch } from './batch-ingest.js';
import { deriveAfterBatch, recomputePayouts } from './derived-rows.js';
import { syncPools } from './pool-sync.js';
import { DERIVED_ROW_QUERIES, snapshotRows } from './row-snapshot.testing.js';

const pools = loadPools();
const COIN = 100_000_000n;

/**
 * A pool pays out twice in one block: tx A spends its coinbase and keeps change at the pool's address;
 * tx B spends that change (pool funds created in the block) together with a coin of another address
 * from an earlier block, sending change back there. B's payouts need that earlier prevout's address:
 * the ingest, which knows which stored outputs a block spent, must still read it for B.
 */
const chain = createDevnetChain();
const wallet = createWallet('derived-prevouts', { chain });
const poolAddress = wallet.newAddress('p2wpkh', 'pool');
const other = wallet.newAddress('p2wpkh', 'other');
const filler = wallet.newAddress('p2wpkh', 'filler').address;
const miners = Array.from({ length: 4 }, (_, i) => wallet.newAddress('p2wpkh', `miner-${i}`).address);
chain.mine({ coinbaseOutputs: poolAddress.address, coinbaseTag: '/AntPool/' });
chain.mine({ coinbaseOutputs: other.address });
chain.generateToAddress(100, filler);
const payA = wallet.send({
  from: wallet.listUnspent({ label: 'pool' }),
  to: [
    { address: miners[0]!, value: COIN },
    { address: miners[1]!, value: 2n * COIN },
  ],
  change: poolAddress.address,
});
chain.sendRawTransaction(payA.raw);
const change = wallet.listUnspent({ label: 'pool' }).find((coin) => coin.txid === payA.txid)!;
const payB = wallet.send({
  from: [change, ...wallet.listUnspent({ label: 'other' })],
  to: [
    // Unequal amounts: two equal outputs and a change from two inputs would be CoinJoin-shaped.
    { address: miners[2]!, value: COIN },
    { address: miners[3]!, value: 2n * COIN },
  ],
  change: other.address,
});
chain.sendRawTransaction(payB.raw);
chain.mine({ coinbaseOutputs: filler });
const payoutHeight = chain.tipHeight();
chain.generateToAddress(2, filler);

function derivedRows(db: Db) {
  return snapshotRows(db, {
    payouts: DERIVED_ROW_QUERIES.payouts,
    pool_outputs: DERIVED_ROW_QUERIES.pool_outputs,
    distributions: DERIVED_ROW_QUERIES.distributions,
  });
}

const tip = chain.tipHeight();
const blocks: BlockRows[] = [];
for (let height = 0; height <= tip; height++) {
  blocks.push(decodeBlock(chain.getBlock(chain.hashAtHeight(height)!)!.raw, 'regtest'));
}

// The spent coinbases in batches before the payout block's (their spends marked by one UPDATE), or in
// the same batch (resolved in memory).
describe.each([
  {
    layout: 'earlier batches',
    batches: [
      [0, 50],
      [51, payoutHeight - 2],
      [payoutHeight - 1, tip],
    ],
  },
  {
    layout: 'one batch',
    batches: [
      [0, 0],
      [1, tip],
    ],
  },
])('payouts of a block from the prevouts its ingest resolved, prevouts in $layout', ({ batches }) => {
  let test: TestDatabase;

  beforeAll(async () => {
    test = await createTestDatabase('postgres', { name: 'derived_prevouts' });
    await syncPools(test.db, pools);
    const derive = deriveAfterBatch({ payoutMaxHops: 3, finalityDepth: 2 });
    for (const [from, to] of batches) {
      await applyBlockBatch(test.db, blocks.slice(from, to! + 1), pools, derive);
    }
  }, 120_000);
  afterAll(async () => {
    await test?.close();
  });

  it("keeps change to an earlier input's address as the pool's, pays the miners", async () => {
    const rows = await sql<{ txid: Buffer; n: number; hop: number; address: string }>`
      SELECT t.txid, p.n, p.hop, a.address FROM payouts p
      JOIN txs t ON t.id = p.payout_tx_id JOIN addresses a ON a.id = p.address_id
      WHERE p.height = ${payoutHeight}::int4 ORDER BY t.idx, p.n`.execute(test.db);
    expect(rows.rows.map((row) => [row.txid.toString('hex'), row.address])).toEqual([
      [payA.txid, miners[0]],
      [payA.txid, miners[1]],
      [payB.txid, miners[2]],
      [payB.txid, miners[3]],
    ]);
    const kept = await sql<{ txid: Buffer; reason: string; address: string }>`
      SELECT t.txid, p.reason, a.address FROM pool_outputs p
      JOIN txs t ON t.id = p.tx_id JOIN outputs o ON o.tx_id = p.tx_id AND o.n = p.n
      JOIN addresses a ON a.id = o.address_id
      WHERE p.height = ${payoutHeight}::int4 ORDER BY t.idx, p.n`.execute(test.db);
    expect(kept.rows.map((row) => [row.txid.toString('hex'), row.reason, row.address])).toEqual([
      [payA.txid, 'known-address', poolAddress.address],
      [payB.txid, 'input-address', other.address],
    ]);
  });

  it('stores the payout rows derived again from the stored chain', async () => {
    const atIngest = await derivedRows(test.db);
    await test.db.transaction().execute((trx) => recomputePayouts(trx, { payoutMaxHops: 3 }));
    expect(await derivedRows(test.db)).toEqual(atIngest);
  });
});
