import { type RawBuilder, sql } from 'kysely';

/**
 * `coalesce(<alias>.cluster_id, <alias>.id) = ANY(ids)` (the addresses in these clusters), spelt so
 * that the `cluster_id` index and the primary key serve it: no index holds the coalesce expression,
 * and filtering on it reads every address of the chain.
 */
export function inClusters(alias: string, ids: readonly bigint[]): RawBuilder<boolean> {
  const list = ids.map(String);
  const column = (name: string) => sql.ref(`${alias}.${name}`);
  return sql<boolean>`(${column('cluster_id')} = ANY(${list}::int8[])
    OR (${column('cluster_id')} IS NULL AND ${column('id')} = ANY(${list}::int8[])))`;
}
