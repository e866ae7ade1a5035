import { type RawBuilder, sql } from 'kysely';

/**
 * The ids among `ids` that name an address alone (no `address_clusters` row), as rows `(id)`: each is
 * a cluster of one, whose id is the address's. By primary keys.
 */
export function aloneAddresses(ids: readonly bigint[]): RawBuilder<{ id: bigint }> {
  return sql`SELECT a.id FROM addresses a WHERE a.id = ANY(${ids.map(String)}::int8[])
    AND NOT EXISTS (SELECT 1 FROM address_clusters ac WHERE ac.address_id = a.id)`;
}

/**
 * The addresses of the clusters `ids`, as rows `(address_id, cluster_id)`: the members that
 * `address_clusters` lists for a cluster of two or more, and an id naming an address alone as its own
 * one member. Both halves are index lookups (the cluster index, then the primary keys); an id naming
 * an address of another cluster names no cluster and yields none.
 */
export function clusterMembers(
  ids: readonly bigint[],
): RawBuilder<{ address_id: bigint; cluster_id: bigint }> {
  return sql`SELECT ac.address_id, ac.cluster_id FROM address_clusters ac
      WHERE ac.cluster_id = ANY(${ids.map(String)}::int8[])
    UNION ALL
    SELECT l.id, l.id FROM (${aloneAddresses(ids)}) l`;
}

/** `column` (an address id, such as `a.id` or `p.address_id`) is a member of one of the clusters `ids`. */
export function inClusters(column: string, ids: readonly bigint[]): RawBuilder<boolean> {
  return sql<boolean>`${sql.ref(column)} IN (SELECT m.address_id FROM (${clusterMembers(ids)}) m)`;
}
