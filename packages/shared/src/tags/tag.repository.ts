import { sql } from 'kysely';
import { networkFromChain } from '../chain/network.js';
import type { Network } from '../chain/types.js';
import { clusterMembers } from '../db/cluster-filter.js';
import type { TagRow } from '../db/database.types.js';
import type { Db } from '../db/db.js';
import { POOLS_TAG_SOURCE, type TagInput } from './tag.types.js';

/** What storing a batch of tags did. Re-storing the same tags changes nothing (`unchanged`). */
export interface StoreTagsResult {
  /** New (address, label, source, category) rows. */
  inserted: number;
  /** Existing rows whose confidence, actor, abuse, cluster-definer flag or pack changed. */
  updated: number;
  /** Tags already stored exactly so (duplicates within the batch count once). */
  unchanged: number;
}

const BATCH = 5000;

/**
 * Stores tags by their key (address, label, source, category), in one transaction: a new key is
 * inserted, a known one takes the batch's confidence, actor, abuse, cluster-definer flag and pack,
 * and a tag stored exactly so is left alone, so importing a file twice is a no-op. Within the batch
 * the last tag of a key wins. `createdBy` (an API key name, `cli`) is kept on inserted rows.
 */
export async function storeTags(
  db: Db,
  tags: readonly TagInput[],
  createdBy: string | null,
): Promise<StoreTagsResult> {
  const byKey = new Map<string, TagInput>();
  for (const tag of tags) byKey.set(JSON.stringify([tag.address, tag.label, tag.source, tag.category]), tag);
  const unique = [...byKey.values()];
  const run = async (trx: Db) => {
    let inserted = 0;
    let updated = 0;
    for (let start = 0; start < unique.length; start += BATCH) {
      const batch = unique.slice(start, start + BATCH);
      const result = await sql<{ inserted: boolean }>`
        INSERT INTO tags AS t (address, label, category, source, confidence, actor, abuse, is_cluster_definer, tagpack, created_by)
        SELECT u.address, u.label, u.category, u.source, u.confidence, u.actor, u.abuse, u.is_cluster_definer, u.tagpack,
          ${createdBy}::text
        FROM unnest(${batch.map((t) => t.address)}::text[], ${batch.map((t) => t.label)}::text[],
          ${batch.map((t) => t.category)}::text[], ${batch.map((t) => t.source)}::text[],
          ${batch.map((t) => t.confidence)}::real[], ${batch.map((t) => t.actor ?? null)}::text[],
          ${batch.map((t) => t.abuse ?? null)}::text[], ${batch.map((t) => t.isClusterDefiner ?? false)}::bool[],
          ${batch.map((t) => t.tagpack ?? null)}::text[])
          AS u(address, label, category, source, confidence, actor, abuse, is_cluster_definer, tagpack)
        ON CONFLICT (address, label, source, category) DO UPDATE SET
          confidence = excluded.confidence, actor = excluded.actor, abuse = excluded.abuse,
          is_cluster_definer = excluded.is_cluster_definer, tagpack = excluded.tagpack
        WHERE (t.confidence, t.actor, t.abuse, t.is_cluster_definer, t.tagpack)
          IS DISTINCT FROM (excluded.confidence, excluded.actor, excluded.abuse, excluded.is_cluster_definer, excluded.tagpack)
        RETURNING (xmax = 0) AS inserted`.execute(trx);
      for (const row of result.rows) {
        if (row.inserted) inserted += 1;
        else updated += 1;
      }
    }
    return { inserted, updated, unchanged: unique.length - inserted - updated };
  };
  return db.isTransaction ? run(db) : db.transaction().execute(run);
}

/** Every tag of each address, ordered by address, then confidence (highest first), label and source. */
export async function tagsOfAddresses(db: Db, addresses: readonly string[]): Promise<TagRow[]> {
  if (addresses.length === 0) return [];
  const result = await sql<TagRow>`
    SELECT * FROM tags WHERE address = ANY(${[...addresses]}::text[])
    ORDER BY address, confidence DESC, label, source, category`.execute(db);
  return result.rows;
}

/** A tag as the API and the exports show it: the stored row without its key columns. */
export interface TagView {
  label: string;
  category: string;
  source: string;
  confidence: number;
  actor: string | null;
  abuse: string | null;
  isClusterDefiner: boolean;
  createdAt: Date;
}

/** One distinct tag found on a cluster's members, with how many members carry it. */
export interface ClusterTagCount extends TagView {
  clusterId: bigint;
  /** Any of the grouped rows vouches for the whole cluster; `createdAt` is the earliest of them. */
  addressCount: number;
}

/**
 * The tags of each cluster's member addresses, one entry per distinct (label, category, source,
 * confidence, actor, abuse) with the number of members carrying it: two sources naming the same
 * owner stay two entries. Ordered by address count, then confidence. A cluster id is
 * `coalesce(address_clusters.cluster_id, addresses.id)`.
 */
export async function tagCountsOfClusters(db: Db, clusterIds: readonly bigint[]): Promise<ClusterTagCount[]> {
  if (clusterIds.length === 0) return [];
  const result = await sql<{
    cluster_id: bigint;
    label: string;
    category: string;
    source: string;
    confidence: number;
    actor: string | null;
    abuse: string | null;
    is_cluster_definer: boolean;
    created_at: Date;
    address_count: bigint;
  }>`
    SELECT m.cluster_id, t.label, t.category, t.source, t.confidence, t.actor, t.abuse,
      bool_or(t.is_cluster_definer) AS is_cluster_definer, min(t.created_at) AS created_at,
      count(DISTINCT a.id)::int8 AS address_count
    FROM (${clusterMembers(clusterIds)}) m
    JOIN addresses a ON a.id = m.address_id JOIN tags t ON t.address = a.address
    GROUP BY 1, t.label, t.category, t.source, t.confidence, t.actor, t.abuse
    ORDER BY 1, address_count DESC, t.confidence DESC, t.label, t.source, t.category`.execute(db);
  return result.rows.map((row) => ({
    clusterId: row.cluster_id,
    label: row.label,
    category: row.category,
    source: row.source,
    confidence: row.confidence,
    actor: row.actor,
    abuse: row.abuse,
    isClusterDefiner: row.is_cluster_definer,
    createdAt: row.created_at,
    addressCount: Number(row.address_count),
  }));
}

/** Tags in key order, optionally of one category: what `minetrace tags export` writes. */
export async function listTags(
  db: Db,
  filter: { category?: string; source?: string } = {},
): Promise<TagRow[]> {
  let query = db.selectFrom('tags').selectAll();
  if (filter.category !== undefined) query = query.where('category', '=', filter.category.toLowerCase());
  if (filter.source !== undefined) query = query.where('source', '=', filter.source);
  return query.orderBy('address').orderBy('label').orderBy('source').orderBy('category').execute();
}

/**
 * Deletes the tags of `source` on `addresses` (all of its labels, or only `label`). The pools
 * dataset's tags follow the dataset and are never deleted here. Returns how many rows went.
 */
export async function removeTags(
  db: Db,
  filter: { addresses: readonly string[]; source: string; label?: string },
): Promise<number> {
  if (filter.addresses.length === 0 || filter.source === POOLS_TAG_SOURCE) return 0;
  let query = db
    .deleteFrom('tags')
    .where('address', 'in', [...filter.addresses])
    .where('source', '=', filter.source);
  if (filter.label !== undefined) query = query.where('label', '=', filter.label);
  const result = await query.executeTakeFirst();
  return Number(result.numDeletedRows);
}

/** The indexed network (chain_state.network), or null before anything is indexed. */
export async function indexedNetwork(db: Db): Promise<Network | null> {
  const state = await db
    .selectFrom('chain_state')
    .select('network')
    .where('id', '=', true)
    .executeTakeFirst();
  return state === undefined ? null : networkFromChain(state.network);
}

/** A stored row as a `TagInput` (what `writeTagPack` and `storeTags` take). */
export function tagInputOfRow(row: TagRow): TagInput {
  return {
    address: row.address,
    label: row.label,
    category: row.category,
    source: row.source,
    confidence: row.confidence,
    actor: row.actor,
    abuse: row.abuse,
    isClusterDefiner: row.is_cluster_definer,
    tagpack: row.tagpack,
  };
}
