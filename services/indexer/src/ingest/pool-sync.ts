import type { Db } from '@minetrace/shared/db';
import { identifyPool, type PoolSet } from '@minetrace/shared/pools';
import { sql } from 'kysely';
import { DEFAULT_PAYOUT_MAX_HOPS, recomputePayouts } from './derived-rows.js';

/** What `syncPools` did. */
export interface SyncPoolsResult {
  /** False when the database already held this fingerprint's pools: nothing was written. */
  changed: boolean;
  /** Blocks whose pool_id or pool_match changed. */
  reattributed: number;
  /** Blocks examined. */
  blocks: number;
  /** Payouts stored after recomputing them for every block (0 when nothing changed). */
  payouts: number;
}

export interface SyncPoolsOptions {
  /** How many transactions after a coinbase payouts are followed (`PAYOUT_MAX_HOPS`). @defaultValue 3 */
  payoutMaxHops?: number;
}

/**
 * Makes the database agree with the loaded pool set, in one transaction: reloads the pools,
 * pool_tags and pool_addresses tables and attributes every indexed block again from its coinbase
 * tag and coinbase output addresses, recomputes every block's payouts (pool funds follow from the
 * attribution and the pools' known addresses, block after block), then stores the set's fingerprint in
 * chain_state. A no-op when the fingerprint is already stored, so it runs at every start-up.
 *
 * All blocks are read in one query; at mainnet scale this wants batching by height range.
 */
export async function syncPools(
  db: Db,
  pools: PoolSet,
  options: SyncPoolsOptions = {},
): Promise<SyncPoolsResult> {
  return db.transaction().execute(async (trx) => {
    const state = await trx
      .selectFrom('chain_state')
      .select(['pools_fingerprint'])
      .where('id', '=', true)
      .forUpdate()
      .executeTakeFirst();
    const loaded = await trx
      .selectFrom('pools')
      .select(sql<bigint>`count(*)`.as('count'))
      .executeTakeFirstOrThrow();
    const tablesCurrent = loaded.count === BigInt(pools.pools.length);
    if (state?.pools_fingerprint === pools.fingerprint && tablesCurrent) {
      return { changed: false, reattributed: 0, blocks: 0, payouts: 0 };
    }

    await trx.deleteFrom('pools').execute();
    if (pools.pools.length > 0) {
      await sql`
        INSERT INTO pools (id, slug, name, link, source)
        SELECT * FROM unnest(${pools.pools.map((p) => p.id)}::int4[], ${pools.pools.map((p) => p.slug)}::text[],
          ${pools.pools.map((p) => p.name)}::text[], ${pools.pools.map((p) => p.link || null)}::text[],
          ${pools.pools.map((p) => p.source)}::text[])`.execute(trx);
      const tagPools = pools.pools.flatMap((p) => p.tags.map(() => p.id));
      const tags = pools.pools.flatMap((p) => p.tags);
      await sql`
        INSERT INTO pool_tags (pool_id, tag)
        SELECT DISTINCT * FROM unnest(${tagPools}::int4[], ${tags}::text[])`.execute(trx);
      const addressPools = pools.pools.flatMap((p) => p.addresses.map(() => p.id));
      const addresses = pools.pools.flatMap((p) => p.addresses);
      await sql`
        INSERT INTO pool_addresses (pool_id, address)
        SELECT DISTINCT * FROM unnest(${addressPools}::int4[], ${addresses}::text[])`.execute(trx);
    }

    const blocks = await sql<{
      height: number;
      coinbase_tag: string;
      pool_id: number | null;
      pool_match: string | null;
      addresses: (string | null)[] | null;
    }>`
      SELECT b.height, b.coinbase_tag, b.pool_id, b.pool_match,
        (SELECT array_agg(a.address ORDER BY o.n) FROM outputs o LEFT JOIN addresses a ON a.id = o.address_id
          WHERE o.tx_id = t.id) AS addresses
      FROM blocks b JOIN txs t ON t.height = b.height AND t.idx = 0
      ORDER BY b.height`.execute(trx);

    const heights: number[] = [];
    const poolIds: (number | null)[] = [];
    const matches: string[] = [];
    for (const block of blocks.rows) {
      const match = identifyPool({ tag: block.coinbase_tag, addresses: block.addresses ?? [] }, pools);
      const poolId = match.pool?.id ?? null;
      if (poolId !== block.pool_id || match.evidence !== block.pool_match) {
        heights.push(block.height);
        poolIds.push(poolId);
        matches.push(match.evidence);
      }
    }
    if (heights.length > 0) {
      await sql`
        UPDATE blocks AS b SET pool_id = u.pool_id, pool_match = u.pool_match
        FROM unnest(${heights}::int4[], ${poolIds}::int4[], ${matches}::text[]) AS u(height, pool_id, pool_match)
        WHERE b.height = u.height`.execute(trx);
    }
    const recomputed =
      blocks.rows.length > 0
        ? await recomputePayouts(trx, { payoutMaxHops: options.payoutMaxHops ?? DEFAULT_PAYOUT_MAX_HOPS })
        : { payouts: 0 };
    if (state !== undefined) {
      await trx
        .updateTable('chain_state')
        .set({ pools_fingerprint: pools.fingerprint, updated_at: new Date() })
        .where('id', '=', true)
        .execute();
    }
    return {
      changed: true,
      reattributed: heights.length,
      blocks: blocks.rows.length,
      payouts: recomputed.payouts,
    };
  });
}
