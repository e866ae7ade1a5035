import { hashToHex } from '@minetrace/shared';
import { scriptTypeName } from '@minetrace/shared/chain';
import type { PoolMatchEvidence } from '@minetrace/shared/db';
import type { ApiContext } from './api-context.js';
import type { BlockModel, TxModel } from './models.js';
import { encodeCursor, parsePage, toConnection } from './pagination.js';
import type {
  BlockResolvers,
  InputResolvers,
  OutputResolvers,
  PoolMatch,
  SpendResolvers,
  TipResolvers,
  TransactionResolvers,
} from './resolvers.generated.js';

const POOL_MATCH: Record<PoolMatchEvidence, PoolMatch> = {
  address: 'ADDRESS',
  tag: 'TAG',
  both: 'BOTH',
  conflict: 'CONFLICT',
  unknown: 'UNKNOWN',
};

const blockTime = (block: BlockModel) => new Date(block.time * 1000);

export const tipResolvers: TipResolvers = {
  height: (block) => block.height,
  hash: (block) => hashToHex(block.hash),
  time: blockTime,
  timestamp: (block) => block.time,
};

export const blockResolvers: BlockResolvers = {
  hash: (block) => hashToHex(block.hash),
  height: (block) => block.height,
  time: blockTime,
  timestamp: (block) => block.time,
  pool: (block, _args, ctx) => (block.pool_id === null ? null : ctx.loaders.poolById.load(block.pool_id)),
  poolMatch: (block) => POOL_MATCH[block.pool_match ?? 'unknown'],
  coinbaseTag: (block) => block.coinbase_tag,
  subsidy: (block) => block.subsidy,
  fees: (block) => block.fees,
  reward: (block) => (block.fees === null ? null : block.subsidy + block.fees),
  txCount: (block) => block.tx_count,
  transactions: async (block, args, ctx) => {
    const page = parsePage(args, 'btx', 1, ctx.maxPage);
    const rows = await ctx.loaders.blockTxPage.load({
      parent: block.height,
      first: page.first,
      after: page.after,
    });
    return toConnection(rows, page.first, page.after !== null, (tx) => encodeCursor('btx', [tx.idx]));
  },
};

/** Cursor of a transaction in an address's history (newest first). */
export const addressTxCursor = (tx: TxModel) => encodeCursor('atx', [tx.id]);

export const transactionResolvers: TransactionResolvers = {
  txid: (tx) => hashToHex(tx.txid),
  block: async (tx, _args, ctx) => {
    const block = await ctx.loaders.blockByHeight.load(tx.height);
    // txs and their block are written and deleted in one transaction; a miss is a broken invariant.
    if (block === null) throw new Error(`block ${tx.height} of tx ${hashToHex(tx.txid)} is missing`);
    return block;
  },
  index: (tx) => tx.idx,
  isCoinbase: (tx) => tx.is_coinbase,
  fee: (tx) => tx.fee,
  size: (tx) => tx.size,
  vsize: (tx) => tx.vsize,
  weight: (tx) => tx.weight,
  inputs: async (tx, _args, ctx) => {
    if (tx.is_coinbase) return [{ index: 0, spent: null }];
    const spent = await ctx.loaders.spentByTx.load(tx.id);
    return spent.map((output) => ({ index: output.spent_by_input!, spent: output }));
  },
  outputs: (tx, _args, ctx) => ctx.loaders.outputsByTx.load(tx.id),
};

async function txidOf(ctx: ApiContext, txId: bigint): Promise<string> {
  const tx = await ctx.loaders.txById.load(txId);
  if (tx === null) throw new Error(`tx id ${txId} is missing`);
  return hashToHex(tx.txid);
}

async function addressOf(ctx: ApiContext, addressId: bigint | null): Promise<string | null> {
  if (addressId === null) return null;
  return (await ctx.loaders.addressById.load(addressId))?.address ?? null;
}

export const inputResolvers: InputResolvers = {
  index: (input) => input.index,
  prevout: async (input, _args, ctx) =>
    input.spent === null ? null : { txid: await txidOf(ctx, input.spent.tx_id), n: input.spent.n },
  address: (input, _args, ctx) => addressOf(ctx, input.spent?.address_id ?? null),
  value: (input) => input.spent?.value ?? null,
};

export const outputResolvers: OutputResolvers = {
  n: (output) => output.n,
  value: (output) => output.value,
  scriptType: (output) => scriptTypeName(output.script_type),
  address: (output, _args, ctx) => addressOf(ctx, output.address_id),
  spentBy: (output) =>
    output.spent_by_tx_id === null
      ? null
      : { txId: output.spent_by_tx_id, input: output.spent_by_input ?? 0 },
};

export const spendResolvers: SpendResolvers = {
  txid: (spend, _args, ctx) => txidOf(ctx, spend.txId),
  input: (spend) => spend.input,
};
