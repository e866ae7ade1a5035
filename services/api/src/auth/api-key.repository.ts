import { createHash, randomBytes } from 'node:crypto';
import type { ApiRole, Db } from '@minetrace/shared/db';
import { sql } from 'kysely';

/** The roles a key may have, in the order `minetrace keys` lists them. */
export const API_ROLES: readonly ApiRole[] = ['investigator', 'screener', 'admin'];

/** Secrets start with this, so that a leaked key is recognisable in logs and by secret scanners. */
const KEY_PREFIX = 'mtk_';

/** A key as listed: never the secret, which only `createApiKey` returns, once. */
export interface ApiKeyInfo {
  id: bigint;
  name: string;
  role: ApiRole;
  /** First characters of the secret, to tell keys apart. */
  prefix: string;
  createdAt: Date;
  revokedAt: Date | null;
}

/** SHA-256 of the secret: the only form stored (the secret is 256 random bits, so no slow hash is needed). */
export function hashApiKey(secret: string): Buffer {
  return createHash('sha256').update(secret, 'utf8').digest();
}

/** Creates a key and returns its secret (shown once; only its hash is stored). */
export async function createApiKey(
  db: Db,
  params: { name: string; role: ApiRole },
): Promise<{ secret: string; key: ApiKeyInfo }> {
  const secret = `${KEY_PREFIX}${randomBytes(32).toString('base64url')}`;
  const row = await db
    .insertInto('api_keys')
    .values({
      name: params.name,
      role: params.role,
      key_hash: hashApiKey(secret),
      prefix: secret.slice(0, 10),
    })
    .returningAll()
    .executeTakeFirstOrThrow();
  return { secret, key: toInfo(row) };
}

/** The active key with this secret, or undefined. */
export async function findApiKey(db: Db, secret: string): Promise<ApiKeyInfo | undefined> {
  const [found] = await findApiKeysByHash(db, [hashApiKey(secret)]);
  if (found === undefined) return undefined;
  const { keyHash: _keyHash, ...key } = found;
  return key;
}

/** The active keys with these secrets' hashes (`hashApiKey`), in one statement; the others are left out. */
export async function findApiKeysByHash(
  db: Db,
  hashes: readonly Buffer[],
): Promise<Array<ApiKeyInfo & { keyHash: Buffer }>> {
  if (hashes.length === 0) return [];
  const rows = await db
    .selectFrom('api_keys')
    .selectAll()
    .where(sql<boolean>`key_hash = ANY(${[...hashes]}::bytea[])`)
    .where('revoked_at', 'is', null)
    .execute();
  return rows.map((row) => ({ ...toInfo(row), keyHash: row.key_hash }));
}

/** Whether any key is active (while none is, the API may run open to localhost). */
export async function hasActiveApiKeys(db: Db): Promise<boolean> {
  const row = await db
    .selectFrom('api_keys')
    .select('id')
    .where('revoked_at', 'is', null)
    .limit(1)
    .executeTakeFirst();
  return row !== undefined;
}

export async function listApiKeys(db: Db): Promise<ApiKeyInfo[]> {
  const rows = await db.selectFrom('api_keys').selectAll().orderBy('id').execute();
  return rows.map(toInfo);
}

/** Revokes a key; returns false when no active key has this id. */
export async function revokeApiKey(db: Db, id: bigint): Promise<boolean> {
  const result = await db
    .updateTable('api_keys')
    .set({ revoked_at: new Date() })
    .where('id', '=', id)
    .where('revoked_at', 'is', null)
    .executeTakeFirst();
  return result.numUpdatedRows > 0n;
}

function toInfo(row: {
  id: bigint;
  name: string;
  role: ApiRole;
  prefix: string;
  created_at: Date;
  revoked_at: Date | null;
}): ApiKeyInfo {
  return {
    id: row.id,
    name: row.name,
    role: row.role,
    prefix: row.prefix,
    createdAt: row.created_at,
    revokedAt: row.revoked_at,
  };
}
