/**
 * One mining pool as minetrace uses it: a definition from the vendored dataset
 * (`packages/shared/data/mining-pools`) or from an extra file named in `MINETRACE_POOLS`.
 *
 * Invariants (held by `loadPools`/`createPoolSet`): `id` and `slug` are unique within a set;
 * no address and no tag (compared case-insensitively) belongs to two pools; tags are non-blank;
 * bech32 addresses are lower-case. Pools in a set are frozen: treat them as read-only.
 */
export interface Pool {
  /** The dataset's id; the key stored with attributed blocks. Extra files override by this id. */
  id: number;
  /** Dataset file name without `.json` (`f2pool`, `ocean`); for extra files see `loadPools`. */
  slug: string;
  name: string;
  /** Home page; empty when the definition has none. */
  link: string;
  /** Coinbase tag texts, as written in the definition (matching ignores case). */
  tags: string[];
  /** Payout addresses seen in this pool's coinbase outputs. */
  addresses: string[];
  /** `'dataset'`, or the path of the extra file the definition came from, as it was given. */
  source: string;
}

/**
 * The pool definitions in use. Immutable once built, which is what lets `identifyPool`
 * cache its lookup tables per set.
 */
export interface PoolSet {
  /** Sorted by id. */
  pools: Pool[];
  byId: Map<number, Pool>;
  bySlug: Map<string, Pool>;
  /**
   * sha256 hex over the normalized definitions (every field but `source`, tags and addresses
   * sorted) and the matching rules' version. Equal sets give equal fingerprints whatever the
   * file order; store it beside attributed blocks and attribute them again when it changes.
   */
  fingerprint: string;
}

/** What `identifyPool` needs from a block's coinbase transaction. */
export interface CoinbaseEvidence {
  /** Printable UTF-8 runs of the scriptSig after the BIP34 height push, joined by single spaces. */
  tag: string;
  /** The coinbase outputs' addresses in output order; null for outputs without one. */
  addresses: (string | null)[];
}

/**
 * A block's pool and the evidence for it. `address` is the first coinbase output address
 * belonging to `pool`; `tag` is the matching tag as written in the pool's definition.
 *
 * - `address`: a payout address matched, the tag text matched no pool.
 * - `tag`: no payout address matched (Ocean/P2Pool-style coinbases paying miners directly).
 * - `both`: a payout address and a tag of the same pool.
 * - `conflict`: the address says `pool`, the tag says `tagPool`. The address wins: anyone can
 *   write any text into a coinbase, paying a pool's address means handing it the reward.
 * - `unknown`: nothing matched. Never a guess.
 *
 * `otherPools` lists further pools whose addresses the coinbase also pays (output order), when
 * there are any; see `identifyPool` for how the one reported as `pool` is chosen.
 */
export type PoolMatch =
  | {
      pool: Pool;
      evidence: 'address' | 'tag' | 'both';
      address?: string;
      tag?: string;
      otherPools?: Pool[];
    }
  | { pool: Pool; evidence: 'conflict'; address: string; tag: string; tagPool: Pool; otherPools?: Pool[] }
  | { pool: null; evidence: 'unknown' };
