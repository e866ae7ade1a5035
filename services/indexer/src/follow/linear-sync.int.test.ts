import { type DevnetNode, type GroundTruth, runScenario, startDevnetNode } from '@minetrace/devnet';
import { hashToHex } from '@minetrace/shared';
import { scriptTypeCode } from '@minetrace/shared/chain';
import { createTestDatabase, type TestDatabase } from '@minetrace/shared/db/testing';
import { createLogger } from '@minetrace/shared/log';
import { loadPools } from '@minetrace/shared/pools';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NetworkMismatchError } from '../ingest/ingest.errors.js';
import { createLinearSync, type LinearSync } from './linear-sync.js';
import { BitcoindRpcClient } from './rpc-client.js';

const logger = createLogger({ level: 'silent' });
const pools = loadPools();

describe('linear sync: devnet node over HTTP into Postgres', () => {
  let node: DevnetNode;
  let truth: GroundTruth;
  let test: TestDatabase;
  let sync: LinearSync;

  beforeAll(async () => {
    node = await startDevnetNode({ zmqEndpoint: null });
    truth = runScenario('demo', node.chain);
    test = await createTestDatabase('postgres');
    sync = createLinearSync({
      db: test.db,
      rpc: new BitcoindRpcClient({ url: node.rpcUrl, restUrl: node.restUrl }),
      pools,
      logger,
      pollIntervalMs: 50,
    });
    await sync.prepare();
    await sync.syncToTip();
  });
  afterAll(async () => {
    await test?.close();
    await node?.stop();
  });

  it('indexes every block of the node with its hash and tx count', async () => {
    const rows = await test.db
      .selectFrom('blocks')
      .select(['height', 'hash', 'tx_count'])
      .orderBy('height')
      .execute();
    expect(rows).toHaveLength(truth.tip.height + 1);
    for (const row of rows) {
      const block = node.chain.getBlock(node.chain.hashAtHeight(row.height)!)!;
      expect(hashToHex(row.hash)).toBe(block.hash);
      expect(row.tx_count).toBe(block.txids.length);
    }
    expect(rows.map((row) => hashToHex(row.hash))).toEqual(truth.blocks.map((block) => block.hash));
  });

  it('holds the same UTXO set total and count as the node', async () => {
    const info = node.chain.utxoSetInfo();
    // The node's UTXO set leaves out what can never be spent, as Core does: OP_RETURN outputs and
    // the genesis coinbase (never added to the UTXO database).
    const result = await sql<{ total: bigint; count: bigint }>`
      SELECT coalesce(sum(o.value), 0)::int8 AS total, count(*) AS count
      FROM outputs o JOIN txs t ON t.id = o.tx_id
      WHERE o.spent_by_tx_id IS NULL AND o.script_type <> ${scriptTypeCode('nulldata')} AND t.height > 0`.execute(
      test.db,
    );
    expect(result.rows[0]!.total).toBe(info.totalAmountSats);
    expect(Number(result.rows[0]!.count)).toBe(info.txouts);
    const state = await test.db.selectFrom('chain_state').selectAll().executeTakeFirstOrThrow();
    expect(state.network).toBe('regtest');
    expect(state.tip_height).toBe(info.height);
    expect(hashToHex(state.tip_hash!)).toBe(info.bestblock);
  });

  it('attributes the blocks to the pools the scenario mined them with', async () => {
    const rows = await sql<{ height: number; slug: string | null }>`
      SELECT b.height, p.slug FROM blocks b LEFT JOIN pools p ON p.id = b.pool_id ORDER BY b.height`.execute(
      test.db,
    );
    expect(rows.rows.map((row) => row.slug)).toEqual(truth.blocks.map((block) => block.pool));
  });

  it('knows the fee of every tx, since it holds the whole chain', async () => {
    const unknown = await test.db.selectFrom('txs').select('id').where('fee', 'is', null).execute();
    expect(unknown).toEqual([]);
  });

  it('follows new blocks, and stops advancing without writing when the node reorganizes', async () => {
    const controller = new AbortController();
    const running = sync.run(controller.signal);
    try {
      const address = truth.entities.find((entity) => entity.addresses.length > 0)!.addresses[0]!;
      node.chain.generateToAddress(2, address);
      sync.poke();
      const tip = node.chain.tipHeight();
      await expect
        .poll(
          async () =>
            (await test.db.selectFrom('chain_state').select('tip_height').executeTakeFirst())?.tip_height,
          {
            timeout: 10_000,
          },
        )
        .toBe(tip);

      // Replace our tip on the node: the follower must notice and leave the database as it is.
      const ourTip = node.chain.tipHash();
      node.chain.invalidateBlock(ourTip);
      node.chain.mine({ coinbaseOutputs: address, coinbaseTag: 'fork' });
      node.chain.mine({ coinbaseOutputs: address, coinbaseTag: 'fork' });
      await expect.poll(() => sync.status().diverged, { timeout: 10_000 }).toBe(true);
      const state = await test.db.selectFrom('chain_state').selectAll().executeTakeFirstOrThrow();
      expect(state.tip_height).toBe(tip);
      expect(hashToHex(state.tip_hash!)).toBe(ourTip);
    } finally {
      controller.abort();
      await running;
    }
  });

  it('refuses a node on another network than the database', async () => {
    await test.db.updateTable('chain_state').set({ network: 'main' }).execute();
    try {
      await expect(sync.prepare()).rejects.toThrow(NetworkMismatchError);
      await expect(sync.prepare()).rejects.toThrow(/node is on regtest but this database indexes main/);
    } finally {
      await test.db.updateTable('chain_state').set({ network: 'regtest' }).execute();
    }
  });
});
