import { createDevnetChain, createMainnetLikeGenerator, type DevnetChain } from '@minetrace/devnet';
import { type BlockRows, decodeBlock } from '@minetrace/shared/chain';
import { createTestDatabase, type TestDatabase } from '@minetrace/shared/db/testing';
import { loadPools } from '@minetrace/shared/pools';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyBlockBatch, prepareBlockBatch } from './batch-ingest.js';
import { applyBlock } from './block-ingest.js';
import { rollbackTo } from './block-rollback.js';
import { BlockNotContiguousError } from './ingest.errors.js';
import { parallelAndJit } from './planner-settings.testing.js';

const pools = loadPools();
/** Mainnet-like blocks after the funding prelude: spends inside a block, across blocks and batches. */
const BLOCKS = 4;

let chain: DevnetChain;
let rows: BlockRows[];
let oneByOne: TestDatabase;
let batched: TestDatabase;

/** Every chain row, with address ids replaced by the address (ids may differ by identity gaps). */
type Row = Record<string, unknown>;

async function snapshot(test: TestDatabase) {
  const blocks =
    await sql<Row>`SELECT height, hash, prev_hash, time, version, bits, nonce, size, weight, pool_id,
      pool_match, coinbase_tag, subsidy, fees, tx_count FROM blocks ORDER BY height`.execute(test.db);
  const txs = await sql<Row>`SELECT * FROM txs ORDER BY id`.execute(test.db);
  const outputs =
    await sql<Row>`SELECT o.tx_id, o.n, o.value, o.script_type, a.address, o.spent_by_tx_id, o.spent_by_input
      FROM outputs o LEFT JOIN addresses a ON a.id = o.address_id ORDER BY o.tx_id, o.n`.execute(test.db);
  const addresses =
    await sql<Row>`SELECT address, script_type, first_height FROM addresses ORDER BY address`.execute(
      test.db,
    );
  const state = await sql<Row>`SELECT network, tip_height, tip_hash FROM chain_state`.execute(test.db);
  return {
    blocks: blocks.rows,
    txs: txs.rows,
    outputs: outputs.rows,
    addresses: addresses.rows,
    state: state.rows,
  };
}

beforeAll(async () => {
  chain = createDevnetChain();
  const generator = createMainnetLikeGenerator(chain, { seed: 'batch-ingest', txsPerBlock: 150 });
  for (let i = 0; i < BLOCKS; i++) generator.mineNext();
  rows = [];
  for (let h = 0; h <= chain.tipHeight(); h++) {
    rows.push(decodeBlock(chain.getBlock(chain.hashAtHeight(h)!)!.raw, 'regtest'));
  }
  [oneByOne, batched] = await Promise.all([
    createTestDatabase('postgres', { name: 'batch_ingest_a' }),
    createTestDatabase('postgres', { name: 'batch_ingest_b' }),
  ]);
  for (const [height, block] of rows.entries()) await applyBlock(oneByOne.db, block, pools, { height });
}, 120_000);

afterAll(async () => {
  await Promise.all([oneByOne?.close(), batched?.close()]);
});

describe('applyBlockBatch on postgres', () => {
  it('writes exactly the chain rows applyBlock writes, in batches that split the spend graph', async () => {
    // Uneven batches: the prelude in two, then mainnet-like blocks two at a time and one alone.
    const cuts = [0, 60, 102, 104, rows.length];
    for (let i = 0; i + 1 < cuts.length; i++) {
      const result = await applyBlockBatch(batched.db, rows.slice(cuts[i], cuts[i + 1]), pools);
      expect(result.blocks.map((b) => b.height)).toEqual(
        Array.from({ length: cuts[i + 1]! - cuts[i]! }, (_, k) => cuts[i]! + k),
      );
      for (const block of result.blocks) expect(block.unresolvedInputs).toBe(0);
    }
    const [a, b] = await Promise.all([snapshot(oneByOne), snapshot(batched)]);
    expect(b.state).toEqual(a.state);
    expect(b.blocks).toEqual(a.blocks);
    expect(b.txs).toEqual(a.txs);
    expect(b.addresses).toEqual(a.addresses);
    expect(b.outputs).toEqual(a.outputs);
    // The comparison is only as good as the data: spends and fees must be there to compare.
    expect(b.outputs.filter((o) => o.spent_by_tx_id !== null).length).toBeGreaterThan(BLOCKS * 150);
    expect(b.blocks.at(-1)!.fees as bigint).toBeGreaterThan(0n);
  });

  it('writes a batch prepared ahead when it starts where prepared, and prepares again when not', async () => {
    const test = await createTestDatabase('postgres', { name: 'batch_ingest_e' });
    try {
      await applyBlockBatch(test.db, rows.slice(0, 60), pools);
      const nextTxId = async () => {
        const max = await sql<{ id: bigint }>`SELECT max(id) AS id FROM txs`.execute(test.db);
        return max.rows[0]!.id + 1n;
      };
      // Prepared for where the batch does start: used as it is.
      const ahead = prepareBlockBatch(rows.slice(60, 102), { height: 60, txId: await nextTxId() });
      const used = await applyBlockBatch(test.db, rows.slice(60, 102), pools, { prepared: ahead });
      expect(used.blocks[0]).toBe(ahead.stored[0]);
      expect(ahead.used).toBe(true);
      // Prepared for tx ids another writer took meanwhile, and for the wrong height: both ignored.
      const stale = prepareBlockBatch(rows.slice(102, 104), { height: 102, txId: (await nextTxId()) + 7n });
      const redone = await applyBlockBatch(test.db, rows.slice(102, 104), pools, { prepared: stale });
      expect(redone.blocks[0]).not.toBe(stale.stored[0]);
      expect(stale.used).toBe(false);
      const misplaced = prepareBlockBatch(rows.slice(104), { height: 105, txId: await nextTxId() });
      await applyBlockBatch(test.db, rows.slice(104), pools, { prepared: misplaced });
      expect(misplaced.used).toBe(false);
      const [a, b] = await Promise.all([snapshot(oneByOne), snapshot(test)]);
      expect(b).toEqual(a);
    } finally {
      await test.close();
    }
  });

  it('reports the statement that failed inside the batch, and keeps nothing of the batch', async () => {
    const test = await createTestDatabase('postgres', { name: 'batch_ingest_f' });
    try {
      const counts = async () =>
        (
          await sql<{ spent: bigint; outputs: bigint; addresses: bigint; txs: bigint; tip: number }>`
            SELECT (SELECT count(*) FROM outputs WHERE spent_by_tx_id IS NOT NULL) AS spent,
                   (SELECT count(*) FROM tx_outputs) AS outputs, (SELECT count(*) FROM addresses) AS addresses,
                   (SELECT count(*) FROM txs) AS txs, (SELECT tip_height FROM chain_state) AS tip`.execute(
            test.db,
          )
        ).rows[0]!;
      await applyBlockBatch(test.db, rows.slice(0, 102), pools);
      // Stray spends of every unspent output: the next batch's spends fail to copy, after its
      // addresses, outputs and the prevouts it read.
      await sql`INSERT INTO spends (tx_id, n, spent_by_tx_id, spent_by_input)
        SELECT tx_id, n, 0, 0 FROM outputs WHERE spent_by_tx_id IS NULL`.execute(test.db);
      const before = await counts();
      await expect(applyBlockBatch(test.db, rows.slice(102, 104), pools)).rejects.toThrow(/spends_pkey/);
      expect(await counts()).toEqual({ ...before, tip: 101 });
    } finally {
      await test.close();
    }
  });

  it('refuses a block spending an output an earlier block spent, writing nothing of it', async () => {
    const test = await createTestDatabase('postgres', { name: 'batch_ingest_g' });
    try {
      await applyBlockBatch(test.db, rows.slice(0, 103), pools);
      // Block 103 as a node must never serve it: its second tx's first input spends again an output
      // that a tx of block 102 spent.
      const spentBefore = rows[102]!.txs.find((tx) => !tx.isCoinbase)!.inputs[0]!;
      const honest = rows[103]!;
      const [coinbase, tx, ...rest] = honest.txs;
      const doubleSpend: BlockRows = {
        ...honest,
        txs: [
          coinbase!,
          {
            ...tx!,
            inputs: [
              { ...tx!.inputs[0]!, prevTxid: spentBefore.prevTxid, prevVout: spentBefore.prevVout },
              ...tx!.inputs.slice(1),
            ],
          },
          ...rest,
        ],
      };
      const before = await snapshot(test);
      await expect(applyBlockBatch(test.db, [doubleSpend], pools)).rejects.toThrow(/spends_pkey/);
      expect(await snapshot(test)).toEqual(before);
      // The block the chain holds still applies on top.
      await applyBlockBatch(test.db, [honest], pools);
      expect((await snapshot(test)).state).toEqual([expect.objectContaining({ tip_height: 103 })]);
    } finally {
      await test.close();
    }
  });

  it('refuses a batch that does not extend the tip, or has a gap, writing nothing', async () => {
    const test = await createTestDatabase('postgres', { name: 'batch_ingest_c' });
    try {
      await applyBlockBatch(test.db, rows.slice(0, 3), pools);
      await expect(applyBlockBatch(test.db, rows.slice(4, 6), pools)).rejects.toBeInstanceOf(
        BlockNotContiguousError,
      );
      await expect(applyBlockBatch(test.db, [rows[3]!, rows[5]!], pools)).rejects.toBeInstanceOf(
        BlockNotContiguousError,
      );
      const tip = await sql<{ tip_height: number; n: bigint }>`
        SELECT tip_height, (SELECT count(*) FROM blocks) AS n FROM chain_state`.execute(test.db);
      expect(tip.rows[0]).toEqual({ tip_height: 2, n: 3n });
    } finally {
      await test.close();
    }
  });

  it('writes a batch once when two writers race for it, on an empty database and above a tip', async () => {
    const test = await createTestDatabase('postgres', { name: 'batch_ingest_r' });
    try {
      const counts = async () =>
        (
          await sql<{ blocks: bigint; txs: bigint; addresses: bigint; distinct: bigint }>`
            SELECT (SELECT count(*) FROM blocks) AS blocks, (SELECT count(*) FROM txs) AS txs,
                   (SELECT count(*) FROM addresses) AS addresses,
                   (SELECT count(DISTINCT address) FROM addresses) AS distinct`.execute(test.db)
        ).rows[0]!;
      const race = async (batch: BlockRows[]) => {
        const results = await Promise.allSettled([
          applyBlockBatch(test.db, batch, pools),
          applyBlockBatch(test.db, batch, pools),
        ]);
        expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
        return results.find((r): r is PromiseRejectedResult => r.status === 'rejected')!.reason;
      };
      // No chain_state row to lock yet: the loser fails on a key the winner wrote.
      await race(rows.slice(0, 102));
      const first = await counts();
      // Above a tip both lock chain_state: the second sees the first's tip, and its plain address
      // insert never runs.
      expect(await race(rows.slice(102, 106))).toBeInstanceOf(BlockNotContiguousError);
      const after = await counts();
      expect(after.addresses).toBe(after.distinct);
      expect(after.blocks).toBe(106n);

      const once = await createTestDatabase('postgres', { name: 'batch_ingest_s' });
      try {
        await applyBlockBatch(once.db, rows.slice(0, 102), pools);
        await applyBlockBatch(once.db, rows.slice(102, 106), pools);
        const [a, b] = await Promise.all([snapshot(once), snapshot(test)]);
        expect(b).toEqual(a);
      } finally {
        await once.close();
      }
      expect(first.blocks).toBe(102n);
    } finally {
      await test.close();
    }
  });

  it('never gives an address id a rollback freed to another address', async () => {
    const test = await createTestDatabase('postgres', { name: 'batch_ingest_i' });
    try {
      const ids = async () =>
        new Map(
          (
            await sql<{ address: string; id: bigint }>`SELECT address, id FROM addresses`.execute(test.db)
          ).rows.map((row) => [row.address, row.id]),
        );
      await applyBlockBatch(test.db, rows.slice(0, 105), pools);
      const before = await ids();
      let highest = 0n;
      for (const id of before.values()) if (id > highest) highest = id;
      // The addresses first paid at heights 103 and 104 go with their blocks; the block at 103 comes
      // back, and another batch writes the rest.
      await rollbackTo(test.db, 102);
      const kept = await ids();
      expect(kept.size).toBeLessThan(before.size);
      await applyBlockBatch(test.db, rows.slice(103, 104), pools);
      await applyBlockBatch(test.db, rows.slice(104, 106), pools);
      const after = await ids();
      const written = [...after].filter(([address]) => !kept.has(address));
      expect(written.length).toBeGreaterThan(before.size - kept.size);
      for (const [, id] of written) expect(id).toBeGreaterThan(highest);
      expect(new Set(after.values()).size).toBe(after.size);
      // Consecutive within a batch, in first-seen order: the rows of a fresh ingest, ids aside.
      const once = await createTestDatabase('postgres', { name: 'batch_ingest_j' });
      try {
        await applyBlockBatch(once.db, rows.slice(0, 106), pools);
        expect(await snapshot(test)).toEqual(await snapshot(once));
      } finally {
        await once.close();
      }
    } finally {
      await test.close();
    }
  });

  it('calls afterBlock in height order inside the transaction, with the ids it stored', async () => {
    const test = await createTestDatabase('postgres', { name: 'batch_ingest_d' });
    try {
      const seen: number[] = [];
      await applyBlockBatch(test.db, rows.slice(0, 4), pools, {
        afterBlock: async (trx, block) => {
          seen.push(block.height);
          const n = await sql<{
            n: bigint;
          }>`SELECT count(*) AS n FROM txs WHERE id = ANY(${block.txIds}::int8[])`.execute(trx);
          expect(n.rows[0]!.n).toBe(BigInt(block.rows.txs.length));
        },
      });
      expect(seen).toEqual([0, 1, 2, 3]);
    } finally {
      await test.close();
    }
  });

  it('copies new addresses in their index order, their ids still in first-seen order', async () => {
    const test = await createTestDatabase('postgres', { name: 'batch_ingest_f' });
    try {
      const batch = rows.slice(0, 105);
      const prepared = prepareBlockBatch(batch, { height: 0, txId: 0n });
      const sorted = [...prepared.addresses].sort();
      expect(prepared.addressOrder.map((i) => prepared.addresses[i])).toEqual(sorted);
      await applyBlockBatch(test.db, batch, pools, { prepared });
      const byId = await sql<{ address: string }>`SELECT address FROM addresses ORDER BY id`.execute(test.db);
      expect(byId.rows.map((row) => row.address)).toEqual(prepared.addresses);
      // As stored, in the lines' order but for the few short rows the heap fits into an earlier page's
      // space left (first-seen order would put about half of all neighbours out of order).
      const stored = await sql<{ address: string }>`SELECT address FROM addresses ORDER BY ctid`.execute(
        test.db,
      );
      const heap = stored.rows.map((row) => row.address);
      const outOfOrder = heap.filter((address, i) => i > 0 && address < heap[i - 1]!).length;
      expect(heap).toHaveLength(sorted.length);
      expect(outOfOrder).toBeLessThan(heap.length / 100);
    } finally {
      await test.close();
    }
  });

  it('runs the batch without parallel workers or JIT, and leaves the settings as they were after it', async () => {
    const test = await createTestDatabase('postgres', { name: 'batch_ingest_e' });
    try {
      const before = await parallelAndJit(test.db);
      expect(before).not.toMatch(/^0 |off$/);
      const inside: string[] = [];
      await applyBlockBatch(test.db, rows.slice(0, 2), pools, {
        afterBlock: async (trx) => {
          inside.push(await parallelAndJit(trx));
        },
      });
      expect(inside).toEqual(['0 off', '0 off']);
      expect(await parallelAndJit(test.db)).toBe(before);
    } finally {
      await test.close();
    }
  });
});
