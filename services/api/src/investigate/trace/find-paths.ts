import { clusterMembers, type Db } from '@minetrace/shared/db';
import { sql } from 'kysely';
import type { FlowGraph, TraceEdge, TraceNode } from '../trace.types.js';
import { TraceInputError } from './run-trace.js';
import { LEG_DETAIL, legJoins, toOutput, type WalkOutput } from './trace.repository.js';

/** Bounds of a paths request. */
export const PATH_LIMITS = {
  maxHops: 20,
  maxPaths: 100,
  /** Entries in `from` or `to`. */
  maxEndpoints: 1_000,
  /** Txs on one side's frontier; beyond it the search stops and says so. */
  maxFrontier: 50_000,
} as const;

export interface PathsRequest {
  /** Addresses, or `cluster:<id>` for every member address of a cluster. */
  from: string[];
  to: string[];
  /** Transactions on a path, at most. */
  maxHops: number;
  maxPaths: number;
}

/** An output that carries money along a path. */
export interface PathLink {
  /** Display txid of the tx that created the output. */
  txid: string;
  n: number;
  address: string | null;
  value: bigint;
  /** Block time of the creating tx, unix seconds. */
  time: number;
  /** The next tx on the path; null for the last link (the payment to the target). */
  spentByTxid: string | null;
  /** Resolved for the flow graph. */
  output: WalkOutput;
}

/**
 * One shortest spend path: `txids` in spend order; `links` has one more entry than `txids`: the
 * source output spent by the first tx, each output linking a tx to the next (the largest when
 * several do), and the output of the last tx that paid the target.
 */
export interface SpendPath {
  hops: number;
  txids: string[];
  links: PathLink[];
}

export interface PathsResult {
  paths: SpendPath[];
  /** True when a frontier outgrew `PATH_LIMITS.maxFrontier` before a path was found. */
  truncated: boolean;
}

/** Resolves `from`/`to` entries to address ids in one statement; unknown addresses match nothing. */
async function resolveEndpoints(db: Db, entries: string[]): Promise<bigint[]> {
  const addresses: string[] = [];
  const clusters: bigint[] = [];
  for (const entry of entries) {
    if (entry.startsWith('cluster:')) {
      const id = entry.slice('cluster:'.length);
      if (!/^\d{1,18}$/.test(id))
        throw new TraceInputError(
          `cluster entry must be cluster:<decimal id>, got ${JSON.stringify(entry.slice(0, 100))}`,
        );
      clusters.push(BigInt(id));
    } else addresses.push(entry);
  }
  const result = await sql<{ id: bigint }>`
    SELECT id FROM addresses WHERE address = ANY(${addresses}::text[])
    UNION SELECT m.address_id FROM (${clusterMembers(clusters)}) m`.execute(db);
  return result.rows.map((row) => row.id);
}

function validate(request: PathsRequest) {
  const { maxHops, maxPaths } = request;
  if (!Number.isInteger(maxHops) || maxHops < 1 || maxHops > PATH_LIMITS.maxHops) {
    throw new TraceInputError(`maxHops must be an integer from 1 to ${PATH_LIMITS.maxHops}, got ${maxHops}`);
  }
  if (!Number.isInteger(maxPaths) || maxPaths < 1 || maxPaths > PATH_LIMITS.maxPaths) {
    throw new TraceInputError(
      `maxPaths must be an integer from 1 to ${PATH_LIMITS.maxPaths}, got ${maxPaths}`,
    );
  }
  for (const [name, list] of [
    ['from', request.from],
    ['to', request.to],
  ] as const) {
    if (list.length === 0 || list.length > PATH_LIMITS.maxEndpoints) {
      throw new TraceInputError(
        `${name} must hold 1 to ${PATH_LIMITS.maxEndpoints} entries, got ${list.length}`,
      );
    }
  }
}

/**
 * Shortest spend paths from any `from` address to any `to` address, by bidirectional BFS over
 * transactions: one statement per level on whichever side has the smaller frontier, until the
 * sides meet or the hop budget is spent. Every shortest path is a candidate; at most `maxPaths`
 * are returned, in txid order of their meeting point.
 */
export async function findPaths(db: Db, request: PathsRequest): Promise<PathsResult> {
  validate(request);
  const [fromIds, toIds] = await Promise.all([
    resolveEndpoints(db, request.from),
    resolveEndpoints(db, request.to),
  ]);
  if (fromIds.length === 0 || toIds.length === 0) return { paths: [], truncated: false };

  // Forward: tx → the txs before it on a path from the source (empty at depth 1).
  const fwdParents = new Map<bigint, bigint[]>();
  const fwdDepth = new Map<bigint, number>();
  // Backward: tx → the txs after it on a path to the target (empty at depth 1).
  const bwdNext = new Map<bigint, bigint[]>();
  const bwdDepth = new Map<bigint, number>();

  const first = await sql<{ side: 'f' | 'b'; id: bigint }>`
    SELECT DISTINCT 'f' AS side, spent_by_tx_id AS id FROM outputs
    WHERE address_id = ANY(${fromIds}::int8[]) AND spent_by_tx_id IS NOT NULL
    UNION SELECT DISTINCT 'b', tx_id FROM outputs WHERE address_id = ANY(${toIds}::int8[])`.execute(db);
  let fwdFrontier: bigint[] = [];
  let bwdFrontier: bigint[] = [];
  for (const row of first.rows) {
    if (row.side === 'f') {
      fwdParents.set(row.id, []);
      fwdDepth.set(row.id, 1);
      fwdFrontier.push(row.id);
    } else {
      bwdNext.set(row.id, []);
      bwdDepth.set(row.id, 1);
      bwdFrontier.push(row.id);
    }
  }
  let dF = 1;
  let dB = 1;
  let truncated = false;
  const meets = () => {
    let best = Number.POSITIVE_INFINITY;
    let found: bigint[] = [];
    for (const [id, depth] of fwdDepth) {
      const other = bwdDepth.get(id);
      if (other === undefined) continue;
      const length = depth + other - 1;
      if (length < best) {
        best = length;
        found = [id];
      } else if (length === best) found.push(id);
    }
    return { length: best, ids: found.sort((a, b) => (a < b ? -1 : 1)) };
  };

  let meet = meets();
  while (
    meet.ids.length === 0 &&
    dF + dB <= request.maxHops &&
    fwdFrontier.length > 0 &&
    bwdFrontier.length > 0
  ) {
    if (fwdFrontier.length > PATH_LIMITS.maxFrontier || bwdFrontier.length > PATH_LIMITS.maxFrontier) {
      truncated = true;
      break;
    }
    if (fwdFrontier.length <= bwdFrontier.length) {
      const rows = await sql<{ parent: bigint; child: bigint }>`
        SELECT DISTINCT tx_id AS parent, spent_by_tx_id AS child FROM outputs
        WHERE tx_id = ANY(${fwdFrontier}::int8[]) AND spent_by_tx_id IS NOT NULL`.execute(db);
      dF += 1;
      const next = new Set<bigint>();
      for (const { parent, child } of rows.rows) {
        if (fwdDepth.has(child) && fwdDepth.get(child) !== dF) continue;
        if (!fwdDepth.has(child)) {
          fwdDepth.set(child, dF);
          fwdParents.set(child, []);
        }
        fwdParents.get(child)!.push(parent);
        next.add(child);
      }
      fwdFrontier = [...next];
    } else {
      const rows = await sql<{ parent: bigint; child: bigint }>`
        SELECT DISTINCT tx_id AS parent, spent_by_tx_id AS child FROM outputs
        WHERE spent_by_tx_id = ANY(${bwdFrontier}::int8[])`.execute(db);
      dB += 1;
      const next = new Set<bigint>();
      for (const { parent, child } of rows.rows) {
        if (bwdDepth.has(parent) && bwdDepth.get(parent) !== dB) continue;
        if (!bwdDepth.has(parent)) {
          bwdDepth.set(parent, dB);
          bwdNext.set(parent, []);
        }
        bwdNext.get(parent)!.push(child);
        next.add(parent);
      }
      bwdFrontier = [...next];
    }
    meet = meets();
  }
  if (meet.ids.length === 0 || meet.length > request.maxHops) return { paths: [], truncated };

  // Every shortest chain through each meeting tx, up to maxPaths in all.
  const chains: bigint[][] = [];
  const sortIds = (ids: bigint[]) => [...new Set(ids)].sort((a, b) => (a < b ? -1 : 1));
  const heads = (id: bigint): bigint[][] => {
    const parents = sortIds(fwdParents.get(id) ?? []);
    if (parents.length === 0) return [[id]];
    return parents.flatMap((p) => heads(p).map((chain) => [...chain, id])).slice(0, request.maxPaths);
  };
  const tails = (id: bigint): bigint[][] => {
    const next = sortIds(bwdNext.get(id) ?? []);
    if (next.length === 0) return [[id]];
    return next.flatMap((c) => tails(c).map((chain) => [id, ...chain])).slice(0, request.maxPaths);
  };
  for (const id of meet.ids) {
    for (const head of heads(id)) {
      for (const tail of tails(id)) {
        if (chains.length < request.maxPaths) chains.push([...head, ...tail.slice(1)]);
      }
    }
  }

  // The links of every chain, in one statement: (parent, child) pairs, the first with no parent
  // (a source output the first tx spent), the last with no child (the payment to the target).
  const pairs = new Map<string, { parent: bigint | null; child: bigint | null }>();
  const pairKey = (parent: bigint | null, child: bigint | null) => `${parent}|${child}`;
  for (const chain of chains) {
    pairs.set(pairKey(null, chain[0]!), { parent: null, child: chain[0]! });
    for (let i = 0; i + 1 < chain.length; i++)
      pairs.set(pairKey(chain[i]!, chain[i + 1]!), { parent: chain[i]!, child: chain[i + 1]! });
    pairs.set(pairKey(chain[chain.length - 1]!, null), { parent: chain[chain.length - 1]!, child: null });
  }
  const list = [...pairs.values()];
  const linkRows = await sql<Parameters<typeof toOutput>[0] & { i: number; spent_txid: Buffer | null }>`
    SELECT k.i, l.tx_id, l.n, l.value, l.address_id, l.spent_by_tx_id, t.txid, b.time, st.txid AS spent_txid, ${LEG_DETAIL}
    FROM unnest(${list.map((_, i) => i)}::int4[], ${list.map((p) => p.parent)}::int8[],
                ${list.map((p) => p.child)}::int8[]) AS k(i, parent, child)
    CROSS JOIN LATERAL (
      SELECT * FROM (
        SELECT o.* FROM outputs o
        WHERE k.parent IS NULL AND o.spent_by_tx_id = k.child AND o.address_id = ANY(${fromIds}::int8[])
        UNION ALL
        SELECT o.* FROM outputs o
        WHERE k.child IS NULL AND o.tx_id = k.parent AND o.address_id = ANY(${toIds}::int8[])
        UNION ALL
        SELECT o.* FROM outputs o WHERE o.tx_id = k.parent AND o.spent_by_tx_id = k.child
      ) c ORDER BY c.value DESC, c.tx_id, c.n LIMIT 1
    ) l
    JOIN txs t ON t.id = l.tx_id JOIN blocks b ON b.height = t.height
    LEFT JOIN txs st ON st.id = l.spent_by_tx_id
    ${legJoins('l.address_id')}`.execute(db);
  const links = new Map<string, PathLink>();
  for (const row of linkRows.rows) {
    const pair = list[row.i]!;
    const output = toOutput(row);
    links.set(pairKey(pair.parent, pair.child), {
      txid: output.txid,
      n: output.n,
      address: output.address,
      value: output.value,
      time: output.time,
      spentByTxid: pair.child === null ? null : (row.spent_txid?.toString('hex') ?? null),
      output,
    });
  }
  const txidOf = new Map<bigint, string>();
  for (const [k, link] of links) {
    const [parent, child] = k.split('|');
    if (parent !== 'null') txidOf.set(BigInt(parent!), link.txid);
    if (child !== 'null' && link.spentByTxid !== null) txidOf.set(BigInt(child!), link.spentByTxid);
  }
  const paths: SpendPath[] = chains.map((chain) => {
    const chainLinks = [pairKey(null, chain[0]!)];
    for (let i = 0; i + 1 < chain.length; i++) chainLinks.push(pairKey(chain[i]!, chain[i + 1]!));
    chainLinks.push(pairKey(chain[chain.length - 1]!, null));
    return {
      hops: chain.length,
      txids: chain.map((id) => txidOf.get(id)!),
      links: chainLinks.map((k) => links.get(k)!),
    };
  });
  return { paths, truncated };
}

/** The paths as one flow graph for exports and the viewer: address and tx nodes, no summary. */
export function pathsToFlowGraph(result: PathsResult): FlowGraph {
  const nodes = new Map<string, TraceNode>();
  const edges = new Map<string, TraceEdge>();
  const counted = new Set<string>();
  const addressNode = (link: PathLink, hop: number) => {
    const id = `address:${link.address}`;
    const node = nodes.get(id) ?? {
      id,
      kind: 'address' as const,
      txid: null,
      address: link.address,
      clusterId: link.output.clusterId,
      clusterSize: link.output.clusterSize,
      tags: link.output.tags,
      hop,
      value: 0n,
      taintedValue: 0n,
      time: link.time,
      stopped: false,
    };
    nodes.set(id, node);
    node.hop = Math.min(node.hop, hop);
    const outKey = `${link.txid}:${link.n}`;
    if (!counted.has(outKey)) {
      counted.add(outKey);
      node.value += link.value;
      node.taintedValue += link.value;
    }
    return id;
  };
  const edge = (from: string, to: string, link: PathLink, hop: number, time: number) => {
    edges.set(`${from}|${to}|${link.n}`, {
      from,
      to,
      value: link.value,
      taintedValue: link.value,
      hop,
      time,
      n: link.n,
    });
  };
  for (const path of result.paths) {
    path.txids.forEach((txid, i) => {
      const id = `tx:${txid}`;
      const into = path.links[i]!;
      const out = path.links[i + 1]!;
      if (!nodes.has(id)) {
        nodes.set(id, {
          id,
          kind: 'tx',
          txid,
          address: null,
          clusterId: null,
          clusterSize: null,
          tags: [],
          hop: i + 1,
          value: out.value,
          taintedValue: out.value,
          time: out.time,
          stopped: false,
        });
      }
      if (into.address !== null) edge(addressNode(into, i), id, into, i + 1, out.time);
      if (out.address !== null) edge(id, addressNode(out, i + 1), out, i + 1, out.time);
    });
  }
  return {
    nodes: [...nodes.values()].sort((a, b) => a.hop - b.hop || (a.id < b.id ? -1 : 1)),
    edges: [...edges.values()],
    summary: null,
  };
}
