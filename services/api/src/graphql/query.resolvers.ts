import { addressLookupForm, MAX_ADDRESS_LENGTH } from '@minetrace/shared/chain';
import { getChainState, inClusters, sqlArray } from '@minetrace/shared/db';
import { sql } from 'kysely';
import { listApiKeys } from '../auth/api-key.repository.js';
import type { ApiContext } from './api-context.js';
import { payoutCursor } from './entity.resolvers.js';
import { badInput, notFound } from './errors.js';
import { parseAddress, parseHash, parseId } from './input-validation.js';
import { jobQueryResolvers } from './jobs.resolvers.js';
import type { PayoutModel, PoolModel } from './models.js';
import { encodeCursor, parsePage, toConnection } from './pagination.js';
import type { Bucket, QueryResolvers } from './resolvers.generated.js';
import { toUnix } from './scalars.js';
import { screenQueryResolvers } from './screen.resolvers.js';
import { selectsAny } from './selection.js';
import { traceQueryResolvers } from './trace.resolvers.js';

/** Most addresses one `miningIncome` may sum over. */
export const MAX_INCOME_ADDRESSES = 1000;

/** Address fields `addressSummary` loads with the address itself. */
const SUMMARY_FIELDS = new Set(['received', 'sent', 'balance', 'txCount', 'firstSeen']);

const BUCKET_UNIT: Record<Bucket, string> = { DAY: 'day', WEEK: 'week', MONTH: 'month' };

async function poolBySlug(ctx: ApiContext, slug: string): Promise<PoolModel> {
  const pool = await ctx.loaders.poolBySlug.load(slug);
  if (pool === null) throw badInput(`unknown pool ${JSON.stringify(slug.slice(0, 100))}`);
  return pool;
}

async function addressId(ctx: ApiContext, value: string): Promise<bigint | null> {
  // Indexed addresses are valid by construction, so the checksum check (most of the time of a
  // thousand-address income query) runs only for strings not found; those get the reason.
  // Strings longer than any address are refused without a lookup.
  const form = addressLookupForm(value);
  if (form.length <= MAX_ADDRESS_LENGTH) {
    const found = await ctx.loaders.addressByString.load(form);
    if (found !== null) return found.id;
  }
  parseAddress(value, await ctx.network());
  return null;
}

function timeRange(from: Date | null | undefined, to: Date | null | undefined) {
  const range = { from: from == null ? null : toUnix(from), to: to == null ? null : toUnix(to) };
  if (range.from !== null && range.to !== null && range.from > range.to) {
    throw badInput('fromTime must not be after toTime');
  }
  return range;
}

export const queryResolvers: QueryResolvers = {
  ...jobQueryResolvers,
  ...screenQueryResolvers,
  ...traceQueryResolvers,
  tip: async (_root, _args, ctx) => {
    const state = await getChainState(ctx.db);
    if (state?.tip_height == null) return null;
    return ctx.loaders.blockByHeight.load(state.tip_height);
  },

  block: async (_root, args, ctx) => {
    const byHeight = args.height !== null && args.height !== undefined;
    const byHash = args.hash !== null && args.hash !== undefined;
    if (byHeight === byHash) throw badInput('give exactly one of height and hash');
    if (byHeight) {
      if (args.height! < 0) throw badInput(`height must not be negative, got ${args.height}`);
      const block = await ctx.loaders.blockByHeight.load(args.height!);
      if (block === null) throw notFound(`no indexed block at height ${args.height}`);
      return block;
    }
    const hash = parseHash(args.hash!, 'block hash');
    const block = await ctx.loaders.blockByHash.load(hash.toString('hex'));
    if (block === null) throw notFound(`no indexed block with hash ${args.hash}`);
    return block;
  },

  blocks: async (_root, args, ctx) => {
    const page = parsePage(args, 'block', 1, ctx.maxPage);
    let query = ctx.db
      .selectFrom('blocks')
      .selectAll()
      .orderBy('height', 'desc')
      .limit(page.first + 1);
    if (page.after !== null) query = query.where('height', '<', Number(page.after[0]!));
    if (args.pool !== null && args.pool !== undefined) {
      query = query.where('pool_id', '=', (await poolBySlug(ctx, args.pool)).id);
    }
    const rows = await query.execute();
    for (const row of rows) ctx.loaders.blockByHeight.prime(row.height, row);
    return toConnection(rows, page.first, page.after !== null, (block) =>
      encodeCursor('block', [block.height]),
    );
  },

  transaction: async (_root, args, ctx) => {
    const txid = parseHash(args.txid, 'txid').toString('hex');
    const tx = await ctx.loaders.txByTxid.load(txid);
    if (tx === null) throw notFound(`no indexed transaction ${txid}`);
    return tx;
  },

  address: async (_root, args, ctx, info) => {
    // As `addressId`: a string found in its lookup form is an indexed address, so only strings not
    // found are checked, and get the reason (malformed, wrong network) or NOT_FOUND.
    const form = addressLookupForm(args.address);
    if (form.length <= MAX_ADDRESS_LENGTH) {
      const loader = selectsAny(info, SUMMARY_FIELDS)
        ? ctx.loaders.addressSummary
        : ctx.loaders.addressByString;
      const row = await loader.load(form);
      if (row !== null) return row;
    }
    const address = parseAddress(args.address, await ctx.network());
    throw notFound(`address ${address} has no indexed output`);
  },

  cluster: async (_root, args, ctx) => {
    const cluster = await ctx.loaders.clusterById.load(parseId(args.id, 'cluster id'));
    if (cluster === null) throw notFound(`no cluster ${args.id}`);
    return cluster;
  },

  pools: async (_root, _args, ctx) => {
    const rows = await ctx.db
      .selectFrom('pools')
      .innerJoin('blocks', 'blocks.pool_id', 'pools.id')
      .selectAll('pools')
      .groupBy('pools.id')
      .orderBy(sql`count(*)`, 'desc')
      .orderBy('pools.slug')
      .execute();
    for (const row of rows) ctx.loaders.poolById.prime(row.id, row);
    return rows;
  },

  pool: async (_root, args, ctx) => {
    const pool = await ctx.loaders.poolBySlug.load(args.slug);
    if (pool === null) throw notFound(`no pool ${JSON.stringify(args.slug.slice(0, 100))}`);
    return pool;
  },

  payouts: async (_root, args, ctx) => {
    const page = parsePage(args, 'payout', 2, ctx.maxPage);
    const range = timeRange(args.fromTime, args.toTime);
    let query = ctx.db
      .selectFrom('payouts as p')
      .innerJoin('blocks as b', 'b.height', 'p.height')
      .selectAll('p')
      .orderBy('p.payout_tx_id')
      .orderBy('p.n')
      .limit(page.first + 1);
    if (page.after !== null) {
      const [txId, n] = page.after as [bigint, bigint];
      query = query.where(sql<boolean>`(p.payout_tx_id, p.n) > (${txId}, ${Number(n)})`);
    }
    if (args.pool != null) query = query.where('p.pool_id', '=', (await poolBySlug(ctx, args.pool)).id);
    if (args.recipient != null) {
      const id = await addressId(ctx, args.recipient);
      if (id === null) return toConnection([], page.first, page.after !== null, payoutCursor);
      query = query.where('p.address_id', '=', id);
    }
    if (args.cluster != null) {
      const clusterId = parseId(args.cluster, 'cluster id');
      if ((await ctx.loaders.clusterById.load(clusterId)) === null)
        throw badInput(`unknown cluster ${args.cluster}`);
      query = query.where(inClusters('p.address_id', [clusterId]));
    }
    if (range.from !== null) query = query.where('b.time', '>=', range.from);
    if (range.to !== null) query = query.where('b.time', '<', range.to);
    const rows: PayoutModel[] = await query.execute();
    return toConnection(rows, page.first, page.after !== null, payoutCursor);
  },

  apiKeys: (_root, _args, ctx) => listApiKeys(ctx.db),

  miningIncome: async (_root, args, ctx) => {
    const hasAddresses = args.addresses !== null && args.addresses !== undefined;
    const hasCluster = args.cluster !== null && args.cluster !== undefined;
    if (hasAddresses === hasCluster) throw badInput('give exactly one of addresses and cluster');
    const range = timeRange(args.fromTime, args.toTime);
    const unit = BUCKET_UNIT[args.bucket];
    const window = sql<boolean>`${range.from === null ? sql`TRUE` : sql`b.time >= ${range.from}`}
      AND ${range.to === null ? sql`TRUE` : sql`b.time < ${range.to}`}`;
    // extract(epoch) of a timestamp without time zone counts from 1970-01-01 in that same zone:
    // the bucket start in UTC, whatever the server's time zone.
    const bucket = sql`extract(epoch FROM date_trunc(${unit}, to_timestamp(b.time) AT TIME ZONE 'UTC'))::int8`;
    let result: {
      rows: Array<{
        bucket: bigint | null;
        pool_id: number | null;
        value: bigint | null;
        n: bigint | null;
        /** An income row, or the one row counting the addresses found. */
        kind: 'income' | 'found';
      }>;
    };
    if (hasAddresses) {
      const list = args.addresses!;
      if (list.length === 0 || list.length > MAX_INCOME_ADDRESSES) {
        throw badInput(`addresses must hold 1 to ${MAX_INCOME_ADDRESSES} addresses, got ${list.length}`);
      }
      // Longer than any address: refused with the reason before reaching the database.
      for (const value of list)
        if (value.length > MAX_ADDRESS_LENGTH) parseAddress(value, await ctx.network());
      const wanted = [...new Set(list.map(addressLookupForm))];
      // One statement, one round trip: the addresses resolve inside it, and how many of them are
      // indexed comes back beside the income rows (as `n` of a row without a bucket). Only when some
      // are not does a second statement find which, so that a malformed one is refused with its
      // reason (indexed addresses are valid by construction; a valid unknown one earns nothing).
      result = await sql<{
        bucket: bigint | null;
        pool_id: number | null;
        value: bigint | null;
        n: bigint | null;
        kind: 'income' | 'found';
      }>`
        WITH ids AS MATERIALIZED (SELECT id FROM addresses WHERE address = ANY(${sqlArray(wanted)}::text[]))
        SELECT ${bucket} AS bucket, p.pool_id, sum(p.value)::int8 AS value, count(*)::int8 AS n, 'income'::text AS kind
        FROM payouts p JOIN blocks b ON b.height = p.height
        WHERE p.address_id IN (SELECT id FROM ids) AND ${window}
        GROUP BY 1, 2
        UNION ALL
        SELECT NULL, NULL, NULL, count(*)::int8, 'found' FROM ids
        ORDER BY 1, 2`.execute(ctx.db);
      const found = result.rows.find((row) => row.kind === 'found');
      if (Number(found?.n ?? 0) < wanted.length) {
        const indexed = await sql<{ address: string }>`
          SELECT address FROM addresses WHERE address = ANY(${sqlArray(wanted)}::text[])`.execute(ctx.db);
        const known = new Set(indexed.rows.map((row) => row.address));
        const network = await ctx.network();
        for (const address of wanted) if (!known.has(address)) parseAddress(address, network);
      }
    } else {
      const clusterId = parseId(args.cluster!, 'cluster id');
      if ((await ctx.loaders.clusterById.load(clusterId)) === null)
        throw badInput(`unknown cluster ${args.cluster}`);
      result = await sql<{ bucket: bigint; pool_id: number; value: bigint; n: bigint; kind: 'income' }>`
        SELECT ${bucket} AS bucket, p.pool_id, sum(p.value)::int8 AS value, count(*)::int8 AS n, 'income'::text AS kind
        FROM payouts p JOIN blocks b ON b.height = p.height
        WHERE ${inClusters('p.address_id', [clusterId])}
          AND ${window}
        GROUP BY 1, 2 ORDER BY 1, 2`.execute(ctx.db);
    }
    const rows = result.rows
      .filter((row) => row.kind === 'income')
      .map((row) => ({
        bucketStart: new Date(Number(row.bucket) * 1000),
        poolId: row.pool_id!,
        value: row.value!,
        payoutCount: Number(row.n),
      }));
    return {
      rows,
      totalValue: rows.reduce((sum, row) => sum + row.value, 0n),
      totalPayoutCount: rows.reduce((sum, row) => sum + row.payoutCount, 0),
    };
  },
};
