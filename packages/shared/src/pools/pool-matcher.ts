import type { CoinbaseEvidence, Pool, PoolMatch, PoolSet } from './pool.types.js';
import { normalizeAddress } from './pool-set.js';

interface TagNeedle {
  /** The tag lower-cased, as searched for in the lower-cased coinbase text. */
  needle: string;
  /** Length in code points, so an emoji counts as one character like any other. */
  length: number;
  /** The tag as written in the definition, reported as evidence. */
  tag: string;
  pool: Pool;
}

interface PoolIndex {
  byAddress: Map<string, Pool>;
  /** Longest first; equal lengths by pool id, then by needle, so the order never depends on input order. */
  needles: TagNeedle[];
}

// A PoolSet is immutable, so its lookup tables are built once, on first use, and live as long as it does.
const indexes = new WeakMap<PoolSet, PoolIndex>();

function indexFor(set: PoolSet): PoolIndex {
  let index = indexes.get(set);
  if (index) return index;
  const byAddress = new Map<string, Pool>();
  const needles = new Map<string, TagNeedle>();
  for (const pool of set.pools) {
    for (const address of pool.addresses) byAddress.set(normalizeAddress(address), pool);
    for (const tag of pool.tags) {
      const needle = tag.toLowerCase();
      // Case variants of one tag (`/BitFury/`, `/Bitfury/`) are one needle; the first spelling is reported.
      if (!needles.has(needle)) needles.set(needle, { needle, length: [...needle].length, tag, pool });
    }
  }
  const sorted = [...needles.values()].sort(
    (a, b) =>
      b.length - a.length ||
      a.pool.id - b.pool.id ||
      (a.needle < b.needle ? -1 : a.needle > b.needle ? 1 : 0),
  );
  index = { byAddress, needles: sorted };
  indexes.set(set, index);
  return index;
}

/**
 * The tags found in `text`, ignoring case, longest first (ties: lower pool id). An occurrence lying
 * inside the occurrence of a longer tag is not counted: `/ViaBTC/` inside `/ViaBTC/TATMAS Pool/`,
 * `ckpool` inside `/solo.ckpool.org/` or `emc` inside `/EMCD/` is part of that longer tag, not
 * evidence of its own.
 */
function findTags(text: string, needles: readonly TagNeedle[]): TagNeedle[] {
  if (text === '') return [];
  const lower = text.toLowerCase();
  const spans: { start: number; end: number }[] = [];
  const found: TagNeedle[] = [];
  for (const candidate of needles) {
    let at = lower.indexOf(candidate.needle);
    if (at === -1) continue;
    let independent = false;
    while (at !== -1) {
      const end = at + candidate.needle.length;
      // Needles come longest first, so every span already recorded is at least as long.
      if (!spans.some((span) => span.start <= at && end <= span.end)) independent = true;
      spans.push({ start: at, end });
      at = lower.indexOf(candidate.needle, at + 1);
    }
    if (independent) found.push(candidate);
  }
  return found;
}

function lookupAddress(index: PoolIndex, address: string): Pool | undefined {
  const pool = index.byAddress.get(address);
  if (pool) return pool;
  // Upper-case bech32 is valid; decoders print lower-case, so this rarely costs a second lookup.
  const normalized = normalizeAddress(address);
  return normalized === address ? undefined : index.byAddress.get(normalized);
}

const UNKNOWN: PoolMatch = Object.freeze({ pool: null, evidence: 'unknown' });

/**
 * Names the pool that mined a block from its coinbase, with the evidence. Pure; the lookup
 * tables are built once per `PoolSet`, so it costs a map lookup per output and a substring scan
 * per tag.
 *
 * Rules, in order:
 * 1. Every output address is looked up (not only the first output: coinbases carry witness
 *    commitments, merged-mining and other extra outputs in any position).
 * 2. Tags are searched in the whole tag text, ignoring case; the longest tag found names the
 *    tag's pool (equal lengths: lower pool id), whatever order the definitions were loaded in.
 * 3. No address matched: the tag's pool with evidence `tag` (Ocean-style coinbases pay the miners
 *    directly and hold no pool address), or `unknown` when no tag matched either. Never a guess.
 * 4. Addresses matched: the address decides, since paying an address hands its owner the reward
 *    while any text can be written into a coinbase. If the addresses belong to several pools, the
 *    first of them (in output order) that one of the found tags corroborates is chosen, else the
 *    pool of the first matching output (templates put the pool's own reward output first); the
 *    others are listed in `otherPools`. Evidence is `both` when a found tag belongs to the chosen
 *    pool, `conflict` (with `tagPool`, the longest tag's pool) when the tags name another pool
 *    only, `address` when no tag was found.
 */
export function identifyPool(coinbase: CoinbaseEvidence, pools: PoolSet): PoolMatch {
  const index = indexFor(pools);
  const tags = findTags(coinbase.tag, index.needles);

  // Insertion order is output order: the first output paying each pool.
  const paid = new Map<Pool, string>();
  for (const address of coinbase.addresses) {
    if (address === null) continue;
    const pool = lookupAddress(index, address);
    if (pool && !paid.has(pool)) paid.set(pool, address);
  }

  const longest = tags[0];
  if (paid.size === 0) {
    return longest ? { pool: longest.pool, evidence: 'tag', tag: longest.tag } : UNKNOWN;
  }

  const candidates = [...paid.keys()];
  const corroborated = candidates.find((pool) => tags.some((tag) => tag.pool === pool));
  const pool = corroborated ?? candidates[0]!;
  const address = paid.get(pool)!;
  const others = candidates.filter((other) => other !== pool);
  const otherPools = others.length > 0 ? { otherPools: others } : {};

  if (corroborated) {
    const tag = tags.find((found) => found.pool === pool)!;
    return { pool, evidence: 'both', address, tag: tag.tag, ...otherPools };
  }
  if (longest) {
    return { pool, evidence: 'conflict', address, tag: longest.tag, tagPool: longest.pool, ...otherPools };
  }
  return { pool, evidence: 'address', address, ...otherPools };
}
