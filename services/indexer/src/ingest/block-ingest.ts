import { hashToHex } from '@minetrace/shared';
import { type BlockRows, networkFromChain, scriptTypeCode } from '@minetrace/shared/chain';
import type { Database, Db, PoolMatchEvidence } from '@minetrace/shared/db';
import { identifyPool, type PoolSet } from '@minetrace/shared/pools';
import { sql, type Transaction } from 'kysely';
import { DEFAULT_FINALITY_DEPTH } from '../cluster/cluster-store.js';
import { blockSubsidy } from './block-subsidy.js';
import { DEFAULT_PAYOUT_MAX_HOPS, deriveBlock } from './derived-rows.js';
import { BlockNotContiguousError, NetworkMismatchError } from './ingest.errors.js';
import { markSpends } from './spend-marking.js';

/** What `applyBlock` did. */
export interface ApplyBlockResult {
  /** `already-indexed`: a block with this hash was in the database; nothing was written. */
  status: 'applied' | 'already-indexed';
  height: number;
  hash: Buffer;
  txCount: number;
  /** Sum of the block's fees; null when some input spent an output the database does not hold. */
  fees: bigint | null;
  /** Inputs whose prevout was not in the database (blocks ingested without their history). */
  unresolvedInputs: number;
  poolId: number | null;
  poolMatch: PoolMatchEvidence;
}

export interface ApplyBlockOptions {
  /**
   * Height of the block. Required to be tip + 1 when the database has a tip; on an empty database
   * it places the first block (default: the coinbase's BIP34 height, else 0).
   */
  height?: number;
  /** How many transactions after a coinbase payouts are followed (`PAYOUT_MAX_HOPS`). @defaultValue 3 */
  payoutMaxHops?: number;
  /** Blocks at least this far below the tip are clustered (`FINALITY_DEPTH`). @defaultValue 6 */
  finalityDepth?: number;
}

const ZERO_HASH = Buffer.alloc(32);

/**
 * Writes one decoded block and moves the tip to it, in ONE SQL transaction: a crash leaves the
 * database at the previous tip or at this block, never between. One statement per table:
 * addresses (insert new, then resolve ids), outputs, spends (which return the prevout values the
 * fees are computed from), txs, the block, chain_state; then the derived rows (`deriveBlock`: payouts,
 * and the clustering of the block this one makes final).
 *
 * Invariants: the block's parent must be the indexed tip and its height tip + 1, else
 * `BlockNotContiguousError` and nothing is written; a block whose hash is already indexed is a
 * no-op. Tx ids continue from max(txs.id) + 1 in block order. Inputs whose prevout is unknown are
 * counted, their tx's fee and the block's fees are left null.
 */
export async function applyBlock(
  db: Db,
  rows: BlockRows,
  pools: PoolSet,
  options: ApplyBlockOptions = {},
): Promise<ApplyBlockResult> {
  return db.transaction().execute((trx) => applyBlockIn(trx, rows, pools, options));
}

async function applyBlockIn(
  trx: Transaction<Database>,
  rows: BlockRows,
  pools: PoolSet,
  options: ApplyBlockOptions,
): Promise<ApplyBlockResult> {
  const { header } = rows;
  const state = await trx
    .selectFrom('chain_state')
    .selectAll()
    .where('id', '=', true)
    .forUpdate()
    .executeTakeFirst();
  if (state !== undefined && networkFromChain(state.network) !== rows.network) {
    throw new NetworkMismatchError(
      `block ${hashToHex(header.hash)} is a ${rows.network} block but this database indexes ${state.network}`,
    );
  }

  const existing = await trx
    .selectFrom('blocks')
    .select(['height', 'tx_count', 'fees', 'pool_id', 'pool_match'])
    .where('hash', '=', header.hash)
    .executeTakeFirst();
  if (existing !== undefined) {
    return {
      status: 'already-indexed',
      height: existing.height,
      hash: header.hash,
      txCount: existing.tx_count,
      fees: existing.fees,
      unresolvedInputs: 0,
      poolId: existing.pool_id,
      poolMatch: existing.pool_match ?? 'unknown',
    };
  }

  const height = resolveHeight(rows, state?.tip_height ?? null, state?.tip_hash ?? null, options);
  const network = rows.network;

  const maxId = await trx
    .selectFrom('txs')
    .select(sql<bigint | null>`max(id)`.as('max_id'))
    .executeTakeFirstOrThrow();
  const firstTxId = (maxId.max_id ?? -1n) + 1n;
  const txIds = rows.txs.map((_, i) => firstTxId + BigInt(i));

  // Addresses: insert the new ones in first-seen order, then resolve every id in one query.
  const addressType = new Map<string, number>();
  for (const tx of rows.txs) {
    for (const out of tx.outputs) {
      if (out.address !== null && !addressType.has(out.address)) {
        addressType.set(out.address, scriptTypeCode(out.scriptType));
      }
    }
  }
  const addressIds = new Map<string, bigint>();
  if (addressType.size > 0) {
    const addresses = [...addressType.keys()];
    await sql`
      INSERT INTO addresses (address, script_type, first_height)
      SELECT u.address, u.script_type, ${height}::int4
      FROM unnest(${addresses}::text[], ${[...addressType.values()]}::int2[]) WITH ORDINALITY AS u(address, script_type, ord)
      ORDER BY u.ord
      ON CONFLICT (address) DO NOTHING`.execute(trx);
    const resolved = await sql<{ id: bigint; address: string }>`
      SELECT id, address FROM addresses WHERE address = ANY(${addresses}::text[])`.execute(trx);
    for (const row of resolved.rows) addressIds.set(row.address, row.id);
  }

  // Outputs, before the spends so that spends inside this block find them.
  const outTxIds: bigint[] = [];
  const outNs: number[] = [];
  const outValues: bigint[] = [];
  const outTypes: number[] = [];
  const outAddressIds: (bigint | null)[] = [];
  const outputSums: bigint[] = [];
  rows.txs.forEach((tx, i) => {
    let sum = 0n;
    for (const out of tx.outputs) {
      outTxIds.push(txIds[i]!);
      outNs.push(out.n);
      outValues.push(out.value);
      outTypes.push(scriptTypeCode(out.scriptType));
      outAddressIds.push(out.address === null ? null : (addressIds.get(out.address) ?? null));
      sum += out.value;
    }
    outputSums.push(sum);
  });
  if (outTxIds.length > 0) {
    await sql`
      INSERT INTO outputs (tx_id, n, value, script_type, address_id)
      SELECT * FROM unnest(${outTxIds}::int8[], ${outNs}::int4[], ${outValues}::int8[], ${outTypes}::int2[], ${outAddressIds}::int8[])`.execute(
      trx,
    );
  }

  // Spends: one UPDATE for the block, returning the values spent so fees follow without a re-read.
  const idByTxid = new Map<string, bigint>();
  const spenders: bigint[] = [];
  const inputNs: number[] = [];
  const prevTxids: Buffer[] = [];
  const knownPrevIds: (bigint | null)[] = [];
  const prevVouts: number[] = [];
  rows.txs.forEach((tx, i) => {
    if (!tx.isCoinbase) {
      tx.inputs.forEach((input, n) => {
        spenders.push(txIds[i]!);
        inputNs.push(n);
        prevTxids.push(input.prevTxid);
        knownPrevIds.push(idByTxid.get(input.prevTxid.toString('hex')) ?? null);
        prevVouts.push(input.prevVout);
      });
    }
    // Registered after its own inputs: a tx can only spend txs before it in the block.
    idByTxid.set(tx.txid.toString('hex'), txIds[i]!);
  });
  // Prevouts from earlier blocks: one indexed lookup of their txids (the latest id wins for
  // the two BIP30 duplicate coinbase txids). Resolving them inside the UPDATE let the planner
  // walk the txs primary key backwards per input, which grows with the chain.
  const unknownTxids = new Map<string, Buffer>();
  prevTxids.forEach((txid, k) => {
    if (knownPrevIds[k] === null) unknownTxids.set(txid.toString('hex'), txid);
  });
  if (unknownTxids.size > 0) {
    const found = await sql<{ txid: Buffer; id: bigint }>`
      SELECT txid, max(id) AS id FROM txs WHERE txid = ANY(${[...unknownTxids.values()]}::bytea[]) GROUP BY txid`.execute(
      trx,
    );
    const earlier = new Map(found.rows.map((r) => [Buffer.from(r.txid).toString('hex'), r.id] as const));
    prevTxids.forEach((txid, k) => {
      if (knownPrevIds[k] === null) knownPrevIds[k] = earlier.get(txid.toString('hex')) ?? null;
    });
  }
  const inputSums = new Map<bigint, { value: bigint; count: number }>();
  if (spenders.length > 0) {
    // Inputs whose prevout is still unknown (null id) match no output and stay unresolved.
    const resolved = knownPrevIds.flatMap((id, k) => (id === null ? [] : [k]));
    const spent = await markSpends(trx, {
      txIds: resolved.map((k) => knownPrevIds[k]!),
      ns: resolved.map((k) => prevVouts[k]!),
      spenders: resolved.map((k) => spenders[k]!),
      inputNs: resolved.map((k) => inputNs[k]!),
    });
    for (const row of spent) {
      const sum = inputSums.get(row.spender) ?? { value: 0n, count: 0 };
      sum.value += row.value;
      sum.count += 1;
      inputSums.set(row.spender, sum);
    }
  }

  let unresolvedInputs = 0;
  let blockFees: bigint | null = 0n;
  const fees = rows.txs.map((tx, i): bigint | null => {
    if (tx.isCoinbase) return 0n;
    const inputs = inputSums.get(txIds[i]!) ?? { value: 0n, count: 0 };
    if (inputs.count < tx.inputs.length) {
      unresolvedInputs += tx.inputs.length - inputs.count;
      blockFees = null;
      return null;
    }
    const fee = inputs.value - outputSums[i]!;
    if (blockFees !== null) blockFees += fee;
    return fee;
  });

  await sql`
    INSERT INTO txs (id, txid, height, idx, is_coinbase, fee, size, vsize, weight, version, locktime, input_count, output_count)
    SELECT u.id, u.txid, ${height}::int4, u.idx, u.is_coinbase, u.fee, u.size, u.vsize, u.weight, u.version, u.locktime, u.input_count, u.output_count
    FROM unnest(
      ${txIds}::int8[], ${rows.txs.map((tx) => tx.txid)}::bytea[], ${rows.txs.map((tx) => tx.idx)}::int4[],
      ${rows.txs.map((tx) => tx.isCoinbase)}::bool[], ${fees}::int8[], ${rows.txs.map((tx) => tx.size)}::int4[],
      ${rows.txs.map((tx) => tx.vsize)}::int4[], ${rows.txs.map((tx) => tx.weight)}::int4[],
      ${rows.txs.map((tx) => tx.version)}::int8[], ${rows.txs.map((tx) => tx.locktime)}::int8[],
      ${rows.txs.map((tx) => tx.inputs.length)}::int4[], ${rows.txs.map((tx) => tx.outputs.length)}::int4[]
    ) AS u(id, txid, idx, is_coinbase, fee, size, vsize, weight, version, locktime, input_count, output_count)`.execute(
    trx,
  );

  const coinbase = rows.txs[0];
  const match = identifyPool(
    { tag: rows.coinbase.tag, addresses: coinbase?.outputs.map((out) => out.address) ?? [] },
    pools,
  );
  const poolId = match.pool?.id ?? null;
  await trx
    .insertInto('blocks')
    .values({
      height,
      hash: header.hash,
      prev_hash: header.prevHash,
      time: header.time,
      version: header.version,
      bits: header.bits,
      nonce: header.nonce,
      size: rows.size,
      weight: rows.weight,
      pool_id: poolId,
      pool_match: match.evidence,
      coinbase_tag: rows.coinbase.tag,
      subsidy: blockSubsidy(height, network),
      fees: blockFees,
      tx_count: rows.txs.length,
    })
    .execute();

  await trx
    .insertInto('chain_state')
    .values({
      id: true,
      network: rows.network,
      tip_height: height,
      tip_hash: header.hash,
      pools_fingerprint: pools.fingerprint,
      updated_at: new Date(),
    })
    .onConflict((oc) =>
      oc.column('id').doUpdateSet({ tip_height: height, tip_hash: header.hash, updated_at: new Date() }),
    )
    .execute();

  // Derived rows, in the same transaction so they can never disagree with the chain rows.
  await deriveBlock(
    trx,
    { height, poolId, txs: rows.txs, txIds, addressIds },
    {
      payoutMaxHops: options.payoutMaxHops ?? DEFAULT_PAYOUT_MAX_HOPS,
      finalityDepth: options.finalityDepth ?? DEFAULT_FINALITY_DEPTH,
    },
  );

  return {
    status: 'applied',
    height,
    hash: header.hash,
    txCount: rows.txs.length,
    fees: blockFees,
    unresolvedInputs,
    poolId,
    poolMatch: match.evidence,
  };
}

function resolveHeight(
  rows: BlockRows,
  tipHeight: number | null,
  tipHash: Buffer | null,
  options: ApplyBlockOptions,
): number {
  const blockHash = hashToHex(rows.header.hash);
  const prevHash = hashToHex(rows.header.prevHash);
  if (tipHeight === null || tipHash === null) {
    // Genesis is the only block whose parent is all zeros (and its coinbase carries no BIP34 height).
    if (rows.header.prevHash.equals(ZERO_HASH)) return 0;
    const height = options.height ?? rows.coinbase.height;
    if (height === null) {
      throw new BlockNotContiguousError(
        `block ${blockHash} starts an empty database but its height is unknown (no BIP34 height); pass it`,
        { tipHeight, tipHash: null, blockHash, prevHash },
      );
    }
    return height;
  }
  const details = { tipHeight, tipHash: hashToHex(tipHash), blockHash, prevHash };
  if (!rows.header.prevHash.equals(tipHash)) {
    throw new BlockNotContiguousError(
      `block ${blockHash} does not extend the indexed tip ${details.tipHash} at height ${tipHeight} (its parent is ${prevHash})`,
      details,
    );
  }
  if (options.height !== undefined && options.height !== tipHeight + 1) {
    throw new BlockNotContiguousError(
      `block ${blockHash} is at height ${options.height}, the next height is ${tipHeight + 1}`,
      details,
    );
  }
  return tipHeight + 1;
}
