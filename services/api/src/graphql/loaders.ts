import { hashToHex } from '@minetrace/shared';
import {
  type Address,
  aloneAddresses,
  type Block,
  clusterMembers,
  type Db,
  type Output,
  statementName,
  type Tx,
} from '@minetrace/shared/db';
import { type TagView, tagCountsOfClusters, tagsOfAddresses } from '@minetrace/shared/tags';
import DataLoader from 'dataloader';
import { type RawBuilder, sql } from 'kysely';
import { createTurnBatcher } from '../turn-batcher.js';
import type { AddressModel, ClusterModel, PayoutModel, PoolModel } from './models.js';

/** Totals of one address (or cluster): satoshis in, satoshis out, and distinct transactions. */
export interface FlowTotals {
  received: bigint;
  sent: bigint;
  txCount: number;
}

/** A label on an address, as the `Tag` type shows it. */
export type TagModel = TagView;

/** One distinct tag of a cluster's members, with how many members carry it (`ClusterTag`). */
export interface ClusterTagModel {
  tag: TagModel;
  addressCount: number;
}

/** Asks for one page of a parent's children: `first` rows after the cursor key `after`. */
export interface PageKey<P> {
  parent: P;
  first: number;
  after: bigint[] | null;
}

/** The page's rows (up to first + 1: the extra one says a next page exists). */
export type PageRows<T> = T[];

/**
 * Every batched read a request may make. One set per request (DataLoader caches for the request
 * only), so that resolving N parents costs one query per kind of child, not one per parent.
 */
export interface Loaders {
  blockByHeight: DataLoader<number, Block | null>;
  blockByHash: DataLoader<string, Block | null>;
  txById: DataLoader<bigint, Tx | null>;
  txByTxid: DataLoader<string, Tx | null>;
  outputsByTx: DataLoader<bigint, Output[]>;
  /** The outputs a tx spent, in input order. */
  spentByTx: DataLoader<bigint, Output[]>;
  addressById: DataLoader<bigint, Address | null>;
  addressByString: DataLoader<string, Address | null>;
  addressTotals: DataLoader<bigint, FlowTotals>;
  /**
   * An address with its totals and first block (its `summary`), in one statement; primes
   * `addressTotals` and `blockByHeight`, so an `address` lookup asking for them costs one round
   * trip, not three.
   */
  addressSummary: DataLoader<string, AddressModel | null>;
  tagsByAddress: DataLoader<string, TagModel[]>;
  blockTxPage: DataLoader<PageKey<number>, PageRows<Tx>>;
  addressTxPage: DataLoader<PageKey<bigint>, PageRows<Tx>>;
  poolById: DataLoader<number, PoolModel | null>;
  poolBySlug: DataLoader<string, PoolModel | null>;
  poolBlockCount: DataLoader<{ poolId: number; from: number | null; to: number | null }, number>;
  poolReward: DataLoader<number, bigint>;
  clusterById: DataLoader<bigint, ClusterModel | null>;
  /** The cluster of an address (by `addresses.id`): its own, of size 1, while it is alone. */
  clusterOfAddress: DataLoader<bigint, ClusterModel>;
  clusterTotals: DataLoader<bigint, FlowTotals>;
  clusterAddressPage: DataLoader<PageKey<bigint>, PageRows<Address>>;
  clusterTags: DataLoader<bigint, TagModel[]>;
  clusterTagSummary: DataLoader<bigint, ClusterTagModel[]>;
  clusterPools: DataLoader<bigint, PoolModel[]>;
  addressPayoutPage: DataLoader<PageKey<bigint>, PageRows<PayoutModel>>;
  poolPayoutPage: DataLoader<PageKey<number>, PageRows<PayoutModel>>;
}

const pageCacheKey = (key: PageKey<unknown>) =>
  `${String(key.parent)}|${key.first}|${key.after?.join(',') ?? ''}`;

/** Maps rows back onto the loader's keys (DataLoader wants one result per key, in key order). */
function byKey<K, R>(keys: readonly K[], rows: readonly R[], keyOf: (row: R) => K): Array<R | null> {
  const map = new Map<K, R>();
  for (const row of rows) map.set(keyOf(row), row);
  return keys.map((key) => map.get(key) ?? null);
}

/** Hashes given in display hex, as the bytes they are stored as. */
const hexBytes = (hexes: readonly string[]) => hexes.map((hex) => Buffer.from(hex, 'hex'));

/** A loader of one row per key: `fetch` reads the rows of a batch of keys, `keyOf` says whose a row is. */
function rowLoader<K, R>(fetch: (keys: K[]) => Promise<R[]>, keyOf: (row: R) => K): DataLoader<K, R | null> {
  return new DataLoader<K, R | null>(async (keys) => byKey(keys, await fetch([...keys]), keyOf));
}

function groupBy<K, R>(keys: readonly K[], rows: readonly R[], keyOf: (row: R) => K): R[][] {
  const map = new Map<K, R[]>();
  for (const row of rows) {
    const key = keyOf(row);
    const list = map.get(key);
    if (list === undefined) map.set(key, [row]);
    else list.push(row);
  }
  return keys.map((key) => map.get(key) ?? []);
}

/**
 * A loader of pages: keys asking the same page shape (first, after) are answered by one query over
 * all their parents (`fetch`), which returns each parent's first `first + 1` rows.
 */
function pageLoader<P, T>(
  fetch: (parents: P[], first: number, after: bigint[] | null) => Promise<Array<{ parent: P; row: T }>>,
): DataLoader<PageKey<P>, PageRows<T>> {
  return new DataLoader<PageKey<P>, PageRows<T>, string>(
    async (keys) => {
      const groups = new Map<string, PageKey<P>[]>();
      for (const key of keys) {
        const shape = `${key.first}|${key.after?.join(',') ?? ''}`;
        const group = groups.get(shape);
        if (group === undefined) groups.set(shape, [key]);
        else group.push(key);
      }
      const results = new Map<string, T[]>();
      await Promise.all(
        [...groups.values()].map(async (group) => {
          const { first, after } = group[0]!;
          const parents = [...new Set(group.map((key) => key.parent))];
          const rows = await fetch(parents, first, after);
          const byParent = new Map<string, T[]>();
          for (const { parent, row } of rows) {
            const list = byParent.get(String(parent));
            if (list === undefined) byParent.set(String(parent), [row]);
            else list.push(row);
          }
          for (const key of group) results.set(pageCacheKey(key), byParent.get(String(key.parent)) ?? []);
        }),
      );
      return keys.map((key) => results.get(pageCacheKey(key)) ?? []);
    },
    { cacheKeyFn: pageCacheKey },
  );
}

/**
 * `address` lookups are the API's most frequent statement, and Postgres spends more time planning
 * it than running it: it runs prepared (its text never changes; the addresses are one array). Its
 * columns are named, so that a column added to a table later never changes a prepared statement's
 * result type (which Postgres refuses until the connection prepares it again).
 *
 * Prepared is not enough: given the array itself, the planner counts its elements, and every such
 * custom plan came out cheaper than the generic one (which guesses ten), so Postgres went on
 * planning each batch anew: 0.25 ms of planning for 0.13 ms of execution on five addresses. The
 * array reaches the plan through `(SELECT $1)`, which the planner does not look into, so custom and
 * generic plans cost the same and Postgres keeps the generic one after its five trial runs.
 */
const ADDRESS_SUMMARY_STATEMENT = statementName('address_summary');

/** `tx_id` of the transactions touching each address (paying it or spending from it). */
const addressTxsSql = (ids: readonly bigint[]) => sql`
  SELECT address_id, tx_id FROM outputs WHERE address_id IN (${sql.join(ids)})
  UNION
  SELECT address_id, spent_by_tx_id FROM outputs
  WHERE address_id IN (${sql.join(ids)}) AND spent_by_tx_id IS NOT NULL`;

/**
 * Satoshis received and sent, and distinct transactions, per group of addresses: `members` selects
 * `(member, grp)` pairs (an address id and the group it counts towards). One statement reading the
 * members' outputs once: every query is a round trip, and under load the round trips, not the
 * scans, set the latency of a lookup.
 */
const totalsSql = (members: RawBuilder<unknown>) => sql`
  WITH m AS (${members}),
  mo AS MATERIALIZED (
    SELECT m.grp, o.tx_id, o.value, o.spent_by_tx_id FROM m JOIN outputs o ON o.address_id = m.member),
  sums AS (
    SELECT grp, sum(value) AS received, coalesce(sum(value) FILTER (WHERE spent_by_tx_id IS NOT NULL), 0) AS sent
    FROM mo GROUP BY grp),
  counts AS (
    SELECT grp, count(DISTINCT tx) AS n FROM (
      SELECT grp, tx_id AS tx FROM mo
      UNION ALL
      SELECT grp, spent_by_tx_id FROM mo WHERE spent_by_tx_id IS NOT NULL) t GROUP BY grp)
  SELECT sums.grp, sums.received::int8 AS received, sums.sent::int8 AS sent, counts.n::int8 AS n
  FROM sums JOIN counts ON counts.grp = sums.grp`;

/** An address with its totals and first block, as one row of the address summary statement. */
export type AddressSummaryRow = Address & { received: bigint; sent: bigint; n: bigint } & {
  // Null when the address's first block is missing (the LEFT JOIN); checked on b_height.
  [K in keyof Block as `b_${K}`]: Block[K];
};

/**
 * Loaders shared by every request of a server: they batch the lookups of concurrent requests into
 * one statement and cache nothing (a request's own loaders cache, and prime each other). Under
 * load, the address lookups that arrive in the same turn of the event loop cost one round trip.
 */
export interface SharedLoaders {
  addressSummary: DataLoader<string, AddressSummaryRow | null>;
}

/** Most addresses one shared address summary statement looks up. */
const MAX_SHARED_BATCH = 500;

export function createSharedLoaders(db: Db): SharedLoaders {
  return {
    addressSummary: createTurnBatcher(
      async (addresses: readonly string[]) => {
        const result = await sql<AddressSummaryRow>`${sql.raw(ADDRESS_SUMMARY_STATEMENT)}
          WITH a AS (SELECT * FROM addresses WHERE address = ANY((SELECT ${[...addresses]}::text[])::text[])),
          t AS (${totalsSql(sql`SELECT id AS member, id AS grp FROM a`)})
          SELECT a.id, a.address, a.script_type, a.first_height,
                 coalesce(t.received, 0)::int8 AS received, coalesce(t.sent, 0)::int8 AS sent,
                 coalesce(t.n, 0)::int8 AS n,
                 b.height AS b_height, b.hash AS b_hash, b.prev_hash AS b_prev_hash, b.time AS b_time,
                 b.version AS b_version, b.bits AS b_bits, b.nonce AS b_nonce, b.size AS b_size,
                 b.weight AS b_weight, b.pool_id AS b_pool_id, b.pool_match AS b_pool_match,
                 b.coinbase_tag AS b_coinbase_tag, b.subsidy AS b_subsidy, b.fees AS b_fees,
                 b.tx_count AS b_tx_count
          FROM a LEFT JOIN t ON t.grp = a.id
          LEFT JOIN blocks b ON b.height = a.first_height`.execute(db);
        return byKey(addresses, result.rows, (row) => row.address);
      },
      { maxBatchSize: MAX_SHARED_BATCH },
    ),
  };
}

/** Satoshis received and sent, and distinct transactions, of each address or cluster of `ids`. */
async function flowTotals(
  db: Db,
  groupExpr: 'address' | 'cluster',
  ids: readonly bigint[],
): Promise<FlowTotals[]> {
  const members =
    groupExpr === 'address'
      ? sql`SELECT id AS member, id AS grp FROM addresses WHERE id IN (${sql.join(ids)})`
      : sql`SELECT m.address_id AS member, m.cluster_id AS grp FROM (${clusterMembers(ids)}) m`;
  const totals = await sql<{ grp: bigint; received: bigint; sent: bigint; n: bigint }>`
    ${totalsSql(members)}`.execute(db);
  return byKey(ids, totals.rows, (row) => row.grp).map((row) => ({
    received: row?.received ?? 0n,
    sent: row?.sent ?? 0n,
    txCount: Number(row?.n ?? 0n),
  }));
}

/** A page loader of payouts by recipient address or by pool. */
function payoutPage<P extends bigint | number>(db: Db, column: 'address_id' | 'pool_id') {
  return pageLoader<P, PayoutModel>(async (parents, first, after) => {
    const afterClause =
      after === null ? sql`TRUE` : sql`(payout_tx_id, n) > (${after[0]!}, ${Number(after[1]!)})`;
    const result = await sql<PayoutModel & { rn: bigint }>`
      SELECT * FROM (
        SELECT p.*, row_number() OVER (PARTITION BY ${sql.ref(column)} ORDER BY payout_tx_id, n) AS rn
        FROM payouts p WHERE ${sql.ref(column)} IN (${sql.join(parents)}) AND ${afterClause}
      ) ranked WHERE rn <= ${first + 1} ORDER BY payout_tx_id, n`.execute(db);
    return result.rows.map(({ rn: _rn, ...row }) => ({ parent: row[column] as P, row }));
  });
}

/** What a request's loaders are built from: the database, the shared loaders and each other. */
interface LoaderDeps {
  db: Db;
  shared: SharedLoaders;
  loaders: Loaders;
}

/**
 * How each loader of a request is made. A request makes only the loaders it uses (an address
 * lookup uses four of some thirty): `createLoaders` makes them on first use, and these factories
 * are made once, not as closures per request.
 */
const LOADER_FACTORIES: { [K in keyof Loaders]: (deps: LoaderDeps) => Loaders[K] } = {
  blockByHeight: ({ db }) =>
    rowLoader(
      (heights: number[]) => db.selectFrom('blocks').selectAll().where('height', 'in', heights).execute(),
      (row) => row.height,
    ),
  blockByHash: ({ db }) =>
    rowLoader(
      (hashes: string[]) =>
        db.selectFrom('blocks').selectAll().where('hash', 'in', hexBytes(hashes)).execute(),
      (row) => hashToHex(row.hash),
    ),
  txById: ({ db }) =>
    rowLoader(
      (ids: bigint[]) => db.selectFrom('txs').selectAll().where('id', 'in', ids).execute(),
      (row) => row.id,
    ),
  txByTxid: ({ db }) =>
    rowLoader(
      // Two txs may share a txid (BIP30 duplicates); the later one is the one that can be spent.
      (txids: string[]) =>
        db.selectFrom('txs').selectAll().where('txid', 'in', hexBytes(txids)).orderBy('id').execute(),
      (row) => hashToHex(row.txid),
    ),
  outputsByTx: ({ db }) =>
    new DataLoader(async (ids) => {
      const rows = await db
        .selectFrom('outputs')
        .selectAll()
        .where('tx_id', 'in', [...ids])
        .orderBy('tx_id')
        .orderBy('n')
        .execute();
      return groupBy(ids, rows, (row) => row.tx_id);
    }),
  spentByTx: ({ db }) =>
    new DataLoader(async (ids) => {
      const rows = await db
        .selectFrom('outputs')
        .selectAll()
        .where('spent_by_tx_id', 'in', [...ids])
        .orderBy('spent_by_tx_id')
        .orderBy('spent_by_input')
        .execute();
      return groupBy(ids, rows, (row) => row.spent_by_tx_id!);
    }),
  addressById: ({ db }) =>
    rowLoader(
      (ids: bigint[]) => db.selectFrom('addresses').selectAll().where('id', 'in', ids).execute(),
      (row) => row.id,
    ),
  addressByString: ({ db }) =>
    rowLoader(
      (addresses: string[]) =>
        db
          .selectFrom('addresses')
          .selectAll()
          // One array parameter, not one parameter per address: income queries load a thousand at once.
          .where(sql<boolean>`address = ANY(${addresses}::text[])`)
          .execute(),
      (row) => row.address,
    ),
  addressTotals: ({ db }) => new DataLoader((ids) => flowTotals(db, 'address', ids)),
  addressSummary: ({ shared, loaders }) =>
    new DataLoader(async (addresses) => {
      const rows = await shared.addressSummary.loadMany(addresses);
      return rows.map((row) => {
        if (row instanceof Error) throw row;
        if (row === null) return null;
        const totals: FlowTotals = { received: row.received, sent: row.sent, txCount: Number(row.n) };
        const firstBlock: Block | null =
          row.b_height === null
            ? null
            : {
                height: row.b_height,
                hash: row.b_hash,
                prev_hash: row.b_prev_hash,
                time: row.b_time,
                version: row.b_version,
                bits: row.b_bits,
                nonce: row.b_nonce,
                size: row.b_size,
                weight: row.b_weight,
                pool_id: row.b_pool_id,
                pool_match: row.b_pool_match,
                coinbase_tag: row.b_coinbase_tag,
                subsidy: row.b_subsidy,
                fees: row.b_fees,
                tx_count: row.b_tx_count,
              };
        const address: AddressModel = {
          id: row.id,
          address: row.address,
          script_type: row.script_type,
          first_height: row.first_height,
          summary: { totals, firstBlock },
        };
        loaders.addressTotals.prime(row.id, totals);
        loaders.addressByString.prime(row.address, address);
        if (firstBlock !== null) loaders.blockByHeight.prime(firstBlock.height, firstBlock);
        return address;
      });
    }),
  tagsByAddress: ({ db }) =>
    new DataLoader(async (addresses) => {
      // The tags table holds the pools dataset's payout addresses too (category miner).
      const rows = await tagsOfAddresses(db, addresses);
      return groupBy(addresses, rows, (row) => row.address).map((list) =>
        list.map((row) => ({
          label: row.label,
          category: row.category,
          source: row.source,
          confidence: row.confidence,
          actor: row.actor,
          abuse: row.abuse,
          isClusterDefiner: row.is_cluster_definer,
          createdAt: row.created_at,
        })),
      );
    }),
  blockTxPage: ({ db }) =>
    pageLoader<number, Tx>(async (heights, first, after) => {
      // A block's txs have the contiguous positions 0..tx_count-1, so a page is a range of idx.
      const start = after === null ? 0 : Number(after[0]!) + 1;
      const rows = await db
        .selectFrom('txs')
        .selectAll()
        .where('height', 'in', heights)
        .where('idx', '>=', start)
        .where('idx', '<', start + first + 1)
        .orderBy('id')
        .execute();
      return rows.map((row) => ({ parent: row.height, row }));
    }),
  addressTxPage: ({ db }) =>
    pageLoader<bigint, Tx>(async (ids, first, after) => {
      const afterClause = after === null ? sql`TRUE` : sql`tx_id < ${after[0]!}`;
      const result = await sql<Tx & { address_id: bigint }>`
        SELECT r.address_id, t.* FROM (
          SELECT address_id, tx_id, row_number() OVER (PARTITION BY address_id ORDER BY tx_id DESC) AS rn
          FROM (${addressTxsSql(ids)}) touched WHERE ${afterClause}
        ) r JOIN txs t ON t.id = r.tx_id
        WHERE r.rn <= ${first + 1} ORDER BY r.address_id, r.tx_id DESC`.execute(db);
      return result.rows.map(({ address_id, ...row }) => ({ parent: address_id, row }));
    }),
  poolById: ({ db }) =>
    rowLoader(
      (ids: number[]) => db.selectFrom('pools').selectAll().where('id', 'in', ids).execute(),
      (row) => row.id,
    ),
  poolBySlug: ({ db }) =>
    rowLoader(
      (slugs: string[]) => db.selectFrom('pools').selectAll().where('slug', 'in', slugs).execute(),
      (row) => row.slug,
    ),
  poolBlockCount: ({ db }) =>
    new DataLoader(
      async (keys) => {
        const out = new Map<string, number>();
        const shapes = new Map<string, typeof keys extends readonly (infer K)[] ? K[] : never>();
        for (const key of keys) {
          const shape = `${key.from}|${key.to}`;
          shapes.set(shape, [...(shapes.get(shape) ?? []), key]);
        }
        await Promise.all(
          [...shapes.values()].map(async (group) => {
            const { from, to } = group[0]!;
            let query = db
              .selectFrom('blocks')
              .select(['pool_id', (eb) => eb.fn.countAll<bigint>().as('n')])
              .where(
                'pool_id',
                'in',
                group.map((key) => key.poolId),
              )
              .groupBy('pool_id');
            if (from !== null) query = query.where('time', '>=', from);
            if (to !== null) query = query.where('time', '<', to);
            const rows = await query.execute();
            for (const row of rows) out.set(`${row.pool_id}|${from}|${to}`, Number(row.n));
          }),
        );
        return keys.map((key) => out.get(`${key.poolId}|${key.from}|${key.to}`) ?? 0);
      },
      { cacheKeyFn: (key) => `${key.poolId}|${key.from}|${key.to}` },
    ),
  poolReward: ({ db }) =>
    new DataLoader(async (ids) => {
      const rows = await sql<{ pool_id: number; reward: bigint }>`
        SELECT pool_id, sum(subsidy + coalesce(fees, 0))::int8 AS reward FROM blocks
        WHERE pool_id IN (${sql.join([...ids])}) GROUP BY pool_id`.execute(db);
      return byKey(ids, rows.rows, (row) => row.pool_id).map((row) => row?.reward ?? 0n);
    }),
  clusterById: ({ db }) =>
    new DataLoader(async (ids) => {
      // An id names a cluster when it is a clusters row, or an address standing alone.
      const rows = await sql<{ id: bigint; size: number }>`
        SELECT c.id, c.size FROM clusters c WHERE c.id IN (${sql.join([...ids])})
        UNION ALL
        SELECT l.id, 1 FROM (${aloneAddresses(ids)}) l`.execute(db);
      return byKey(ids, rows.rows, (row) => row.id).map((row) =>
        row === null ? null : { id: row.id, size: row.size },
      );
    }),
  clusterOfAddress: ({ db }) =>
    new DataLoader(async (ids) => {
      const rows = await sql<{ address_id: bigint; id: bigint; size: number }>`
        SELECT ac.address_id, ac.cluster_id AS id, coalesce(c.size, 1) AS size
        FROM address_clusters ac LEFT JOIN clusters c ON c.id = ac.cluster_id
        WHERE ac.address_id IN (${sql.join([...ids])})`.execute(db);
      return byKey(ids, rows.rows, (row) => row.address_id).map((row, i) =>
        row === null ? { id: ids[i]!, size: 1 } : { id: row.id, size: row.size },
      );
    }),
  clusterTotals: ({ db }) => new DataLoader((ids) => flowTotals(db, 'cluster', ids)),
  clusterAddressPage: ({ db }) =>
    pageLoader<bigint, Address>(async (ids, first, after) => {
      const afterClause = after === null ? sql`TRUE` : sql`a.id > ${after[0]!}`;
      const result = await sql<Address & { grp: bigint; rn: bigint }>`
        SELECT * FROM (
          SELECT a.*, m.cluster_id AS grp,
                 row_number() OVER (PARTITION BY m.cluster_id ORDER BY a.id) AS rn
          FROM (${clusterMembers(ids)}) m JOIN addresses a ON a.id = m.address_id WHERE ${afterClause}
        ) ranked WHERE rn <= ${first + 1} ORDER BY grp, id`.execute(db);
      return result.rows.map(({ grp, rn: _rn, ...row }) => ({ parent: grp, row }));
    }),
  clusterTags: ({ loaders }) =>
    new DataLoader(async (ids) => {
      const summaries = await loaders.clusterTagSummary.loadMany(ids);
      return summaries.map((summary) => {
        if (summary instanceof Error) throw summary;
        return summary.map((entry) => entry.tag);
      });
    }),
  clusterTagSummary: ({ db }) =>
    new DataLoader<bigint, ClusterTagModel[]>(async (ids) => {
      const rows = await tagCountsOfClusters(db, ids);
      return groupBy(ids, rows, (row) => row.clusterId).map((list) =>
        list.map(({ clusterId: _clusterId, addressCount, ...tag }) => ({ tag, addressCount })),
      );
    }),
  clusterPools: ({ db }) =>
    new DataLoader(async (ids) => {
      const rows = await sql<PoolModel & { grp: bigint }>`
        SELECT DISTINCT m.cluster_id AS grp, p.*
        FROM (${clusterMembers(ids)}) m JOIN payouts po ON po.address_id = m.address_id JOIN pools p ON p.id = po.pool_id
        ORDER BY p.name`.execute(db);
      return groupBy(ids, rows.rows, (row) => row.grp).map((list) =>
        list.map(({ grp: _grp, ...pool }) => pool),
      );
    }),
  addressPayoutPage: ({ db }) => payoutPage<bigint>(db, 'address_id'),
  poolPayoutPage: ({ db }) => payoutPage<number>(db, 'pool_id'),
};

/** A request's loaders, each made on its first use (`LOADER_FACTORIES`). */
class RequestLoaders {
  readonly #made: Partial<Loaders> = {};
  constructor(readonly deps: LoaderDeps) {}

  made<K extends keyof Loaders>(name: K): Loaders[K] {
    const made = this.#made[name];
    if (made !== undefined) return made as Loaders[K];
    const loader = LOADER_FACTORIES[name](this.deps);
    this.#made[name] = loader;
    return loader;
  }
}
for (const name of Object.keys(LOADER_FACTORIES) as Array<keyof Loaders>) {
  Object.defineProperty(RequestLoaders.prototype, name, {
    get(this: RequestLoaders) {
      return this.made(name);
    },
  });
}

/** A request's loaders; `shared` batches across requests (omitted: this request's own). */
export function createLoaders(db: Db, shared: SharedLoaders = createSharedLoaders(db)): Loaders {
  const deps = { db, shared } as LoaderDeps;
  deps.loaders = new RequestLoaders(deps) as unknown as Loaders;
  return deps.loaders;
}
