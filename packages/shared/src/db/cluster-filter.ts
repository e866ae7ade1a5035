import { type RawBuilder, sql } from 'kysely';

/**
 * The addresses of the clusters `ids`, as rows `(address_id, cluster_id)`: the members that
 * `address_clusters` lists for a cluster of two or more, and an id naming an address alone (no
 * `address_clusters` row) as its own one member. Both halves are index lookups (the cluster index,
 * then the primary keys); an id naming an address of another cluster names no cluster and yields none.
 */
export function clusterMembers(
  ids: readonly bigint[],
): RawBuilder<{ address_id: bigint; cluster_id: bigint }> {
  const list = ids.map(String);
  return sql`SELECT ac.address_id, ac.cluster_id FROM address_clusters ac WHERE ac.cluster_id = ANY(${list}::int8[])
    UNION ALL
    SELECT a.id, a.id FROM addresses a WHERE a.id = ANY(${list}::int8[])
      AND NOT EXISTS (SELECT 1 FROM address_clusters ac WHERE ac.address_id = a.id)`;
}

/** `<alias>.id` is an address of one of the clusters `ids` (see `clusterMembers`). */
export function inClusters(alias: string, ids: readonly bigint[]): RawBuilder<boolean> {
  return sql<boolean>`${sql.ref(`${alias}.id`)} IN (SELECT m.address_id FROM (${clusterMembers(ids)}) m)`;
}
