import { type ScriptType, scriptTypeName } from '@minetrace/shared/chain';
import { type Database, sqlArray } from '@minetrace/shared/db';
import { type RawBuilder, sql, type Transaction } from 'kysely';
import { type FinalizeClustersResult, finalizeClusters } from '../cluster/cluster-store.js';
import {
  type BlockPayoutsResult,
  detectBlockPayouts,
  type PayoutBlockTx,
  type ResolvedPrevout,
} from '../payouts/block-payouts.js';
import type { PoolFunds } from '../payouts/payout.types.js';
import { type Distribution, type PaidAddress, RECURRING_WINDOW } from '../payouts/recurring-address.js';
import type { ApplyBlockBatchOptions, SpentPrevouts } from './batch-ingest.js';
import { withIndexJoins } from './index-joins.js';

/** Same default as `PAYOUT_MAX_HOPS` in the configuration. */
export const DEFAULT_PAYOUT_MAX_HOPS = 3;

/**
 * One stored block as payout detection needs it: its transactions in block order with their chain ids,
 * and the ids of the addresses its outputs pay. Built by `applyBlock` from the decoded block, or by
 * `loadDerivedBlock` from the database.
 */
export interface DerivedBlock {
  height: number;
  /** The pool the block is attributed to (`blocks.pool_id`). */
  poolId: number | null;
  txs: readonly PayoutBlockTx[];
  /** `txs.id` of each transaction, same order; consecutive. */
  txIds: readonly bigint[];
  /** `addresses.id` of every address an output of the block pays. */
  addressIds: ReadonlyMap<string, bigint>;
  /**
   * Every stored output of an earlier block the block's inputs spent, when the ingest knows them
   * (`BatchBlock.spentPrevouts`); absent, they are read through `spends`.
   */
  spentPrevouts?: SpentPrevouts;
}

/** What `applyDerived` stored for a block. */
export interface ApplyDerivedResult {
  payouts: number;
  poolOutputs: number;
  distributions: number;
  skippedCoinJoins: number;
}

/**
 * Derives and stores a block's payout rows (`payouts`, `pool_outputs`, `pool_known_addresses`,
 * `distributions`) with `detectBlockPayouts`, inside the transaction that wrote the block.
 *
 * Invariants: the block's chain rows (txs, outputs, spends) are already written, and every earlier block's
 * derived rows are stored (blocks are derived in height order). Reads are a fixed number of queries per
 * block, whatever its size: the prevouts of all inputs at once (through `spends`, so
 * inputs whose prevout is unknown count as nobody's funds; when the ingest passes `spentPrevouts`, only
 * their pool funds, then the prevouts of the transactions that may spend pool funds), the pools' known
 * addresses and earlier payouts among the block's addresses, and the recent distributions of the pools
 * involved.
 */
export async function applyDerived(
  trx: Transaction<Database>,
  block: DerivedBlock,
  options: { payoutMaxHops: number },
): Promise<ApplyDerivedResult> {
  const empty = { payouts: 0, poolOutputs: 0, distributions: 0, skippedCoinJoins: 0 };
  const firstId = block.txIds[0];
  const lastId = block.txIds[block.txIds.length - 1];
  if (firstId === undefined || lastId === undefined) return empty;

  const prevoutByKey = new Map<string, ResolvedPrevout>();
  const txIdByTxid = new Map<string, bigint>();
  const pools = new Set<number>();
  if (block.poolId !== null) pools.add(block.poolId);
  const addPrevouts = (rows: readonly PrevoutRow[]) => {
    for (const row of rows) {
      const txid = row.txid.toString('hex');
      txIdByTxid.set(txid, row.tx_id);
      const poolFunds: PoolFunds | null =
        row.pool_id === null || row.hop === null ? null : { poolId: row.pool_id, hop: row.hop };
      if (poolFunds !== null) pools.add(poolFunds.poolId);
      prevoutByKey.set(`${txid}:${row.n}`, {
        value: row.value,
        address: row.address,
        scriptType: scriptTypeName(row.script_type),
        poolFunds,
      });
    }
  };
  let spenders: number[];
  if (block.spentPrevouts === undefined) {
    addPrevouts(
      await readPrevouts(
        trx,
        sql`s.spent_by_tx_id BETWEEN ${firstId}::int8 AND ${lastId}::int8 AND s.tx_id < ${firstId}::int8`,
      ),
    );
    spenders = mayPayFromPoolFunds(block, (key) => (prevoutByKey.get(key)?.poolFunds ?? null) !== null);
  } else {
    // The ingest knows which stored output each input spent: only the pool funds among them are read,
    // then every prevout of the transactions that may spend pool funds. An input of any other
    // transaction carries no pool funds, and that is all detection reads from it.
    const funded = await readPoolFunds(trx, block.spentPrevouts);
    for (const { poolId } of funded.values()) pools.add(poolId);
    if (pools.size === 0) return empty;
    spenders = mayPayFromPoolFunds(block, funded.size === 0 ? null : (key) => funded.has(key));
    if (spenders.length > 0) {
      // A few spenders name their rows by index; with statistics lagging a bulk load, Postgres could
      // otherwise expect thousands of rows per spender and hash every tx or address, or read every
      // spend (it did, 40 ms a statement at 1.4 million spends).
      addPrevouts(
        await withIndexJoins(
          trx,
          () =>
            readPrevouts(
              trx,
              sql`s.spent_by_tx_id = ANY(${sqlArray(spenders.map((i) => block.txIds[i]!))}::int8[]) AND s.tx_id < ${firstId}::int8`,
            ),
          { noSeqScans: true },
        ),
      );
    }
  }
  // Nothing in this block can be a payout: no attributed coinbase, no pool funds spent.
  if (pools.size === 0) return empty;
  block.txs.forEach((tx, i) => {
    txIdByTxid.set(tx.txid.toString('hex'), block.txIds[i]!);
  });

  const history = await loadRecentDistributions(trx, [...pools]);

  // Detection asks which pools know, or paid, an address only for the outputs of the coinbase and of
  // the transactions that may spend pool funds, and for the addresses of the pools' recent
  // distributions; the answer for any other address of the block is never read. Those of the block's
  // addresses are looked up, not all of them (a block of 3,000 transactions pays about 7,000).
  const asked = new Set<string>();
  const ask = (address: string | null) => {
    if (address !== null && block.addressIds.has(address)) asked.add(address);
  };
  block.txs.forEach((tx) => {
    if (tx.isCoinbase) for (const output of tx.outputs) ask(output.address);
  });
  for (const i of spenders) for (const output of block.txs[i]!.outputs) ask(output.address);
  for (const distributions of history.values()) {
    for (const paid of distributions) for (const { address } of paid) ask(address);
  }
  const addresses = [...asked];
  const addressIds = addresses.map((address) => block.addressIds.get(address)!);
  const knownKeys = new Set<string>();
  const payersOf = new Map<string, Set<number>>();
  if (addresses.length > 0) {
    // Which pools know these addresses, and which paid them before, in one round trip.
    const rows = await sql<{ paid: boolean; pool_id: number; address: string }>`
      SELECT false AS paid, pool_id, address FROM pool_addresses WHERE address = ANY(${sqlArray(addresses)}::text[])
      UNION
      SELECT false, k.pool_id, a.address FROM pool_known_addresses k JOIN addresses a ON a.id = k.address_id
      WHERE k.address_id = ANY(${sqlArray(addressIds)}::int8[])
      UNION
      SELECT true, p.pool_id, a.address FROM payouts p JOIN addresses a ON a.id = p.address_id
      WHERE p.address_id = ANY(${sqlArray(addressIds)}::int8[])`.execute(trx);
    for (const row of rows.rows) {
      if (!row.paid) {
        knownKeys.add(`${row.pool_id}:${row.address}`);
        continue;
      }
      const payers = payersOf.get(row.address) ?? new Set<number>();
      payers.add(row.pool_id);
      payersOf.set(row.address, payers);
    }
  }

  const result = detectBlockPayouts(
    { poolId: block.poolId, txs: block.txs, mayPayFromPoolFunds: spenders },
    {
      prevout: (txid, vout) => prevoutByKey.get(`${txid.toString('hex')}:${vout}`),
      poolKnown: (poolId, address) => knownKeys.has(`${poolId}:${address}`),
      recentDistributions: (poolId, kind) => history.get(`${poolId}:${kind}`) ?? [],
      paidByOtherPool: (poolId, address) =>
        [...(payersOf.get(address) ?? [])].some((payer) => payer !== poolId),
    },
    { maxHops: options.payoutMaxHops },
  );
  await storeDerived(trx, block, result, txIdByTxid);
  return {
    payouts: result.payouts.length,
    poolOutputs: result.poolOutputs.length,
    distributions: result.distributions.length,
    skippedCoinJoins: result.skippedCoinJoins.length,
  };
}

interface PrevoutRow {
  txid: Buffer;
  tx_id: bigint;
  n: number;
  value: bigint;
  script_type: number;
  address: string | null;
  pool_id: number | null;
  hop: number | null;
}

/**
 * Stored outputs whose spends match `where` (on `spends s`), as payout detection reads a prevout. The
 * condition names the spends, not the `outputs` view: a bound on the spent tx id put on the view's
 * outputs made Postgres walk every output below it, on a spends table whose statistics lagged.
 */
async function readPrevouts(trx: Transaction<Database>, where: RawBuilder<unknown>): Promise<PrevoutRow[]> {
  const prevouts = await sql<PrevoutRow>`
    SELECT t.txid, o.tx_id, o.n, o.value, o.script_type, a.address, p.pool_id, p.hop
    FROM spends s
    JOIN tx_outputs o ON o.tx_id = s.tx_id AND o.n = s.n
    JOIN txs t ON t.id = o.tx_id
    LEFT JOIN addresses a ON a.id = o.address_id
    LEFT JOIN pool_outputs p ON p.tx_id = o.tx_id AND p.n = o.n
    WHERE ${where}`.execute(trx);
  return prevouts.rows;
}

/**
 * The pool funds among `prevouts`, keyed `prevTxid hex:vout`. One primary-key probe of `pool_outputs`
 * per prevout: the lateral subquery keeps it a nested loop, never a hash of every pool output.
 */
async function readPoolFunds(
  trx: Transaction<Database>,
  prevouts: SpentPrevouts,
): Promise<Map<string, PoolFunds>> {
  const funded = new Map<string, PoolFunds>();
  if (prevouts.txIds.length === 0) return funded;
  const rows = await sql<{ ord: bigint; pool_id: number; hop: number }>`
    SELECT u.ord, p.pool_id, p.hop
    FROM unnest(${sqlArray(prevouts.txIds)}::int8[], ${sqlArray(prevouts.vouts)}::int4[]) WITH ORDINALITY AS u(tx_id, n, ord)
    CROSS JOIN LATERAL (
      SELECT pool_id, hop FROM pool_outputs WHERE tx_id = u.tx_id AND n = u.n LIMIT 1
    ) AS p`.execute(trx);
  for (const row of rows.rows) {
    const at = Number(row.ord) - 1;
    funded.set(`${prevouts.txids[at]!}:${prevouts.vouts[at]!}`, { poolId: row.pool_id, hop: row.hop });
  }
  return funded;
}

/**
 * Positions in the block of the transactions that may spend pool funds: those spending a prevout
 * `funded` says is pool funds (keyed `prevTxid hex:vout`; null when none is), and those spending an
 * output of the block's coinbase or of one of them (only these can be pool outputs created in the
 * block). Every transaction detection treats as a pool spend is among them.
 *
 * Most blocks spend no pool funds, and then no input needs its txid in hex nor a key: the txids
 * funding the block's spenders are found by their first four bytes, then compared whole.
 */
function mayPayFromPoolFunds(block: DerivedBlock, funded: ((key: string) => boolean) | null): number[] {
  const spenders: number[] = [];
  const funding = new Map<number, Buffer[]>();
  const fund = (txid: Buffer) => {
    const head = txid.readUInt32LE(0);
    const same = funding.get(head);
    if (same === undefined) funding.set(head, [txid]);
    else same.push(txid);
  };
  const spendsFunding = (prevTxid: Buffer) =>
    funding.get(prevTxid.readUInt32LE(0))?.some((txid) => txid.equals(prevTxid)) === true;
  block.txs.forEach((tx, i) => {
    if (tx.isCoinbase) {
      fund(tx.txid);
      return;
    }
    const spends = tx.inputs.some(
      (input) =>
        spendsFunding(input.prevTxid) ||
        // The key is only built when some prevout is pool funds.
        funded?.(`${input.prevTxid.toString('hex')}:${input.prevVout}`) === true,
    );
    if (spends) {
      spenders.push(i);
      fund(tx.txid);
    }
  });
  return spenders;
}

/** Limits of the derived rows, from the configuration. */
export interface DeriveOptions {
  /** `PAYOUT_MAX_HOPS`. */
  payoutMaxHops: number;
  /** `FINALITY_DEPTH`: blocks this far below `block.height` are clustered. */
  finalityDepth: number;
}

/**
 * Everything derived from a block, once its chain rows are written, in the caller's transaction: its
 * payout rows (`applyDerived`), then the clustering of the blocks it makes final (`finalizeClusters`).
 * `applyBlock` calls it for each block; batch ingest calls it from `afterBlock` (see `deriveAfterBlock`).
 */
export async function deriveBlock(
  trx: Transaction<Database>,
  block: DerivedBlock,
  options: DeriveOptions,
): Promise<{ payouts: ApplyDerivedResult; clusters: FinalizeClustersResult }> {
  const payouts = await applyDerived(trx, block, options);
  const clusters = await finalizeClusters(trx, block.height, options.finalityDepth);
  return { payouts, clusters };
}

/** `applyBlockBatch`'s `afterBlock` hook writing the derived rows of each block of the batch in order. */
export function deriveAfterBlock(
  options: DeriveOptions,
): (
  trx: Transaction<Database>,
  block: Omit<DerivedBlock, 'txs'> & { rows: { txs: DerivedBlock['txs'] } },
) => Promise<void> {
  return async (trx, block) => {
    await deriveBlock(trx, { ...block, txs: block.rows.txs }, options);
  };
}

/**
 * `applyBlockBatch`'s hooks writing the derived rows of a batch: each block's payout rows in height
 * order (`applyDerived`), then, once for the batch, the clustering of every block it makes final
 * (`finalizeClusters` at the last block's height). At commit the rows are those `deriveAfterBlock`
 * writes (clusters only have to be exact for the committed tip, and no payout reads a cluster), in
 * a few statements per batch rather than per block.
 */
export function deriveAfterBatch(
  options: DeriveOptions,
): Required<Pick<ApplyBlockBatchOptions, 'afterBlock' | 'afterBatch'>> {
  return {
    afterBlock: payoutsAfterBlock(options),
    afterBatch: async (trx, blocks) => {
      const last = blocks[blocks.length - 1];
      if (last !== undefined) await finalizeClusters(trx, last.height, options.finalityDepth);
    },
  };
}

/**
 * `applyBlockBatch`'s `afterBlock` hook writing only the payout rows of each block (`applyDerived`),
 * for a caller that clusters the blocks made final in a transaction of its own (`finalizeClusters`
 * catches up on every height not clustered yet, whenever it runs).
 */
export function payoutsAfterBlock(options: {
  payoutMaxHops: number;
}): (
  trx: Transaction<Database>,
  block: Omit<DerivedBlock, 'txs'> & { rows: { txs: DerivedBlock['txs'] } },
) => Promise<void> {
  return async (trx, block) => {
    await applyDerived(trx, { ...block, txs: block.rows.txs }, options);
  };
}

/** The last `RECURRING_WINDOW` distributions of each pool and kind, oldest first, keyed `pool:kind`. */
async function loadRecentDistributions(
  trx: Transaction<Database>,
  poolIds: number[],
): Promise<Map<string, PaidAddress[][]>> {
  const rows = await sql<{
    pool_id: number;
    kind: Distribution['kind'];
    height: number;
    seq: number;
    ord: bigint;
    address: string;
    amount: bigint;
  }>`
    SELECT d.pool_id, d.kind, d.height, d.seq, u.ord, a.address, u.amount
    FROM unnest(${sqlArray(poolIds)}::int4[]) AS p(pool_id)
    CROSS JOIN (VALUES ('coinbase'), ('spend')) AS k(kind)
    CROSS JOIN LATERAL (
      SELECT * FROM distributions d
      WHERE d.pool_id = p.pool_id AND d.kind = k.kind
      ORDER BY d.height DESC, d.seq DESC
      LIMIT ${RECURRING_WINDOW}
    ) AS d
    CROSS JOIN LATERAL unnest(d.address_ids, d.amounts) WITH ORDINALITY AS u(address_id, amount, ord)
    JOIN addresses a ON a.id = u.address_id
    ORDER BY d.pool_id, d.kind, d.height, d.seq, u.ord`.execute(trx);
  const byKey = new Map<string, PaidAddress[][]>();
  let last = '';
  for (const row of rows.rows) {
    const key = `${row.pool_id}:${row.kind}`;
    const distribution = `${key}:${row.height}:${row.seq}`;
    let list = byKey.get(key);
    if (list === undefined) {
      list = [];
      byKey.set(key, list);
    }
    if (distribution !== last) {
      list.push([]);
      last = distribution;
    }
    list[list.length - 1]!.push({ address: row.address, value: row.amount });
  }
  return byKey;
}

async function storeDerived(
  trx: Transaction<Database>,
  block: DerivedBlock,
  result: BlockPayoutsResult,
  txIdByTxid: ReadonlyMap<string, bigint>,
): Promise<void> {
  const { height } = block;
  const txIdOf = (txid: Buffer): bigint => {
    const id = txIdByTxid.get(txid.toString('hex'));
    if (id === undefined) throw new Error(`tx ${txid.toString('hex')} has no stored id`);
    return id;
  };
  const addressIdOf = (address: string): bigint => {
    const id = block.addressIds.get(address);
    if (id === undefined) throw new Error(`address ${address} of block ${height} has no stored id`);
    return id;
  };

  // One statement for every table (data-modifying WITH parts): during a backfill each statement on the
  // writing connection waits its turn for a core, and a block writes up to four of these.
  const inserts: RawBuilder<unknown>[] = [];
  if (result.payouts.length > 0) {
    const rows = result.payouts;
    inserts.push(sql`
      INSERT INTO payouts (payout_tx_id, n, height, pool_id, source_tx_id, address_id, value, hop)
      SELECT u.payout_tx_id, u.n, ${height}::int4, u.pool_id, u.source_tx_id, u.address_id, u.value, u.hop
      FROM unnest(${sqlArray(rows.map((p) => txIdOf(p.payoutTxid)))}::int8[], ${sqlArray(rows.map((p) => p.n))}::int4[],
        ${sqlArray(rows.map((p) => p.poolId))}::int4[], ${sqlArray(rows.map((p) => txIdOf(p.sourceTxid)))}::int8[],
        ${sqlArray(rows.map((p) => addressIdOf(p.address)))}::int8[], ${sqlArray(rows.map((p) => p.value))}::int8[],
        ${sqlArray(rows.map((p) => p.hop))}::int2[])
        AS u(payout_tx_id, n, pool_id, source_tx_id, address_id, value, hop)`);
  }

  if (result.poolOutputs.length > 0) {
    const rows = result.poolOutputs;
    inserts.push(sql`
      INSERT INTO pool_outputs (tx_id, n, pool_id, hop, reason, height)
      SELECT u.tx_id, u.n, u.pool_id, u.hop, u.reason, ${height}::int4
      FROM unnest(${sqlArray(rows.map((o) => txIdOf(o.txid)))}::int8[], ${sqlArray(rows.map((o) => o.n))}::int4[],
        ${sqlArray(rows.map((o) => o.poolId))}::int4[], ${sqlArray(rows.map((o) => o.hop))}::int2[], ${sqlArray(rows.map((o) => o.reason))}::text[])
        AS u(tx_id, n, pool_id, hop, reason)`);
    // The earliest height is kept, so a rollback forgets exactly the addresses learned above the fork.
    inserts.push(sql`
      INSERT INTO pool_known_addresses (pool_id, address_id, first_height)
      SELECT DISTINCT u.pool_id, u.address_id, ${height}::int4
      FROM unnest(${sqlArray(rows.map((o) => o.poolId))}::int4[], ${sqlArray(rows.map((o) => addressIdOf(o.address)))}::int8[])
        AS u(pool_id, address_id)
      ON CONFLICT (pool_id, address_id) DO NOTHING`);
  }

  if (result.distributions.length > 0) {
    const rows = result.distributions.map(
      (distribution, seq) =>
        sql`(${distribution.poolId}::int4, ${distribution.kind}::text, ${height}::int4, ${seq}::int4,
          ${sqlArray(distribution.paid.map((p) => addressIdOf(p.address)))}::int8[],
          ${sqlArray(distribution.paid.map((p) => p.value))}::int8[])`,
    );
    inserts.push(sql`
      INSERT INTO distributions (pool_id, kind, height, seq, address_ids, amounts) VALUES ${sql.join(rows)}`);
  }

  const last = inserts.pop();
  if (last === undefined) return;
  const before = inserts.map((insert, i) => sql`${sql.raw(`w${i}`)} AS (${insert})`);
  await (before.length === 0 ? last : sql`WITH ${sql.join(before)} ${last}`).execute(trx);
}

/**
 * Reads a stored block back as `applyDerived` needs it: transactions in block order, their outputs with
 * addresses, and their inputs as far as the database knows them (`spends`; an input whose
 * prevout was never stored is absent, and would have counted as nobody's funds at ingest too).
 */
export async function loadDerivedBlock(trx: Transaction<Database>, height: number): Promise<DerivedBlock> {
  const block = await trx
    .selectFrom('blocks')
    .select(['pool_id'])
    .where('height', '=', height)
    .executeTakeFirstOrThrow();
  const txs = await trx
    .selectFrom('txs')
    .select(['id', 'txid', 'is_coinbase'])
    .where('height', '=', height)
    .orderBy('id')
    .execute();
  const firstId = txs[0]?.id ?? 0n;
  const lastId = txs[txs.length - 1]?.id ?? -1n;
  const outputs = await sql<{
    tx_id: bigint;
    n: number;
    value: bigint;
    script_type: number;
    address_id: bigint | null;
    address: string | null;
  }>`
    SELECT o.tx_id, o.n, o.value, o.script_type, o.address_id, a.address
    FROM outputs o LEFT JOIN addresses a ON a.id = o.address_id
    WHERE o.tx_id BETWEEN ${firstId}::int8 AND ${lastId}::int8
    ORDER BY o.tx_id, o.n`.execute(trx);
  const inputs = await sql<{ spender: bigint; txid: Buffer; n: number }>`
    SELECT s.spent_by_tx_id AS spender, t.txid, s.n
    FROM spends s JOIN txs t ON t.id = s.tx_id
    WHERE s.spent_by_tx_id BETWEEN ${firstId}::int8 AND ${lastId}::int8
    ORDER BY s.spent_by_tx_id, s.spent_by_input`.execute(trx);

  const byId = new Map<
    bigint,
    {
      txid: Buffer;
      isCoinbase: boolean;
      inputs: { prevTxid: Buffer; prevVout: number }[];
      outputs: { n: number; value: bigint; address: string | null; scriptType: ScriptType }[];
    }
  >();
  for (const tx of txs)
    byId.set(tx.id, { txid: tx.txid, isCoinbase: tx.is_coinbase, inputs: [], outputs: [] });
  const addressIds = new Map<string, bigint>();
  for (const row of outputs.rows) {
    byId.get(row.tx_id)?.outputs.push({
      n: row.n,
      value: row.value,
      address: row.address,
      scriptType: scriptTypeName(row.script_type),
    });
    if (row.address !== null && row.address_id !== null) addressIds.set(row.address, row.address_id);
  }
  for (const row of inputs.rows) byId.get(row.spender)?.inputs.push({ prevTxid: row.txid, prevVout: row.n });
  return {
    height,
    poolId: block.pool_id,
    txs: txs.map((tx) => byId.get(tx.id)!),
    txIds: txs.map((tx) => tx.id),
    addressIds,
  };
}

/**
 * Deletes every payout row and derives them again for all stored blocks in height order, inside the
 * caller's transaction: pool attribution or the pools' known addresses changed, and every later block's
 * pool funds depend on the earlier ones'. One block at a time; at mainnet scale this is a long job.
 */
export async function recomputePayouts(
  trx: Transaction<Database>,
  options: { payoutMaxHops: number },
): Promise<{ blocks: number; payouts: number }> {
  await clearPayoutRows(trx);
  const heights = await trx.selectFrom('blocks').select('height').orderBy('height').execute();
  let payouts = 0;
  for (const { height } of heights) {
    const result = await applyDerived(trx, await loadDerivedBlock(trx, height), options);
    payouts += result.payouts;
  }
  return { blocks: heights.length, payouts };
}

/** Deletes the payout rows derived from blocks above `forkHeight` (all of them when it is -1). */
export async function deletePayoutRowsAbove(trx: Transaction<Database>, forkHeight: number): Promise<void> {
  await trx.deleteFrom('payouts').where('height', '>', forkHeight).execute();
  await trx.deleteFrom('pool_outputs').where('height', '>', forkHeight).execute();
  await trx.deleteFrom('pool_known_addresses').where('first_height', '>', forkHeight).execute();
  await trx.deleteFrom('distributions').where('height', '>', forkHeight).execute();
}

async function clearPayoutRows(trx: Transaction<Database>): Promise<void> {
  await deletePayoutRowsAbove(trx, -1);
}
