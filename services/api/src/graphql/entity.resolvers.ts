import { scriptTypeName } from '@minetrace/shared/chain';
import type { ApiContext } from './api-context.js';
import { addressTxCursor } from './chain.resolvers.js';
import type { FlowTotals } from './loaders.js';
import type { AddressModel, PayoutModel } from './models.js';
import { encodeCursor, parsePage, toConnection } from './pagination.js';
import type {
  AddressResolvers,
  ClusterResolvers,
  MiningIncomeRowResolvers,
  PayoutResolvers,
  PoolResolvers,
} from './resolvers.generated.js';
import { toUnix } from './scalars.js';

/** Cursor of a payout: its output, which orders payouts in chain order. */
export const payoutCursor = (payout: PayoutModel) => encodeCursor('payout', [payout.payout_tx_id, payout.n]);

/** `pick` of the address's totals: at once when its summary holds them, else through the loader. */
function withTotals<T>(
  address: AddressModel,
  ctx: ApiContext,
  pick: (totals: FlowTotals) => T,
): T | Promise<T> {
  const known = address.summary?.totals;
  return known !== undefined ? pick(known) : ctx.loaders.addressTotals.load(address.id).then(pick);
}

export const addressResolvers: AddressResolvers = {
  address: (address) => address.address,
  scriptType: (address) => scriptTypeName(address.script_type),
  firstSeen: (address, _args, ctx) => {
    const known = address.summary?.firstBlock;
    if (known !== undefined && known !== null) return known;
    return ctx.loaders.blockByHeight.load(address.first_height).then((block) => {
      if (block === null) throw new Error(`block ${address.first_height} is missing`);
      return block;
    });
  },
  received: (address, _args, ctx) => withTotals(address, ctx, (totals) => totals.received),
  sent: (address, _args, ctx) => withTotals(address, ctx, (totals) => totals.sent),
  balance: (address, _args, ctx) => withTotals(address, ctx, (totals) => totals.received - totals.sent),
  txCount: (address, _args, ctx) => withTotals(address, ctx, (totals) => totals.txCount),
  transactions: async (address, args, ctx) => {
    const page = parsePage(args, 'atx', 1, ctx.maxPage);
    const rows = await ctx.loaders.addressTxPage.load({
      parent: address.id,
      first: page.first,
      after: page.after,
    });
    return toConnection(rows, page.first, page.after !== null, addressTxCursor);
  },
  cluster: (address, _args, ctx) => ctx.loaders.clusterOfAddress.load(address.id),
  tags: (address, _args, ctx) => ctx.loaders.tagsByAddress.load(address.address),
  payoutsReceived: async (address, args, ctx) => {
    const page = parsePage(args, 'payout', 2, ctx.maxPage);
    const rows = await ctx.loaders.addressPayoutPage.load({
      parent: address.id,
      first: page.first,
      after: page.after,
    });
    return toConnection(rows, page.first, page.after !== null, payoutCursor);
  },
};

export const clusterResolvers: ClusterResolvers = {
  id: (cluster) => String(cluster.id),
  size: (cluster) => cluster.size,
  addresses: async (cluster, args, ctx) => {
    const page = parsePage(args, 'caddr', 1, ctx.maxPage);
    const rows = await ctx.loaders.clusterAddressPage.load({
      parent: cluster.id,
      first: page.first,
      after: page.after,
    });
    return toConnection(rows, page.first, page.after !== null, (address) =>
      encodeCursor('caddr', [address.id]),
    );
  },
  received: async (cluster, _args, ctx) => (await ctx.loaders.clusterTotals.load(cluster.id)).received,
  balance: async (cluster, _args, ctx) => {
    const totals = await ctx.loaders.clusterTotals.load(cluster.id);
    return totals.received - totals.sent;
  },
  tags: (cluster, _args, ctx) => ctx.loaders.clusterTags.load(cluster.id),
  tagSummary: (cluster, _args, ctx) => ctx.loaders.clusterTagSummary.load(cluster.id),
  pools: (cluster, _args, ctx) => ctx.loaders.clusterPools.load(cluster.id),
};

export const poolResolvers: PoolResolvers = {
  name: (pool) => pool.name,
  slug: (pool) => pool.slug,
  link: (pool) => pool.link,
  blocksMined: (pool, args, ctx) =>
    ctx.loaders.poolBlockCount.load({
      poolId: pool.id,
      from: args.from === null || args.from === undefined ? null : toUnix(args.from),
      to: args.to === null || args.to === undefined ? null : toUnix(args.to),
    }),
  rewardTotal: (pool, _args, ctx) => ctx.loaders.poolReward.load(pool.id),
  payouts: async (pool, args, ctx) => {
    const page = parsePage(args, 'payout', 2, ctx.maxPage);
    const rows = await ctx.loaders.poolPayoutPage.load({
      parent: pool.id,
      first: page.first,
      after: page.after,
    });
    return toConnection(rows, page.first, page.after !== null, payoutCursor);
  },
};

async function required<T>(value: Promise<T | null>, what: string): Promise<T> {
  const found = await value;
  // Payout rows are derived from these rows in the same transaction; a miss is a broken invariant.
  if (found === null) throw new Error(`${what} is missing`);
  return found;
}

export const payoutResolvers: PayoutResolvers = {
  pool: (payout, _args, ctx) => required(ctx.loaders.poolById.load(payout.pool_id), `pool ${payout.pool_id}`),
  block: (payout, _args, ctx) =>
    required(ctx.loaders.blockByHeight.load(payout.height), `block ${payout.height}`),
  payoutTx: (payout, _args, ctx) =>
    required(ctx.loaders.txById.load(payout.payout_tx_id), `tx ${payout.payout_tx_id}`),
  n: (payout) => payout.n,
  sourceTx: (payout, _args, ctx) =>
    required(ctx.loaders.txById.load(payout.source_tx_id), `tx ${payout.source_tx_id}`),
  recipient: (payout, _args, ctx) =>
    required(ctx.loaders.addressById.load(payout.address_id), `address ${payout.address_id}`),
  value: (payout) => payout.value,
  hop: (payout) => payout.hop,
};

export const miningIncomeRowResolvers: MiningIncomeRowResolvers = {
  bucketStart: (row) => row.bucketStart,
  pool: (row, _args, ctx) => required(ctx.loaders.poolById.load(row.poolId), `pool ${row.poolId}`),
  value: (row) => row.value,
  payoutCount: (row) => row.payoutCount,
};
