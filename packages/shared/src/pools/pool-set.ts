import { createHash } from 'node:crypto';
import { PoolDefinitionError } from './pool.errors.js';
import type { Pool, PoolSet } from './pool.types.js';

/**
 * Version of the matching rules in `identifyPool`. It is part of the fingerprint so that a change
 * of rules, not only of definitions, makes stored attributions stale. Bump it with any such change.
 */
export const POOL_MATCHING_VERSION = 1;

/** Where a definition sits, for error messages: the file and the field prefix (`[3]` or ``). */
export interface PoolOrigin {
  file: string;
  at: string;
}

/**
 * Bech32 is case-insensitive and decoders print it lower-case; base58 is case-sensitive and
 * never starts with these prefixes, so only bech32 strings are touched.
 */
export function normalizeAddress(address: string): string {
  return /^(bc|tb|bcrt)1/i.test(address) ? address.toLowerCase() : address;
}

/** `Ocean.xyz` → `ocean-xyz`; empty when nothing Latin-alphanumeric is left. */
export function slugify(text: string): string {
  return text
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '');
}

function field(origin: PoolOrigin, rest: string): string {
  return origin.at === '' ? rest : `${origin.at}.${rest}`;
}

function describe(pool: Pool): string {
  return `pool ${pool.id} ${pool.name} (${pool.source})`;
}

/**
 * Builds a set from definitions that are each valid on their own, refusing contradictions
 * between them with the file and field of the later one.
 */
export function buildPoolSet(entries: readonly { pool: Pool; origin: PoolOrigin }[]): PoolSet {
  const sorted = [...entries].sort((a, b) => a.pool.id - b.pool.id);
  const byId = new Map<number, Pool>();
  const bySlug = new Map<string, Pool>();
  const addressOwner = new Map<string, Pool>();
  const tagOwner = new Map<string, Pool>();
  const pools: Pool[] = [];

  for (const { pool: input, origin } of sorted) {
    const addresses = [...new Set(input.addresses.map(normalizeAddress))];
    const tags = [...new Set(input.tags)];
    const pool: Pool = Object.freeze({
      id: input.id,
      slug: input.slug,
      name: input.name,
      link: input.link,
      tags: Object.freeze(tags) as string[],
      addresses: Object.freeze(addresses) as string[],
      source: input.source,
    });

    const sameId = byId.get(pool.id);
    if (sameId)
      throw new PoolDefinitionError(
        origin.file,
        field(origin, 'id'),
        `id ${pool.id} is also ${describe(sameId)}`,
      );
    if (pool.slug === '') throw new PoolDefinitionError(origin.file, origin.at || null, 'empty slug');
    const sameSlug = bySlug.get(pool.slug);
    if (sameSlug) {
      throw new PoolDefinitionError(
        origin.file,
        origin.at || null,
        `slug '${pool.slug}' is already used by ${describe(sameSlug)}; rename the file or the pool`,
      );
    }
    input.addresses.forEach((raw, i) => {
      const owner = addressOwner.get(normalizeAddress(raw));
      if (owner) {
        throw new PoolDefinitionError(
          origin.file,
          field(origin, `addresses[${i}]`),
          `${raw} already belongs to ${describe(owner)}; override that pool by id to move it`,
        );
      }
    });
    input.tags.forEach((tag, i) => {
      const owner = tagOwner.get(tag.toLowerCase());
      if (owner) {
        throw new PoolDefinitionError(
          origin.file,
          field(origin, `tags[${i}]`),
          `'${tag}' (ignoring case) already belongs to ${describe(owner)}; override that pool by id to move it`,
        );
      }
    });

    byId.set(pool.id, pool);
    bySlug.set(pool.slug, pool);
    for (const address of addresses) addressOwner.set(address, pool);
    for (const tag of tags) tagOwner.set(tag.toLowerCase(), pool);
    pools.push(pool);
  }

  return Object.freeze({
    pools: Object.freeze(pools) as Pool[],
    byId,
    bySlug,
    fingerprint: fingerprint(pools),
  });
}

/**
 * A set from pools built in memory (tests, devnet scenarios). Same checks as `loadPools`:
 * throws `PoolDefinitionError` (file = the pool's `source`) on a repeated id, slug, address or tag.
 */
export function createPoolSet(pools: readonly Pool[]): PoolSet {
  return buildPoolSet(pools.map((pool) => ({ pool, origin: { file: pool.source, at: '' } })));
}

const byCodeUnits = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

function fingerprint(pools: readonly Pool[]): string {
  // `source` is left out: moving an identical definition between files changes no attribution.
  const normalized = pools.map((pool) => [
    pool.id,
    pool.slug,
    pool.name,
    pool.link,
    [...pool.tags].sort(byCodeUnits),
    [...pool.addresses].sort(byCodeUnits),
  ]);
  return createHash('sha256')
    .update(JSON.stringify({ version: POOL_MATCHING_VERSION, pools: normalized }))
    .digest('hex');
}
