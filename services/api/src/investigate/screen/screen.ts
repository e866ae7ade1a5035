import { type Db, clusterMembers as membersOfClusters, type TagRow } from '@minetrace/shared/db';
import { type TagView, tagCountsOfClusters, tagsOfAddresses } from '@minetrace/shared/tags';
import { sql } from 'kysely';
import { type Ratio, ratioToNumber, walkExposure } from './exposure-walk.js';
import {
  atLeast,
  categoryRisk,
  exposureRisk,
  lower,
  type RiskLevel,
  type ScreenRules,
  worse,
} from './screen-rules.js';

/** Most addresses one screening call takes. */
export const MAX_SCREEN_ADDRESSES = 1000;
/** Payout outpoints a MINING_PAYOUTS reason lists as evidence, at most (its value counts them all). */
const MAX_PAYOUT_EVIDENCE = 20;
/** Tagged cluster members a CLUSTER_TAG reason names, at most. */
const MAX_CLUSTER_EVIDENCE = 10;

export type ScreenReasonKind =
  | 'DIRECT_TAG'
  | 'CLUSTER_TAG'
  | 'INDIRECT_EXPOSURE'
  | 'MINING_PAYOUTS'
  | 'UNKNOWN_ADDRESS';

/** A tag as a reason shows it: the tag repository's view (the `Tag` type of the API). */
export type ScreenTag = TagView;

/**
 * Why screening gave an address its level, with the evidence to open the trace that found it:
 * INDIRECT_EXPOSURE names the tagged source's outpoints and the txids from the screened address
 * back to it (a backward haircut trace of `hops` from the address reproduces the share).
 */
export interface ScreenReason {
  kind: ScreenReasonKind;
  risk: RiskLevel;
  detail: string;
  tag: ScreenTag | null;
  /** INDIRECT_EXPOSURE: transactions between the address and the tagged source. */
  hops: number | null;
  /** INDIRECT_EXPOSURE: received satoshis from the source (share × received, rounded down); MINING_PAYOUTS: the payouts' sum. */
  value: bigint | null;
  share: number | null;
  /** `share` exactly. */
  shareExact: Ratio | null;
  /** MINING_PAYOUTS: the pool's slug. */
  pool: string | null;
  /** The tagged addresses behind the reason (the source, or the tagged cluster members). */
  addresses: string[];
  sourceOutpoints: Array<{ txid: string; n: number }>;
  path: string[];
}

export interface ScreenResult {
  address: string;
  risk: RiskLevel;
  reasons: ScreenReason[];
  /** The address's cluster; null when the address was never seen on chain. */
  cluster: { id: bigint; size: number } | null;
  /** Satoshis the address received in total (0 when unknown). */
  received: bigint;
  /** The exposure walk left part of the graph out: INDIRECT_EXPOSURE shares are lower bounds. */
  truncated: boolean;
}

export interface ScreenOptions {
  rules: ScreenRules;
  maxHops: number;
  /** @defaultValue 20000 */
  maxTxsPerHop?: number;
}

const tagOfRow = (row: TagRow): ScreenTag => ({
  label: row.label,
  category: row.category,
  source: row.source,
  confidence: Number(row.confidence),
  actor: row.actor,
  abuse: row.abuse,
  isClusterDefiner: row.is_cluster_definer,
  createdAt: row.created_at,
});

const blank = {
  tag: null,
  hops: null,
  value: null,
  share: null,
  shareExact: null,
  pool: null,
  addresses: [],
  sourceOutpoints: [],
  path: [],
} satisfies Partial<ScreenReason>;

const formatShare = (share: number) => `${(share * 100).toFixed(2)}%`;

/**
 * Screens addresses (already validated and normalised, at most `MAX_SCREEN_ADDRESSES`), in input
 * order. Each step runs once for the whole batch: addresses and clusters, then tags, cluster tags and
 * payouts; beside them, from the start, the exposure walk (one statement per hop).
 */
export async function screenAddresses(
  db: Db,
  input: readonly string[],
  options: ScreenOptions,
): Promise<ScreenResult[]> {
  const { rules } = options;
  const addresses = [...new Set(input)];
  // The exposure walk needs only the addresses, so it starts at once, beside the other steps.
  const [exposure, { known, direct, clusterTags, payouts, clusterMembers }] = await Promise.all([
    walkExposure(db, addresses, {
      maxHops: options.maxHops,
      maxTxsPerHop: options.maxTxsPerHop ?? 20_000,
    }),
    lookUp(db, addresses),
  ]);
  const byAddress = new Map(known.rows.map((row) => [row.address, row]));
  // Each list grouped by its key once, in its order: a batch is 1,000 addresses.
  const directOf = groupBy(direct, (tag) => tag.address);
  const clusterTagsOf = groupBy(clusterTags, (tag) => tag.clusterId);
  const membersOf = groupBy(clusterMembers.rows, (m) =>
    JSON.stringify([String(m.cluster_id), m.label, m.category, m.source]),
  );
  const payoutsOf = groupBy(payouts.rows, (p) => p.address_id);

  const results = new Map<string, ScreenResult>();
  for (const address of addresses) {
    const row = byAddress.get(address);
    const reasons: ScreenReason[] = [];
    const own = directOf.get(address) ?? [];
    for (const tag of own) {
      reasons.push({
        ...blank,
        kind: 'DIRECT_TAG',
        risk: categoryRisk(rules, tag.category),
        detail: `tagged ${tag.category} "${tag.label}" by ${tag.source}`,
        tag: tagOfRow(tag),
        addresses: [address],
      });
    }
    if (row === undefined) {
      reasons.push({
        ...blank,
        kind: 'UNKNOWN_ADDRESS',
        risk: rules.unknownAddressRisk,
        detail: 'never seen on the indexed chain',
      });
      results.set(address, finish(address, reasons, null, 0n, false));
      continue;
    }
    const ownKeys = new Set(own.map((tag) => JSON.stringify([tag.label, tag.category, tag.source])));
    for (const tag of clusterTagsOf.get(row.cluster_id) ?? []) {
      const key = JSON.stringify([tag.label, tag.category, tag.source]);
      if (ownKeys.has(key)) continue;
      const members = (
        membersOf.get(JSON.stringify([String(row.cluster_id), tag.label, tag.category, tag.source])) ?? []
      ).map((m) => m.address);
      reasons.push({
        ...blank,
        kind: 'CLUSTER_TAG',
        risk: lower(categoryRisk(rules, tag.category), tag.isClusterDefiner ? 0 : rules.clusterTagDowngrade),
        detail:
          `${tag.addressCount} of the ${row.size} addresses of its cluster tagged ${tag.category} ` +
          `"${tag.label}" by ${tag.source}`,
        tag: {
          label: tag.label,
          category: tag.category,
          source: tag.source,
          confidence: tag.confidence,
          actor: tag.actor,
          abuse: tag.abuse,
          isClusterDefiner: tag.isClusterDefiner,
          createdAt: tag.createdAt,
        },
        addresses: [...new Set(members)].slice(0, MAX_CLUSTER_EVIDENCE),
      });
    }
    const walked = exposure.get(address) ?? { received: 0n, exposures: [], truncated: false };
    for (const found of walked.exposures) {
      if (!atLeast(categoryRisk(rules, found.tag.category), rules.exposure.minCategoryRisk)) continue;
      const share = ratioToNumber(found.share);
      reasons.push({
        ...blank,
        kind: 'INDIRECT_EXPOSURE',
        risk: exposureRisk(rules, found.tag.category, share),
        detail:
          `${formatShare(share)} of its receipts came from ${found.address} (${found.tag.category} ` +
          `"${found.tag.label}" by ${found.tag.source}), ${found.hops} transaction(s) back`,
        tag: found.tag,
        hops: found.hops,
        value: (walked.received * found.share.num) / found.share.den,
        share,
        shareExact: found.share,
        addresses: [found.address],
        sourceOutpoints: found.sourceOutpoints,
        path: found.path,
      });
    }
    for (const pool of payoutsOf.get(row.id) ?? []) {
      reasons.push({
        ...blank,
        kind: 'MINING_PAYOUTS',
        risk: rules.miningPayoutsRisk,
        detail: `received ${pool.count} payout(s) from ${pool.name}`,
        value: pool.value,
        pool: pool.slug,
        sourceOutpoints: pool.outpoints.map((o) => {
          const [txid, n] = o.split(':');
          return { txid: txid!, n: Number(n) };
        }),
      });
    }
    results.set(
      address,
      finish(address, reasons, { id: row.cluster_id, size: row.size }, walked.received, walked.truncated),
    );
  }
  return input.map((address) => results.get(address)!);
}

function groupBy<T, K>(items: readonly T[], key: (item: T) => K): Map<K, T[]> {
  const groups = new Map<K, T[]>();
  for (const item of items) {
    const k = key(item);
    const group = groups.get(k);
    if (group === undefined) groups.set(k, [item]);
    else group.push(item);
  }
  return groups;
}

/** Everything screening reads besides the exposure walk: the addresses, then the rest in parallel. */
async function lookUp(db: Db, addresses: string[]) {
  const known = await sql<{ id: bigint; address: string; cluster_id: bigint; size: number }>`
    SELECT a.id, a.address, coalesce(ac.cluster_id, a.id) AS cluster_id, coalesce(c.size, 1) AS size
    FROM addresses a LEFT JOIN address_clusters ac ON ac.address_id = a.id
    LEFT JOIN clusters c ON c.id = ac.cluster_id
    WHERE a.address = ANY(${addresses}::text[])`.execute(db);
  const clusterIds = [...new Set(known.rows.map((row) => row.cluster_id))];
  const [direct, clusterTags, payouts, clusterMembers] = await Promise.all([
    tagsOfAddresses(db, addresses),
    tagCountsOfClusters(db, clusterIds),
    sql<{
      address_id: bigint;
      slug: string;
      name: string;
      count: bigint;
      value: bigint;
      outpoints: string[];
    }>`
      SELECT p.address_id, s.slug, s.name, count(*)::int8 AS count, sum(p.value)::int8 AS value,
        (array_agg(encode(t.txid, 'hex') || ':' || p.n ORDER BY p.height, t.txid, p.n))[1:${MAX_PAYOUT_EVIDENCE}] AS outpoints
      FROM payouts p JOIN pools s ON s.id = p.pool_id JOIN txs t ON t.id = p.payout_tx_id
      WHERE p.address_id = ANY(${known.rows.map((row) => row.id)}::int8[])
      GROUP BY p.address_id, s.slug, s.name ORDER BY p.address_id, value DESC, s.slug`.execute(db),
    // Which members carry each cluster tag, for the evidence of CLUSTER_TAG.
    sql<{ cluster_id: bigint; address: string; label: string; category: string; source: string }>`
      SELECT m.cluster_id, a.address, t.label, t.category, t.source
      FROM (${membersOfClusters(clusterIds)}) m
      JOIN addresses a ON a.id = m.address_id JOIN tags t ON t.address = a.address
      ORDER BY a.id`.execute(db),
  ]);
  return { known, direct, clusterTags, payouts, clusterMembers };
}

function finish(
  address: string,
  reasons: ScreenReason[],
  cluster: ScreenResult['cluster'],
  received: bigint,
  truncated: boolean,
): ScreenResult {
  const risk = reasons.reduce<RiskLevel>((worst, reason) => worse(worst, reason.risk), 'NONE');
  // Worst first, so a reader sees why before the context.
  const order = ['SEVERE', 'HIGH', 'MEDIUM', 'LOW', 'NONE'];
  reasons.sort((a, b) => order.indexOf(a.risk) - order.indexOf(b.risk));
  return { address, risk, reasons, cluster, received, truncated };
}

/** A screening result as JSON (amounts and ids as decimal strings), in the GraphQL answer's shape. */
export function screenResultToJson(result: ScreenResult) {
  return {
    address: result.address,
    risk: result.risk,
    received: result.received.toString(),
    truncated: result.truncated,
    cluster: result.cluster === null ? null : { id: result.cluster.id.toString(), size: result.cluster.size },
    reasons: result.reasons.map((reason) => ({
      kind: reason.kind,
      risk: reason.risk,
      detail: reason.detail,
      tag:
        reason.tag === null
          ? null
          : {
              label: reason.tag.label,
              category: reason.tag.category,
              source: reason.tag.source,
              confidence: reason.tag.confidence,
            },
      hops: reason.hops,
      value: reason.value?.toString() ?? null,
      share: reason.share,
      shareNumerator: reason.shareExact?.num.toString() ?? null,
      shareDenominator: reason.shareExact?.den.toString() ?? null,
      pool: reason.pool,
      addresses: reason.addresses,
      sourceOutpoints: reason.sourceOutpoints,
      path: reason.path,
    })),
  };
}
