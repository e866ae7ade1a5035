import { NonRetryableError } from '@minetrace/shared';
import type { FlowGraph, TraceSummary, TraceTag } from '../investigate/trace.types.js';

/** A node as every export format writes it: a trace node, or a cluster standing for its member addresses. */
export interface ExportNode {
  /** `tx:<txid>`, `address:<address>` or `cluster:<id>`; unique in a graph. */
  id: string;
  kind: 'tx' | 'address' | 'cluster';
  /** Short text for a drawing: an abbreviated txid, the address, or the cluster id, with the first tag's label. */
  label: string;
  txid: string | null;
  address: string | null;
  clusterId: bigint | null;
  clusterSize: number | null;
  /** Addresses this node stands for: 1 for an address, the merged members for a cluster, 0 for a tx. */
  members: number;
  /** Every tag of every member, each with its source; identical tags (all four fields) once. */
  tags: TraceTag[];
  hop: number;
  value: bigint;
  taintedValue: bigint;
  time: number | null;
  stopped: boolean;
}

export interface ExportEdge {
  /** `e<index>` in output order; unique in a graph. */
  id: string;
  source: string;
  target: string;
  value: bigint;
  taintedValue: bigint;
  hop: number;
  time: number | null;
  /** Output index; null when the edge merges several outputs. */
  n: number | null;
  /** Trace edges this edge stands for (more than 1 only when clusters were collapsed). */
  merged: number;
}

export interface ExportGraph {
  nodes: ExportNode[];
  edges: ExportEdge[];
  /** The trace's summary, unchanged by collapsing or filtering: it describes the walk, not the drawing. */
  summary: TraceSummary | null;
}

export interface ExportOptions {
  /**
   * Merge the address nodes of each cluster into one `cluster:<id>` node, and the edges between a tx
   * and a cluster's members into one edge with the exact sums.
   * @defaultValue false
   */
  collapseClusters?: boolean;
  /**
   * Drop edges whose `value` (satoshis moved, after collapsing) is below this, then the nodes that
   * were left without any edge by it. Nodes that had no edge in the trace stay.
   * @defaultValue 0n (keep every edge)
   */
  minEdgeValue?: bigint;
}

export class ExportError extends NonRetryableError {
  override name = 'ExportError';
}

/** Turns a trace or paths result into the graph the formats write, applying the options. */
export function prepareExportGraph(graph: FlowGraph, options: ExportOptions = {}): ExportGraph {
  const minEdgeValue = options.minEdgeValue ?? 0n;
  if (typeof minEdgeValue !== 'bigint' || minEdgeValue < 0n) {
    throw new ExportError(
      `minEdgeValue must be a non-negative integer number of satoshis, got ${String(minEdgeValue)}`,
    );
  }
  const ids = new Set<string>();
  for (const node of graph.nodes) {
    if (ids.has(node.id)) throw new ExportError(`flow graph has node '${node.id}' twice`);
    ids.add(node.id);
  }
  for (const edge of graph.edges) {
    for (const end of [edge.from, edge.to]) {
      if (!ids.has(end))
        throw new ExportError(`flow graph edge ${edge.from} -> ${edge.to} names no node '${end}'`);
    }
  }

  let nodes: ExportNode[] = graph.nodes.map((node) => ({
    id: node.id,
    kind: node.kind,
    label: '',
    txid: node.txid,
    address: node.address,
    clusterId: node.clusterId,
    clusterSize: node.clusterSize,
    members: node.kind === 'address' ? 1 : 0,
    tags: uniqueTags(node.tags),
    hop: node.hop,
    value: node.value,
    taintedValue: node.taintedValue,
    time: node.time,
    stopped: node.stopped,
  }));
  let edges = graph.edges.map((edge) => ({
    source: edge.from,
    target: edge.to,
    value: edge.value,
    taintedValue: edge.taintedValue,
    hop: edge.hop,
    time: edge.time,
    n: edge.n,
    merged: 1,
  }));

  if (options.collapseClusters) ({ nodes, edges } = collapseClusters(nodes, edges));

  if (minEdgeValue > 0n) {
    const touched = new Set(edges.flatMap((edge) => [edge.source, edge.target]));
    edges = edges.filter((edge) => edge.value >= minEdgeValue);
    const kept = new Set(edges.flatMap((edge) => [edge.source, edge.target]));
    nodes = nodes.filter((node) => kept.has(node.id) || !touched.has(node.id));
  }

  for (const node of nodes) node.label = labelOf(node);
  return {
    nodes,
    edges: edges.map((edge, index) => ({ id: `e${index}`, ...edge })),
    summary: graph.summary,
  };
}

type DraftEdge = Omit<ExportEdge, 'id'>;

function collapseClusters(
  nodes: ExportNode[],
  edges: DraftEdge[],
): { nodes: ExportNode[]; edges: DraftEdge[] } {
  const replacement = new Map<string, string>();
  const clusters = new Map<string, ExportNode>();
  const out: ExportNode[] = [];
  for (const node of nodes) {
    if (node.kind !== 'address' || node.clusterId === null) {
      out.push(node);
      continue;
    }
    const id = `cluster:${node.clusterId}`;
    replacement.set(node.id, id);
    const cluster = clusters.get(id);
    if (cluster === undefined) {
      const created: ExportNode = {
        ...node,
        id,
        kind: 'cluster',
        address: null,
        tags: [...node.tags],
      };
      clusters.set(id, created);
      out.push(created);
      continue;
    }
    cluster.members += node.members;
    cluster.tags = uniqueTags([...cluster.tags, ...node.tags]);
    cluster.clusterSize ??= node.clusterSize;
    cluster.hop = Math.min(cluster.hop, node.hop);
    cluster.value += node.value;
    cluster.taintedValue += node.taintedValue;
    cluster.time = minTime(cluster.time, node.time);
    cluster.stopped ||= node.stopped;
  }

  // Edges run between a tx and an address, so after the merge they run between a tx and a cluster:
  // parallel ones (a tx paying several members) become one edge with the exact sums.
  const merged = new Map<string, DraftEdge>();
  for (const edge of edges) {
    const source = replacement.get(edge.source) ?? edge.source;
    const target = replacement.get(edge.target) ?? edge.target;
    const key = `${source}\u0000${target}`;
    const existing = merged.get(key);
    if (existing === undefined) {
      merged.set(key, { ...edge, source, target });
      continue;
    }
    existing.value += edge.value;
    existing.taintedValue += edge.taintedValue;
    existing.hop = Math.min(existing.hop, edge.hop);
    existing.time = minTime(existing.time, edge.time);
    existing.n = null;
    existing.merged += edge.merged;
  }
  return { nodes: out, edges: [...merged.values()] };
}

function minTime(a: number | null, b: number | null): number | null {
  if (a === null) return b;
  if (b === null) return a;
  return Math.min(a, b);
}

function uniqueTags(tags: readonly TraceTag[]): TraceTag[] {
  const seen = new Set<string>();
  const out: TraceTag[] = [];
  for (const tag of tags) {
    const key = JSON.stringify([tag.label, tag.category, tag.source, tag.confidence]);
    if (seen.has(key)) continue;
    seen.add(key);
    out.push({ label: tag.label, category: tag.category, source: tag.source, confidence: tag.confidence });
  }
  return out;
}

function labelOf(node: ExportNode): string {
  const tag = node.tags[0]?.label;
  const suffix = tag === undefined ? '' : ` (${tag})`;
  switch (node.kind) {
    case 'tx':
      return node.txid === null ? node.id : `${node.txid.slice(0, 8)}…${node.txid.slice(-8)}`;
    case 'address':
      return `${node.address ?? node.id}${suffix}`;
    case 'cluster':
      return `cluster ${node.clusterId} · ${node.members} address${node.members === 1 ? '' : 'es'}${suffix}`;
  }
}

/** Distinct tag categories of a node, in first-seen order (for partitioning in Gephi or Cytoscape). */
export function categoriesOf(node: ExportNode): string[] {
  return [...new Set(node.tags.map((tag) => tag.category))];
}
