import { Writable } from 'node:stream';
import { hashToHex } from '@minetrace/shared';
import { scriptTypeCode } from '@minetrace/shared/chain';
import type { Db } from '@minetrace/shared/db';
import type { Logger } from '@minetrace/shared/log';
import { sql } from 'kysely';
import { pino } from 'pino';
import type { BitcoindRpcClient } from './rpc-client.js';

/** What the node says about its best chain, read over JSON-RPC only (as against a real bitcoind). */
export interface NodeView {
  height: number;
  hashes: string[];
  txCounts: number[];
  utxoTotalSats: bigint;
  utxoCount: number;
}

/** What the database says about the same. */
export type DbView = NodeView & { tipHash: string | null };

export async function readNodeView(rpc: BitcoindRpcClient): Promise<NodeView> {
  const info = await rpc.getBlockchainInfo();
  const heights = Array.from({ length: info.blocks + 1 }, (_, h) => h);
  const hashes = (await rpc.batch<string>(heights.map((h) => ({ method: 'getblockhash', params: [h] })))).map(
    (reply) => {
      if (!reply.ok) throw reply.error;
      return reply.result;
    },
  );
  const headers = await rpc.batch<{ nTx: number }>(
    hashes.map((hash) => ({ method: 'getblockheader', params: [hash, true] })),
  );
  const txCounts = headers.map((reply) => {
    if (!reply.ok) throw reply.error;
    return reply.result.nTx;
  });
  const utxos = await rpc.call<{ height: number; total_amount: number; txouts: number }>('gettxoutsetinfo');
  if (utxos.height !== info.blocks) throw new Error('the node moved while being read');
  return {
    height: info.blocks,
    hashes,
    txCounts,
    // bitcoind prints BTC with 8 decimals; toFixed(8) gives back exactly those digits.
    utxoTotalSats: BigInt(utxos.total_amount.toFixed(8).replace('.', '')),
    utxoCount: utxos.txouts,
  };
}

export async function readDbView(db: Db): Promise<DbView> {
  const blocks = await db
    .selectFrom('blocks')
    .select(['height', 'hash', 'tx_count'])
    .orderBy('height')
    .execute();
  // The node's UTXO set leaves out what can never be spent, as Core does: OP_RETURN outputs and the
  // genesis coinbase (never added to the UTXO database).
  const utxo = await sql<{ total: bigint; count: bigint }>`
    SELECT coalesce(sum(o.value), 0)::int8 AS total, count(*) AS count
    FROM outputs o JOIN txs t ON t.id = o.tx_id
    WHERE o.spent_by_tx_id IS NULL AND o.script_type <> ${scriptTypeCode('nulldata')} AND t.height > 0`.execute(
    db,
  );
  const state = await db.selectFrom('chain_state').selectAll().executeTakeFirst();
  return {
    height: state?.tip_height ?? -1,
    tipHash: state?.tip_hash ? hashToHex(state.tip_hash) : null,
    hashes: blocks.map((row) => hashToHex(row.hash)),
    txCounts: blocks.map((row) => row.tx_count),
    utxoTotalSats: utxo.rows[0]!.total,
    utxoCount: Number(utxo.rows[0]!.count),
  };
}

/** The node's tip hash over RPC; the database's tip hash; equal once the follower caught up. */
export async function indexedTipHash(db: Db): Promise<string | null> {
  const state = await db.selectFrom('chain_state').select('tip_hash').executeTakeFirst();
  return state?.tip_hash ? hashToHex(state.tip_hash) : null;
}

/** A logger whose JSON lines are kept for assertions. */
export function captureLogger(level = 'info'): { logger: Logger; lines: Array<Record<string, unknown>> } {
  const lines: Array<Record<string, unknown>> = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString('utf8').split('\n')) {
        if (line.trim() !== '') lines.push(JSON.parse(line) as Record<string, unknown>);
      }
      done();
    },
  });
  return { logger: pino({ level, base: undefined }, stream), lines };
}

/** Polls `read` until it returns `expected` (compared with ===), failing with the last value after `timeoutMs`. */
export async function waitFor<T>(read: () => Promise<T> | T, expected: T, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last: T | undefined;
  while (Date.now() < deadline) {
    last = await read();
    if (last === expected) return;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error(
    `timed out after ${timeoutMs} ms waiting for ${String(expected)}; last saw ${String(last)}`,
  );
}
