import { hashToHex } from '@minetrace/shared';
import { type BlockRows, networkFromChain, scriptTypeCode } from '@minetrace/shared/chain';
import {
  CopyBuffer,
  copyField,
  copyText,
  type Database,
  type Db,
  type PoolMatchEvidence,
  sqlArray,
} from '@minetrace/shared/db';
import { identifyPool, type PoolSet } from '@minetrace/shared/pools';
import { sql, type Transaction } from 'kysely';
import { type ClusterFeed, ClusterIoBuilder } from '../cluster/cluster-feed.js';
import { blockSubsidy } from './block-subsidy.js';
import { BlockNotContiguousError, NetworkMismatchError } from './ingest.errors.js';
import type { RecentTxids } from './recent-txids.js';
import { SentStatements } from './sent-statements.js';
import { readSpentOutputs } from './spent-output-read.js';

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
   * Each prevout an earlier block holds (in this batch or before it) that an input of the block spent:
   * what the block's payouts read about its inputs, without a read. Inputs spending a transaction of
   * the block itself, or an output not stored, are absent.
   */
  spentPrevouts: SpentPrevouts;
}

/**
 * Outputs of earlier blocks that a block's inputs spent, as parallel arrays (one entry per input): the
 * creating tx's `txs.id` and txid (hex), and the output's position. Arrays, not a map keyed
 * `txid:vout`, which would cost a string per input (thousands per block) for the few inputs that
 * spend pool funds.
 */
export interface SpentPrevouts {
  readonly txIds: bigint[];
  readonly txids: string[];
  readonly vouts: number[];
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
   * Called once the batch holds the tip's lock, as its bulk statements start (the rows of every table),
   * with where the next batch starts (height and tx id) if nothing else writes meanwhile: a pipeline
   * decodes and prepares the next blocks from then on, when each round trip before would have waited
   * for a whole block's decoding.
   */
  onBulkWrite?: (next: BatchStart) => void;
  /**
   * The batch as `prepareBlockBatch` worked it out ahead of time (while the batch before it was being
   * written). Used when it is for these blocks at the height and tx id the batch really starts at and
   * was never written; otherwise the batch is prepared again here.
   */
  prepared?: PreparedBatch;
  /**
   * Keeps what clustering will read of the batch's blocks (`ClusterFeed.stage`), so that it need not
   * read their spent outputs back. `applyBlockBatch` commits or discards them with its transaction;
   * a caller of `writeBlocks` must.
   */
  clusterFeed?: ClusterFeed;
  /**
   * The txids the same writer's last batches committed: prevouts of their txs resolve without the
   * txid lookup. `applyBlockBatch` adds this batch's on commit; a caller of `writeBlocks` must.
   */
  recentTxids?: RecentTxids;
}

/** Where a batch starts: the height of its first block and the id of its first transaction. */
export interface BatchStart {
  height: number;
  txId: bigint;
}

export interface ApplyBlockBatchResult {
  blocks: BatchBlock[];
  txCount: number;
}

const ZERO_HASH = Buffer.alloc(32);

/** An input whose prevout is not an output of the batch: resolved by the write. */
interface OutsideInput {
  /** `txs.id` of the spending tx, and the input's position in it. */
  spender: bigint;
  input: number;
  /** Index of the spending tx's block in the batch. */
  block: number;
  prevTxid: Buffer;
  prevHex: string;
  vout: number;
}

/**
 * Spends resolved inside a batch by inputs of its multi-input transactions (the only ones clustering
 * reads), as parallel arrays: the spending tx (its id less the batch's first id), the input, and the
 * output it spent (its row in the batch's output arrays).
 */
export interface OwnSpends {
  readonly at: number[];
  readonly input: number[];
  readonly rows: number[];
}

/**
 * A batch of blocks worked out from the blocks alone, for tx ids and heights from a given start:
 * everything `writeBlocks` writes except what needs the database (address ids, prevouts of earlier
 * batches, hence fees), with the rows already in COPY's text format but for those columns. Building
 * it is most of a batch's work on the main thread; a pipeline does it while the batch before is
 * being written.
 */
export interface PreparedBatch {
  readonly rows: readonly BlockRows[];
  readonly firstHeight: number;
  readonly firstTxId: bigint;
  /** Set by the write that uses it. */
  used: boolean;
  /** The blocks as the write returns them; ids and in-batch prevouts filled in already. */
  readonly stored: BatchBlock[];
  /** Every address the outputs pay, in first-seen order, and the same as a text[] literal. */
  readonly addresses: string[];
  readonly addressLookup: string;
  /** Per address of `addresses`: its script type and the height of the batch's first output to it. */
  readonly addressTypes: readonly number[];
  readonly addressHeights: readonly number[];
  /** Positions in `addresses` in the addresses' byte order: the order new ones are copied in. */
  readonly addressOrder: readonly number[];
  /** Inputs spending outputs not in the batch. */
  readonly outside: OutsideInput[];
  /** The batch's txids (hex), with their `txs.id`. */
  readonly txIdsByTxid: Map<string, bigint>;
  /** Per tx of the batch (by id - first id): sum of the input values resolved so far, and their count. */
  readonly inputValue: bigint[];
  readonly inputCount: Int32Array;
  /** Per tx of the batch: sum of its output values. */
  readonly outSums: bigint[];
  /** Spends resolved in memory by inputs of multi-input transactions, for clustering. */
  readonly ownSpends: OwnSpends;
  /** Per output row, in insert order: the address it pays (its id is the write's to find), value and script type. */
  readonly outAddresses: (string | null)[];
  readonly outValues: bigint[];
  readonly outTypes: Uint8Array;
  /**
   * Per output row, its OUTPUT_COPY_COLUMNS but the last (address_id) in COPY's format, each followed
   * by a tab: row r is bytes `outputEnds[r - 1]..outputEnds[r]` (from 0 for the first).
   */
  readonly outputParts: CopyBuffer;
  readonly outputEnds: Int32Array;
  /** The spends resolved inside the batch as SPEND_COPY_COLUMNS lines, in (tx_id, n) order. */
  readonly ownSpendLines: CopyBuffer;
  /** Per tx, its TX_COPY_COLUMNS but the last (fee), laid out as the outputs'. */
  readonly txParts: CopyBuffer;
  readonly txEnds: Int32Array;
}

/** The columns of a new address's COPY line. */
const ADDRESS_COPY_COLUMNS = ['id', 'address', 'script_type', 'first_height'];

/** The columns of an output's COPY line; `address_id`, known once the write has looked addresses up, last. */
const OUTPUT_COPY_COLUMNS = ['tx_id', 'n', 'value', 'script_type', 'address_id'];

/** The columns of a spend's COPY line. */
const SPEND_COPY_COLUMNS = ['tx_id', 'n', 'spent_by_tx_id', 'spent_by_input'];

/** The columns of a tx's COPY line; `fee`, known once the write has resolved the prevouts, last. */
const TX_COPY_COLUMNS = [
  'id',
  'txid',
  'height',
  'idx',
  'is_coinbase',
  'size',
  'vsize',
  'weight',
  'version',
  'locktime',
  'input_count',
  'output_count',
  'fee',
];

/** Counts a resolved input of the batch's tx at `at` (its id less the first id), worth `value`. */
function creditInput(
  batch: Pick<PreparedBatch, 'inputValue' | 'inputCount'>,
  at: number,
  value: bigint,
): void {
  batch.inputValue[at] = batch.inputValue[at]! + value;
  batch.inputCount[at]! += 1;
}

/** Notes that an input of `block` spent output `vout` of tx `prevId` (txid `prevHex`), if of an earlier block. */
function notePrevout(block: BatchBlock, prevHex: string, vout: number, prevId: bigint): void {
  if (prevId >= block.txIds[0]!) return;
  const spent = block.spentPrevouts;
  spent.txIds.push(prevId);
  spent.txids.push(prevHex);
  spent.vouts.push(vout);
}

/**
 * Works out the rows of `blocks` (consecutive, in height order) for a batch starting at `start`
 * without reading the database: tx ids, the addresses to insert, spends inside the batch (resolved
 * in memory, their values counted towards fees and their rows ready to copy), the
 * inputs left for the database, and every column that does not depend on it, in COPY's text format.
 */
export function prepareBlockBatch(blocks: readonly BlockRows[], start: BatchStart): PreparedBatch {
  const steps = prepareBlockBatchInSteps(blocks, start, Number.POSITIVE_INFINITY);
  let step = steps.next();
  while (step.done !== true) step = steps.next();
  return step.value;
}

/**
 * `prepareBlockBatch` as a generator pausing after every `txsPerStep` transactions and after each
 * column group: a pipeline runs it between the statements of the batch being written, which would
 * otherwise wait for a batch's whole preparation before sending the next.
 */
export function* prepareBlockBatchInSteps(
  blocks: readonly BlockRows[],
  start: BatchStart,
  txsPerStep: number,
): Generator<void, PreparedBatch, void> {
  let nextTxId = start.txId;
  const stored: BatchBlock[] = blocks.map((rows, b) => {
    const txIds = rows.txs.map(() => nextTxId++);
    return {
      height: start.height + b,
      rows,
      txIds,
      addressIds: new Map(),
      poolId: null,
      poolMatch: 'unknown',
      fees: 0n,
      unresolvedInputs: 0,
      spentPrevouts: { txIds: [], txids: [], vouts: [] },
    };
  });
  const txCount = Number(nextTxId - start.txId);

  // Every address the outputs pay, in first-seen order across the batch.
  const addressSeen = new Set<string>();
  const addresses: string[] = [];
  const addressTypes: number[] = [];
  const addressHeights: number[] = [];
  // The outputs as rows of parallel arrays, in insert order (tx by tx, each by position), and per txid
  // (hex) its tx's index in the batch: tx t's outputs are rows outStart[t]..outStart[t + 1]. An object
  // per output, or a key per outpoint, cost an allocation each for the tens of thousands a batch holds.
  let outputCount = 0;
  for (const rows of blocks) for (const tx of rows.txs) outputCount += tx.outputs.length;
  const created = new Map<string, number>();
  const outStart = new Int32Array(txCount + 1);
  const outTxIds = new Array<bigint>(outputCount);
  const outNs = new Int32Array(outputCount);
  const outValues = new Array<bigint>(outputCount);
  const outTypes = new Uint8Array(outputCount);
  const outAddresses = new Array<string | null>(outputCount);
  /** Per output row, the batch's tx (its index) whose input spends it (-1: none), and that input. */
  const outSpender = new Int32Array(outputCount).fill(-1);
  const outInput = new Int32Array(outputCount);
  const txIdsByTxid = new Map<string, bigint>();
  const inputValue = new Array<bigint>(txCount).fill(0n);
  const inputCount = new Int32Array(txCount);
  const credits = { inputValue, inputCount };
  const outside: OutsideInput[] = [];
  const ownSpends: OwnSpends = { at: [], input: [], rows: [] };
  const outSums = new Array<bigint>(txCount);
  const txParts = new CopyBuffer(160 * txCount);
  const txEnds = new Int32Array(txCount);
  let t = 0;
  let r = 0;
  for (let b = 0; b < stored.length; b++) {
    const block = stored[b]!;
    const { txs } = block.rows;
    for (let i = 0; i < txs.length; i++) {
      const tx = txs[i]!;
      const id = block.txIds[i]!;
      if (!tx.isCoinbase) {
        const { inputs } = tx;
        const multi = inputs.length >= 2;
        for (let n = 0; n < inputs.length; n++) {
          const input = inputs[n]!;
          const prevHex = input.prevTxid.toString('hex');
          const prevAt = created.get(prevHex);
          const row =
            prevAt !== undefined && input.prevVout < outStart[prevAt + 1]! - outStart[prevAt]!
              ? outStart[prevAt]! + input.prevVout
              : -1;
          if (row >= 0 && outSpender[row] === -1) {
            outSpender[row] = t;
            outInput[row] = n;
            creditInput(credits, t, outValues[row]!);
            notePrevout(block, prevHex, input.prevVout, outTxIds[row]!);
            if (multi) {
              ownSpends.at.push(t);
              ownSpends.input.push(n);
              ownSpends.rows.push(row);
            }
          } else {
            outside.push({
              spender: id,
              input: n,
              block: b,
              prevTxid: input.prevTxid,
              prevHex,
              vout: input.prevVout,
            });
          }
        }
      }
      // Registered after its own inputs: a tx spends only txs before it. Outputs are in position order
      // (n), so an outpoint's row is its tx's first plus vout.
      let outSum = 0n;
      const { outputs } = tx;
      for (let k = 0; k < outputs.length; k++) {
        const out = outputs[k]!;
        const type = scriptTypeCode(out.scriptType);
        outTxIds[r] = id;
        outNs[r] = out.n;
        outValues[r] = out.value;
        outTypes[r] = type;
        outAddresses[r] = out.address;
        if (out.address !== null && !addressSeen.has(out.address)) {
          addressSeen.add(out.address);
          addresses.push(out.address);
          addressTypes.push(type);
          addressHeights.push(block.height);
        }
        outSum += out.value;
        r += 1;
      }
      outStart[t + 1] = r;
      const txid = tx.txid.toString('hex');
      created.set(txid, t);
      txIdsByTxid.set(txid, id);
      outSums[t] = outSum;
      // TX_COPY_COLUMNS but fee.
      txParts
        .int(id)
        .ascii('\t')
        .bytea(tx.txid)
        .ascii(
          `\t${block.height}\t${tx.idx}\t${tx.isCoinbase ? 't' : 'f'}\t${tx.size}\t${tx.vsize}\t${tx.weight}\t` +
            `${tx.version}\t${tx.locktime}\t${tx.inputs.length}\t${tx.outputs.length}\t`,
        );
      txEnds[t] = txParts.length;
      t += 1;
      if (t % txsPerStep === 0) yield;
    }
  }
  const addressLookup = sqlArray(addresses);
  yield;
  // Addresses are ASCII: UTF-16 code unit order is byte order, the index's ("C").
  const addressOrder = Array.from(addresses.keys()).sort((a, b) => (addresses[a]! < addresses[b]! ? -1 : 1));
  yield;
  // OUTPUT_COPY_COLUMNS but address_id, and the spends inside the batch: all known by now.
  const outputParts = new CopyBuffer(48 * outputCount);
  const outputEnds = new Int32Array(outputCount);
  const ownSpendLines = new CopyBuffer(32 * outputCount);
  const firstTxId = Number(start.txId);
  for (let row = 0; row < outputCount; row++) {
    outputParts.int(outTxIds[row]!).ascii('\t').int(outNs[row]!).ascii('\t').int(outValues[row]!).ascii('\t');
    outputParts.int(outTypes[row]!).ascii('\t');
    outputEnds[row] = outputParts.length;
    const spender = outSpender[row]!;
    if (spender >= 0) {
      ownSpendLines
        .int(outTxIds[row]!)
        .ascii('\t')
        .int(outNs[row]!)
        .ascii('\t')
        .int(firstTxId + spender)
        .ascii('\t');
      ownSpendLines.int(outInput[row]!).ascii('\n');
    }
    if ((row + 1) % (txsPerStep * 4) === 0) yield;
  }
  return {
    rows: blocks,
    firstHeight: start.height,
    firstTxId: start.txId,
    used: false,
    stored,
    addresses,
    addressLookup,
    addressTypes,
    addressHeights,
    addressOrder,
    outside,
    txIdsByTxid,
    inputValue,
    inputCount,
    outSums,
    ownSpends,
    outAddresses,
    outValues,
    outTypes,
    outputParts,
    outputEnds,
    ownSpendLines,
    txParts,
    txEnds,
  };
}

/**
 * Writes several consecutive decoded blocks and moves the tip to the last, in ONE SQL transaction
 * (a crash leaves the database at the previous tip or at the last block of the batch). Rows are the
 * same as `applyBlock` writes; what changes is the number of round trips and how spends resolve:
 *
 * - prevouts created inside the batch resolve in memory: their values give the fees without a read;
 * - the remaining prevout txids resolve in one indexed lookup (`txs.txid = ANY(...)`), but those
 *   the same writer's last batches committed (`recentTxids`), found in memory; then one read by
 *   primary key returns the outputs' values (`readSpentOutputs`). The read runs with hash and merge
 *   joins off: with a few thousand keys an index nested loop is what Postgres should do, but on
 *   tables whose statistics lag behind a bulk load it otherwise hashes every output;
 * - one COPY per table for the whole batch (addresses, tx_outputs, spends, txs; `copyText` of a
 *   `CopyBuffer`), each sent once its text is ready without waiting for the one before
 *   (`SentStatements`),
 *   one INSERT for the blocks. New addresses take a block of ids from the identity's sequence in the
 *   statement that looks the stored ones up: a COPY returns nothing.
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
  const feed = options.clusterFeed;
  // Whatever a caller of `writeBlocks` staged and never committed was never known to be written.
  feed?.discard();
  options.recentTxids?.discard();
  try {
    const result = await db.transaction().execute((trx) => writeBlocks(trx, blocks, pools, options));
    feed?.commit();
    options.recentTxids?.commit();
    return result;
  } catch (error) {
    feed?.discard();
    options.recentTxids?.discard();
    throw error;
  }
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

  // The next tx id, and the last rollback's: what `ClusterFeed` and `RecentTxids` keep is good until the next.
  // In the same round trip, no parallel workers and no JIT compilation for the rest of the
  // transaction: every statement after this one names its rows through an index, but on tables
  // whose statistics lag behind a bulk load Postgres expects thousands of rows, and launches workers,
  // which cost 10-15 ms each time to read a few rows (the payouts' prevout read took 15 ms for 0.2 ms
  // of work), or compiles the plan, 40-130 ms for a read of 4 to 444 spends.
  const ids = await sql<{ max_id: bigint | null; reorg_mark: bigint }>`
    SELECT (SELECT max(id) FROM txs) AS max_id, (SELECT coalesce(max(id), 0) FROM reorgs)::int8 AS reorg_mark,
      set_config('max_parallel_workers_per_gather', '0', true) AS serial, set_config('jit', 'off', true) AS jit`.execute(
    trx,
  );
  const { max_id: maxTxId, reorg_mark: reorgMark } = ids.rows[0]!;
  const recent = options.recentTxids?.validate(tipHash, reorgMark) === true ? options.recentTxids : undefined;
  const firstTxId = (maxTxId ?? -1n) + 1n;
  const txCount = blocks.reduce((n, rows) => n + rows.txs.length, 0);
  options.onBulkWrite?.({ height: firstHeight + blocks.length, txId: firstTxId + BigInt(txCount) });
  const given = options.prepared;
  const prepared =
    given !== undefined &&
    !given.used &&
    given.firstHeight === firstHeight &&
    given.firstTxId === firstTxId &&
    given.rows.length === blocks.length &&
    given.rows.every((rows, i) => rows === blocks[i])
      ? given
      : prepareBlockBatch(blocks, { height: firstHeight, txId: firstTxId });
  // Its blocks are filled in by this write (address ids, fees, spends): never twice.
  prepared.used = true;
  const { stored, inputValue, inputCount } = prepared;
  const clusterIo = options.clusterFeed === undefined ? undefined : new ClusterIoBuilder(stored);

  // The batch's statements go out as soon as their rows are known, without waiting for the answer of
  // those before when nothing depends on it: the connection runs them in order, and the main thread
  // builds the next COPY's text while Postgres runs the last. Waited for are only the answers rows
  // depend on (the stored addresses, the prevouts' tx ids and outputs).
  const sent = new SentStatements();
  try {
    // Addresses: the stored ones are looked up, and in the same statement ids for the new ones are
    // taken from the identity's sequence, a block of consecutive ids at once (a COPY returns nothing,
    // so the ids are given here, in first-seen order). A sequence never goes back, so an id a
    // rollback freed is never given to another address: ids the API has shown (clusters are named by
    // an address id) keep naming that address or nothing. The block starts above max(id) too, which a
    // racing first batch (below) may have moved the sequence behind. Every writer of blocks holds the
    // chain_state row locked above (once the row exists), so no other transaction adds an address or
    // takes ids meanwhile; the one writer that locked nothing, the first batch of an empty database,
    // may race another, and the loser fails on a key the winner wrote, writing nothing.
    const looked =
      prepared.addresses.length === 0
        ? undefined
        : sent.add(
            sql<{ id: bigint | null; address: string | null }>`
      WITH known AS (
        SELECT id, address FROM addresses WHERE address = ANY(${prepared.addressLookup}::text[])),
      fresh AS (SELECT ${prepared.addresses.length}::int8 - (SELECT count(*) FROM known) AS n)
      SELECT id, address FROM known
      UNION ALL
      SELECT CASE WHEN n > 0 THEN setval(pg_get_serial_sequence('addresses', 'id'),
          greatest(nextval(pg_get_serial_sequence('addresses', 'id')),
            (SELECT coalesce(max(id), 0) + 1 FROM addresses)) + n - 1) END, NULL
      FROM fresh`.execute(trx),
          );

    // Prevouts outside the batch: txids → ids in one indexed lookup (the latest tx of a duplicated
    // txid, as applyBlock), sent behind the addresses' and before the batch's txs are copied.
    const { outside } = prepared;
    const prevIds = new Map<string, bigint>();
    // The distinct txids to look up: those the writer's last batches did not write.
    const lookUp = new Map<string, Buffer>();
    for (const { prevHex, prevTxid } of outside) {
      if (prevIds.has(prevHex) || lookUp.has(prevHex)) continue;
      const id = recent?.get(prevHex);
      if (id === undefined) lookUp.set(prevHex, prevTxid);
      else prevIds.set(prevHex, id);
    }
    const txidsFound =
      lookUp.size === 0
        ? undefined
        : sent.add(
            sql<{ txid: Buffer; id: bigint }>`
        SELECT txid, max(id) AS id FROM txs WHERE txid = ANY(${sqlArray([...lookUp.values()])}::bytea[]) GROUP BY txid`.execute(
              trx,
            ),
          );

    const addressIds = new Map<string, bigint>();
    // Per block of the batch, the lowest id an address first seen there or later has: what clustering
    // needs to know which addresses cannot be in a cluster yet (`ClusterBlockIo.firstAddressId`).
    const firstAddressIds = new Array<number>(blocks.length).fill(Number.POSITIVE_INFINITY);
    if (looked !== undefined) {
      // The row without an address holds the last id of the block taken (null when every address is
      // stored); the others are the stored addresses (addresses.address is never null).
      let reserved: bigint | null = null;
      for (const row of (await looked).rows) {
        if (row.address === null) reserved = row.id;
        else addressIds.set(row.address, row.id!);
      }
      // ADDRESS_COPY_COLUMNS, a line per new address. Ids go in first-seen order; the lines go in the
      // addresses' order, which is their unique index's: each batch then walks the index's leaf pages
      // forward once, where first-seen order jumps between them at random. Once the index outgrows
      // shared buffers that is most of the COPY: 60,000 new addresses into a 4-million-address table
      // (a 343 MB index, 128 MB of shared buffers) took 348-361 ms sorted against 446-499 ms.
      const addressText = new CopyBuffer(64 * (prepared.addresses.length - addressIds.size));
      if (reserved !== null) {
        let nextId = reserved - BigInt(prepared.addresses.length - addressIds.size) + 1n;
        const newIds = new Array<bigint | undefined>(prepared.addresses.length);
        prepared.addresses.forEach((address, i) => {
          if (addressIds.has(address)) return;
          addressIds.set(address, nextId);
          const b = prepared.addressHeights[i]! - firstHeight;
          if (firstAddressIds[b] === Number.POSITIVE_INFINITY) firstAddressIds[b] = Number(nextId);
          newIds[i] = nextId++;
        });
        // A block without new addresses starts where the next one's do (after the batch: past its last).
        for (let b = blocks.length - 1, next = Number(reserved) + 1; b >= 0; b--) {
          if (firstAddressIds[b] === Number.POSITIVE_INFINITY) firstAddressIds[b] = next;
          else next = firstAddressIds[b]!;
        }
        for (const i of prepared.addressOrder) {
          const id = newIds[i];
          if (id === undefined) continue;
          addressText
            .int(id)
            .ascii('\t')
            .ascii(copyField(prepared.addresses[i]!))
            .ascii('\t')
            .int(prepared.addressTypes[i]!)
            .ascii('\t')
            .int(prepared.addressHeights[i]!)
            .ascii('\n');
        }
      }
      sent.add(copyText(trx, 'addresses', ADDRESS_COPY_COLUMNS, addressText.view()));
    }
    const { outAddresses } = prepared;
    sent.add(
      copyText(
        trx,
        'tx_outputs',
        OUTPUT_COPY_COLUMNS,
        finishLines(prepared.outputParts, prepared.outputEnds, (r) => {
          const address = outAddresses[r]!;
          return address === null ? null : addressIds.get(address)!;
        }),
      ),
    );
    for (const block of stored) {
      const own = block.addressIds as Map<string, bigint>;
      for (const tx of block.rows.txs) {
        for (const out of tx.outputs) {
          const id = out.address === null ? undefined : addressIds.get(out.address);
          if (id !== undefined) own.set(out.address!, id);
        }
      }
    }

    // Then one read by primary key of the outputs the found prevouts name; the spends of those found
    // are copied in ahead of the batch's own (their outputs are older), so the COPY follows the
    // primary key.
    const spendLines = new CopyBuffer(32 * outside.length + prepared.ownSpendLines.length);
    if (txidsFound !== undefined) {
      for (const row of (await txidsFound).rows) prevIds.set(row.txid.toString('hex'), row.id);
    }
    if (outside.length > 0) {
      // Positions in `outside` of the inputs whose prevout is stored, and per position its tx id (also
      // as a number, to sort by: tens of thousands of bigint comparisons cost more than the sort).
      const order: number[] = [];
      const prevOf = new Array<bigint>(outside.length);
      const prevKey = new Float64Array(outside.length);
      for (let at = 0; at < outside.length; at++) {
        const prevId = prevIds.get(outside[at]!.prevHex);
        if (prevId === undefined) continue;
        order.push(at);
        prevOf[at] = prevId;
        prevKey[at] = Number(prevId);
      }
      // In primary-key order, which is the table's order: the read walks outputs forward.
      order.sort((a, b) => prevKey[a]! - prevKey[b]! || outside[a]!.vout - outside[b]!.vout);
      const found = await sent.add(
        readSpentOutputs(trx, {
          txIds: order.map((at) => prevOf[at]!),
          ns: order.map((at) => outside[at]!.vout),
        }),
      );
      for (const row of found) {
        const at = order[row.at]!;
        const o = outside[at]!;
        spendLines
          .int(prevOf[at]!)
          .ascii('\t')
          .int(o.vout)
          .ascii('\t')
          .int(o.spender)
          .ascii('\t')
          .int(o.input)
          .ascii('\n');
        const spender = Number(o.spender - firstTxId);
        creditInput(prepared, spender, row.value);
        notePrevout(stored[o.block]!, o.prevHex, o.vout, prevOf[at]!);
        clusterIo?.spend(spender, o.input, row.value, row.script_type, row.address_id);
      }
    }
    spendLines.part(prepared.ownSpendLines, 0, prepared.ownSpendLines.length);
    sent.add(copyText(trx, 'spends', SPEND_COPY_COLUMNS, spendLines.view()));

    if (clusterIo !== undefined) {
      const own = prepared.ownSpends;
      own.rows.forEach((row, i) => {
        const address = prepared.outAddresses[row]!;
        clusterIo.spend(
          own.at[i]!,
          own.input[i]!,
          prepared.outValues[row]!,
          prepared.outTypes[row]!,
          address === null ? null : addressIds.get(address)!,
        );
      });
      for (const block of clusterIo.finish(reorgMark, addressIds, firstAddressIds))
        options.clusterFeed!.stage(block);
    }

    // Fees, then the txs and the blocks.
    const fees = new Array<bigint | null>(txCount);
    let t = 0;
    for (const block of stored) {
      let blockFees: bigint | null = 0n;
      for (const tx of block.rows.txs) {
        let fee: bigint | null = 0n;
        if (!tx.isCoinbase) {
          const resolved = inputCount[t]!;
          if (resolved < tx.inputs.length) {
            block.unresolvedInputs += tx.inputs.length - resolved;
            fee = null;
            blockFees = null;
          } else {
            fee = inputValue[t]! - prepared.outSums[t]!;
            if (blockFees !== null) blockFees += fee;
          }
        }
        fees[t++] = fee;
      }
      block.fees = blockFees;
    }
    sent.add(
      copyText(
        trx,
        'txs',
        TX_COPY_COLUMNS,
        finishLines(prepared.txParts, prepared.txEnds, (i) => fees[i]!),
      ),
    );

    sent.add(
      trx
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
        .execute(),
    );
    await sent.settle();
  } catch (error) {
    throw (await sent.firstFailure()) ?? error;
  }

  const last = stored[stored.length - 1]!;
  options.recentTxids?.stage(prepared.txIdsByTxid, last.rows.header.hash, reorgMark);
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
  return { blocks: stored, txCount };
}

/**
 * COPY text of the rows prepared ahead as `parts` (row r is bytes `ends[r - 1]..ends[r]`), each
 * completed by its last column, `last(r)` (null for COPY's null), and a newline.
 */
function finishLines(parts: CopyBuffer, ends: Int32Array, last: (row: number) => bigint | null): Buffer {
  const text = new CopyBuffer(parts.length + 16 * ends.length);
  for (let r = 0, start = 0; r < ends.length; r++) {
    const end = ends[r]!;
    const value = last(r);
    text.part(parts, start, end);
    if (value === null) text.nul();
    else text.int(value);
    text.ascii('\n');
    start = end;
  }
  return text.view();
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
