import { hashToHex } from '@minetrace/shared';
import { type BlockRows, networkFromChain, scriptTypeCode } from '@minetrace/shared/chain';
import { type Database, type Db, type PoolMatchEvidence, sqlArray } from '@minetrace/shared/db';
import { identifyPool, type PoolSet } from '@minetrace/shared/pools';
import { sql, type Transaction } from 'kysely';
import { blockSubsidy } from './block-subsidy.js';
import { BlockNotContiguousError, NetworkMismatchError } from './ingest.errors.js';
import { markSpends } from './spend-marking.js';

/** One block of a batch as `applyBlockBatch` stored it. */
export interface BatchBlock {
  height: number;
  rows: BlockRows;
  /** `txs.id` of each transaction, in block order (consecutive). */
  txIds: bigint[];
  /** `addresses.id` of every address the block's outputs pay. */
  addressIds: ReadonlyMap<string, bigint>;
  poolId: number | null;
  poolMatch: PoolMatchEvidence;
  /** Sum of the block's fees; null when some input spent an output the database does not hold. */
  fees: bigint | null;
  /** Inputs whose prevout was not in the database (blocks ingested without their history). */
  unresolvedInputs: number;
  /**
   * `txs.id` of each prevout an earlier block holds (in this batch or before it) that an input of the
   * block spent, keyed `prevTxid hex:vout`: what the block's payouts read about its inputs, without a
   * read. Inputs spending a transaction of the block itself, or an output not stored, are absent.
   */
  prevoutTxIds: ReadonlyMap<string, bigint>;
}

export interface ApplyBlockBatchOptions {
  /**
   * Runs inside the batch's transaction after every chain row of the batch is written, once per
   * block in height order: where derived rows (payouts, clusters) are written in batch mode.
   */
  afterBlock?: (trx: Transaction<Database>, block: BatchBlock) => Promise<void>;
  /**
   * Runs inside the batch's transaction once, after every `afterBlock`: derived rows written for the
   * batch as a whole (the clustering of the blocks it makes final).
   */
  afterBatch?: (trx: Transaction<Database>, blocks: readonly BatchBlock[]) => Promise<void>;
  /**
   * Height of the first block. Must be tip + 1 when the database has a tip; on an empty database it
   * places the first block (default: the coinbase's BIP34 height; genesis is always 0).
   */
  height?: number;
  /**
   * Commit without waiting for the WAL flush (`SET LOCAL synchronous_commit = off`), for backfill:
   * a crash can lose the last commits but never tears one, so the database is still at a whole
   * block and the lost blocks are applied again. @defaultValue false
   */
  asyncCommit?: boolean;
  /**
   * Called once the batch holds the tip's lock, as its bulk statements start (the rows of every table):
   * a pipeline decodes the next blocks from then on, when each round trip before would have waited for
   * a whole block's decoding.
   */
  onBulkWrite?: () => void;
}

export interface ApplyBlockBatchResult {
  blocks: BatchBlock[];
  txCount: number;
}

const ZERO_HASH = Buffer.alloc(32);

/**
 * Writes several consecutive decoded blocks and moves the tip to the last, in ONE SQL transaction
 * (a crash leaves the database at the previous tip or at the last block of the batch). Rows are the
 * same as `applyBlock` writes; what changes is the number of round trips and how spends resolve:
 *
 * - prevouts created inside the batch resolve in memory: those outputs are inserted already marked
 *   spent, and their values give the fees without a read;
 * - the remaining prevout txids resolve in one indexed lookup (`txs.txid = ANY(...)`), then one
 *   UPDATE by primary key marks them spent and returns their values. The UPDATE runs with hash and
 *   merge joins off: with a few thousand keys an index nested loop is what Postgres should do, but
 *   on tables whose statistics lag behind a bulk load it otherwise hashes every unspent output;
 * - one INSERT per table for the whole batch (addresses, outputs, txs, blocks).
 *
 * Invariants: `blocks[0]` must extend the indexed tip (or start an empty database) and each block
 * must extend the one before it, else `BlockNotContiguousError` and nothing is written. Blocks
 * already indexed are not skipped: a batch is for backfill above the tip. Tx ids continue from
 * max(txs.id) + 1. Inputs whose prevout is unknown are counted; their tx's fee and their block's fees
 * stay null.
 */
export async function applyBlockBatch(
  db: Db,
  blocks: BlockRows[],
  pools: PoolSet,
  options: ApplyBlockBatchOptions = {},
): Promise<ApplyBlockBatchResult> {
  if (blocks.length === 0) return { blocks: [], txCount: 0 };
  return db.transaction().execute((trx) => writeBlocks(trx, blocks, pools, options));
}

/** `applyBlockBatch` inside the caller's transaction (`applyBlock` is a batch of one). */
export async function writeBlocks(
  trx: Transaction<Database>,
  blocks: BlockRows[],
  pools: PoolSet,
  options: ApplyBlockBatchOptions,
): Promise<ApplyBlockBatchResult> {
  const first = blocks[0]!;
  if (options.asyncCommit === true) await sql`SET LOCAL synchronous_commit = off`.execute(trx);
  const state = await trx
    .selectFrom('chain_state')
    .selectAll()
    .where('id', '=', true)
    .forUpdate()
    .executeTakeFirst();
  if (state !== undefined && networkFromChain(state.network) !== first.network) {
    throw new NetworkMismatchError(
      `block ${hashToHex(first.header.hash)} is a ${first.network} block but this database indexes ${state.network}`,
    );
  }
  const tipHeight = state?.tip_height ?? null;
  const tipHash = state?.tip_hash ?? null;
  const firstHeight = resolveFirstHeight(first, tipHeight, tipHash, options.height);
  for (let i = 1; i < blocks.length; i++) {
    if (!blocks[i]!.header.prevHash.equals(blocks[i - 1]!.header.hash)) {
      throw notContiguous(blocks[i]!, tipHeight, tipHash, 'does not extend the block before it in the batch');
    }
  }

  const maxId = await trx
    .selectFrom('txs')
    .select(sql<bigint | null>`max(id)`.as('max_id'))
    .executeTakeFirstOrThrow();
  let nextTxId = (maxId.max_id ?? -1n) + 1n;
  options.onBulkWrite?.();
  const stored: BatchBlock[] = blocks.map((rows, b) => {
    const txIds = rows.txs.map(() => nextTxId++);
    return {
      height: firstHeight + b,
      rows,
      txIds,
      addressIds: new Map(),
      poolId: null,
      poolMatch: 'unknown',
      fees: 0n,
      unresolvedInputs: 0,
      prevoutTxIds: new Map(),
    };
  });
  /**
   * Notes that an input of `block` spent output `vout` of tx `prevId` (txid `prevHex`); only those of
   * earlier blocks count, and only for them is the `txid:vout` key built.
   */
  const notePrevout = (block: BatchBlock, prevHex: string, vout: number, prevId: bigint) => {
    if (prevId < block.txIds[0]!)
      (block.prevoutTxIds as Map<string, bigint>).set(`${prevHex}:${vout}`, prevId);
  };

  // Addresses: new ones inserted in first-seen order across the batch, their ids returned; only the
  // addresses already stored are then looked up (most addresses of a block are new).
  const addressType = new Map<string, { type: number; height: number }>();
  for (const block of stored) {
    for (const tx of block.rows.txs) {
      for (const out of tx.outputs) {
        if (out.address !== null && !addressType.has(out.address)) {
          addressType.set(out.address, { type: scriptTypeCode(out.scriptType), height: block.height });
        }
      }
    }
  }
  const addressIds = new Map<string, bigint>();
  if (addressType.size > 0) {
    const addresses = [...addressType.keys()];
    const values = [...addressType.values()];
    const inserted = await sql<{ id: bigint; address: string }>`
      INSERT INTO addresses (address, script_type, first_height)
      SELECT u.address, u.script_type, u.first_height
      FROM unnest(${sqlArray(addresses)}::text[], ${sqlArray(values.map((v) => v.type))}::int2[], ${sqlArray(values.map((v) => v.height))}::int4[])
        WITH ORDINALITY AS u(address, script_type, first_height, ord)
      ORDER BY u.ord
      ON CONFLICT (address) DO NOTHING
      RETURNING id, address`.execute(trx);
    for (const row of inserted.rows) addressIds.set(row.address, row.id);
    if (addressIds.size < addresses.length) {
      const known = addresses.filter((address) => !addressIds.has(address));
      const resolved = await sql<{ id: bigint; address: string }>`
        SELECT id, address FROM addresses WHERE address = ANY(${sqlArray(known)}::text[])`.execute(trx);
      for (const row of resolved.rows) addressIds.set(row.address, row.id);
    }
  }

  // Outputs of the batch, keyed by outpoint, so in-batch spends never reach the database.
  interface Created {
    /** `txs.id` of the transaction creating it. */
    txId: bigint;
    value: bigint;
    spender: bigint | null;
    input: number | null;
  }
  // Keyed by txid (hex), one entry per tx, its outputs by position: a key per output cost a string and
  // an entry each, for the tens of thousands of outputs a batch holds.
  const created = new Map<string, Created[]>();
  /** Per block, per tx, its outputs as registered in `created`. */
  const createdOf: Created[][][] = [];
  // Per tx of the batch (by id - first id): sum of resolved input values, inputs resolved.
  const firstTxId = stored[0]!.txIds[0] ?? 0n;
  const txCount = stored.reduce((n, block) => n + block.txIds.length, 0);
  const inputValue = new Array<bigint>(txCount).fill(0n);
  const inputCount = new Int32Array(txCount);
  const credit = (spender: bigint, value: bigint) => {
    const at = Number(spender - firstTxId);
    inputValue[at] = inputValue[at]! + value;
    inputCount[at]! += 1;
  };
  const outside: Array<{
    spender: bigint;
    input: number;
    block: BatchBlock;
    prevTxid: Buffer;
    prevHex: string;
    vout: number;
  }> = [];
  for (const block of stored) {
    const blockCreated: Created[][] = [];
    createdOf.push(blockCreated);
    block.rows.txs.forEach((tx, i) => {
      const id = block.txIds[i]!;
      if (!tx.isCoinbase) {
        tx.inputs.forEach((input, n) => {
          const prevHex = input.prevTxid.toString('hex');
          const own = created.get(prevHex)?.[input.prevVout];
          if (own !== undefined && own.spender === null) {
            own.spender = id;
            own.input = n;
            credit(id, own.value);
            notePrevout(block, prevHex, input.prevVout, own.txId);
          } else {
            outside.push({
              spender: id,
              input: n,
              block,
              prevTxid: input.prevTxid,
              prevHex,
              vout: input.prevVout,
            });
          }
        });
      }
      // Registered after its own inputs: a tx spends only txs before it. Outputs are in position order
      // (n), so an outpoint's entry is at index vout.
      const outs: Created[] = tx.outputs.map((out) => ({
        txId: id,
        value: out.value,
        spender: null,
        input: null,
      }));
      created.set(tx.txid.toString('hex'), outs);
      blockCreated.push(outs);
    });
    const own = block.addressIds as Map<string, bigint>;
    for (const tx of block.rows.txs) {
      for (const out of tx.outputs) {
        const id = out.address === null ? undefined : addressIds.get(out.address);
        if (id !== undefined) own.set(out.address!, id);
      }
    }
  }

  // Prevouts outside the batch: txids → ids in one indexed lookup (the latest tx of a duplicated
  // txid, as applyBlock), then one UPDATE by primary key.
  if (outside.length > 0) {
    const wanted = [...new Map(outside.map((o) => [o.prevHex, o.prevTxid])).values()];
    const found = await sql<{ txid: Buffer; id: bigint }>`
      SELECT txid, max(id) AS id FROM txs WHERE txid = ANY(${sqlArray(wanted)}::bytea[]) GROUP BY txid`.execute(
      trx,
    );
    const prevIds = new Map(found.rows.map((r) => [r.txid.toString('hex'), r.id]));
    const spends: Array<(typeof outside)[number] & { prevId: bigint }> = [];
    for (const o of outside) {
      const prevId = prevIds.get(o.prevHex);
      if (prevId === undefined) continue;
      spends.push({ ...o, prevId });
    }
    // In primary-key order, which is the table's order: the UPDATE walks outputs forward.
    spends.sort((a, b) => (a.prevId < b.prevId ? -1 : a.prevId > b.prevId ? 1 : a.vout - b.vout));
    const spendTx = spends.map((o) => o.prevId);
    const spendN = spends.map((o) => o.vout);
    const spenders = spends.map((o) => o.spender);
    const inputNs = spends.map((o) => o.input);
    const spent = await markSpends(trx, { txIds: spendTx, ns: spendN, spenders, inputNs });
    const byInput = new Map(spends.map((o) => [`${o.spender}:${o.input}`, o]));
    for (const row of spent) {
      credit(row.spender, row.value);
      const o = byInput.get(`${row.spender}:${row.input}`)!;
      notePrevout(o.block, o.prevHex, o.vout, o.prevId);
    }
  }

  // Fees, then one INSERT per table for the batch.
  const outTxIds: bigint[] = [];
  const outNs: number[] = [];
  const outValues: bigint[] = [];
  const outTypes: number[] = [];
  const outAddressIds: (bigint | null)[] = [];
  const outSpenders: (bigint | null)[] = [];
  const outInputs: (number | null)[] = [];
  const txCols = {
    id: [] as bigint[],
    txid: [] as Buffer[],
    height: [] as number[],
    idx: [] as number[],
    isCoinbase: [] as boolean[],
    fee: [] as (bigint | null)[],
    size: [] as number[],
    vsize: [] as number[],
    weight: [] as number[],
    version: [] as number[],
    locktime: [] as number[],
    inputCount: [] as number[],
    outputCount: [] as number[],
  };
  stored.forEach((block, b) => {
    let blockFees: bigint | null = 0n;
    block.rows.txs.forEach((tx, i) => {
      const id = block.txIds[i]!;
      const outs = createdOf[b]![i]!;
      let outSum = 0n;
      tx.outputs.forEach((out, o) => {
        const own = outs[o]!;
        outTxIds.push(id);
        outNs.push(out.n);
        outValues.push(out.value);
        outTypes.push(scriptTypeCode(out.scriptType));
        outAddressIds.push(out.address === null ? null : (addressIds.get(out.address) ?? null));
        outSpenders.push(own.spender);
        outInputs.push(own.input);
        outSum += out.value;
      });
      let fee: bigint | null = 0n;
      if (!tx.isCoinbase) {
        const at = Number(id - firstTxId);
        const resolved = inputCount[at]!;
        if (resolved < tx.inputs.length) {
          block.unresolvedInputs += tx.inputs.length - resolved;
          fee = null;
          blockFees = null;
        } else {
          fee = inputValue[at]! - outSum;
          if (blockFees !== null) blockFees += fee;
        }
      }
      txCols.id.push(id);
      txCols.txid.push(tx.txid);
      txCols.height.push(block.height);
      txCols.idx.push(tx.idx);
      txCols.isCoinbase.push(tx.isCoinbase);
      txCols.fee.push(fee);
      txCols.size.push(tx.size);
      txCols.vsize.push(tx.vsize);
      txCols.weight.push(tx.weight);
      txCols.version.push(tx.version);
      txCols.locktime.push(tx.locktime);
      txCols.inputCount.push(tx.inputs.length);
      txCols.outputCount.push(tx.outputs.length);
    });
    block.fees = blockFees;
  });
  if (outTxIds.length > 0) {
    await sql`
      INSERT INTO outputs (tx_id, n, value, script_type, address_id, spent_by_tx_id, spent_by_input)
      SELECT * FROM unnest(${sqlArray(outTxIds)}::int8[], ${sqlArray(outNs)}::int4[], ${sqlArray(outValues)}::int8[], ${sqlArray(outTypes)}::int2[],
        ${sqlArray(outAddressIds)}::int8[], ${sqlArray(outSpenders)}::int8[], ${sqlArray(outInputs)}::int4[])`.execute(
      trx,
    );
  }
  await sql`
    INSERT INTO txs (id, txid, height, idx, is_coinbase, fee, size, vsize, weight, version, locktime, input_count, output_count)
    SELECT * FROM unnest(
      ${sqlArray(txCols.id)}::int8[], ${sqlArray(txCols.txid)}::bytea[], ${sqlArray(txCols.height)}::int4[], ${sqlArray(txCols.idx)}::int4[],
      ${sqlArray(txCols.isCoinbase)}::bool[], ${sqlArray(txCols.fee)}::int8[], ${sqlArray(txCols.size)}::int4[], ${sqlArray(txCols.vsize)}::int4[],
      ${sqlArray(txCols.weight)}::int4[], ${sqlArray(txCols.version)}::int8[], ${sqlArray(txCols.locktime)}::int8[],
      ${sqlArray(txCols.inputCount)}::int4[], ${sqlArray(txCols.outputCount)}::int4[])`.execute(trx);

  await trx
    .insertInto('blocks')
    .values(
      stored.map((block) => {
        const { rows } = block;
        const match = identifyPool(
          { tag: rows.coinbase.tag, addresses: rows.txs[0]?.outputs.map((out) => out.address) ?? [] },
          pools,
        );
        block.poolId = match.pool?.id ?? null;
        block.poolMatch = match.evidence;
        return {
          height: block.height,
          hash: rows.header.hash,
          prev_hash: rows.header.prevHash,
          time: rows.header.time,
          version: rows.header.version,
          bits: rows.header.bits,
          nonce: rows.header.nonce,
          size: rows.size,
          weight: rows.weight,
          pool_id: block.poolId,
          pool_match: match.evidence,
          coinbase_tag: rows.coinbase.tag,
          subsidy: blockSubsidy(block.height, rows.network),
          fees: block.fees,
          tx_count: rows.txs.length,
        };
      }),
    )
    .execute();

  const last = stored[stored.length - 1]!;
  await trx
    .insertInto('chain_state')
    .values({
      id: true,
      network: first.network,
      tip_height: last.height,
      tip_hash: last.rows.header.hash,
      pools_fingerprint: pools.fingerprint,
      updated_at: new Date(),
    })
    .onConflict((oc) =>
      oc
        .column('id')
        .doUpdateSet({ tip_height: last.height, tip_hash: last.rows.header.hash, updated_at: new Date() }),
    )
    .execute();

  if (options.afterBlock !== undefined) for (const block of stored) await options.afterBlock(trx, block);
  if (options.afterBatch !== undefined) await options.afterBatch(trx, stored);
  return { blocks: stored, txCount: txCols.id.length };
}

/**
 * Height of a batch's first block: tip + 1 when it extends the tip (a given `height` must agree), or
 * on an empty database genesis at 0, else the given height or the coinbase's BIP34 height.
 */
function resolveFirstHeight(
  rows: BlockRows,
  tipHeight: number | null,
  tipHash: Buffer | null,
  height: number | undefined,
): number {
  if (tipHeight === null || tipHash === null) {
    // Genesis is the only block whose parent is all zeros (and its coinbase carries no BIP34 height).
    if (rows.header.prevHash.equals(ZERO_HASH)) return 0;
    const first = height ?? rows.coinbase.height;
    if (first === null) {
      throw notContiguous(
        rows,
        tipHeight,
        tipHash,
        'starts an empty database but its height is unknown (no BIP34 height); pass it',
      );
    }
    return first;
  }
  if (!rows.header.prevHash.equals(tipHash)) {
    throw notContiguous(
      rows,
      tipHeight,
      tipHash,
      `does not extend the indexed tip ${hashToHex(tipHash)} at height ${tipHeight} (its parent is ${hashToHex(rows.header.prevHash)})`,
    );
  }
  if (height !== undefined && height !== tipHeight + 1) {
    throw notContiguous(
      rows,
      tipHeight,
      tipHash,
      `is at height ${height}, the next height is ${tipHeight + 1}`,
    );
  }
  return tipHeight + 1;
}

function notContiguous(
  rows: BlockRows,
  tipHeight: number | null,
  tipHash: Buffer | null,
  why: string,
): BlockNotContiguousError {
  const blockHash = hashToHex(rows.header.hash);
  return new BlockNotContiguousError(`block ${blockHash} ${why}`, {
    tipHeight,
    tipHash: tipHash === null ? null : hashToHex(tipHash),
    blockHash,
    prevHash: hashToHex(rows.header.prevHash),
  });
}
