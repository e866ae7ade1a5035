import type { TraceTag } from '../investigate/trace.types.js';
import { categoriesOf, type ExportGraph } from './export-graph.js';

/** Cytoscape.js elements JSON (also read by Cytoscape desktop as `.cyjs`), plus the trace summary. */
export interface CytoscapeDocument {
  elements: {
    nodes: Array<{ data: CytoscapeNodeData }>;
    edges: Array<{ data: CytoscapeEdgeData }>;
  };
  summary: CytoscapeSummary | null;
}

/** Satoshis and cluster ids are decimal strings: JSON numbers lose precision past 2^53. */
export interface CytoscapeNodeData {
  id: string;
  kind: 'tx' | 'address' | 'cluster';
  label: string;
  txid: string | null;
  address: string | null;
  cluster: string | null;
  clusterSize: number | null;
  members: number;
  tags: TraceTag[];
  categories: string[];
  hop: number;
  value: string;
  taintedValue: string;
  time: number | null;
  stopped: boolean;
}

export interface CytoscapeEdgeData {
  id: string;
  source: string;
  target: string;
  value: string;
  taintedValue: string;
  hop: number;
  time: number | null;
  n: number | null;
  merged: number;
}

export interface CytoscapeSummary {
  sourceValue: string;
  reachedValue: string;
  unspentValue: string;
  feeValue: string;
  cutOffValue: string;
  byCluster: Array<{ cluster: string; value: string }>;
  byCategory: Array<{ category: string; value: string }>;
}

export function toCytoscape(graph: ExportGraph): CytoscapeDocument {
  const summary = graph.summary;
  return {
    elements: {
      nodes: graph.nodes.map((node) => ({
        data: {
          id: node.id,
          kind: node.kind,
          label: node.label,
          txid: node.txid,
          address: node.address,
          cluster: node.clusterId === null ? null : node.clusterId.toString(),
          clusterSize: node.clusterSize,
          members: node.members,
          tags: node.tags,
          categories: categoriesOf(node),
          hop: node.hop,
          value: node.value.toString(),
          taintedValue: node.taintedValue.toString(),
          time: node.time,
          stopped: node.stopped,
        },
      })),
      edges: graph.edges.map((edge) => ({
        data: {
          id: edge.id,
          source: edge.source,
          target: edge.target,
          value: edge.value.toString(),
          taintedValue: edge.taintedValue.toString(),
          hop: edge.hop,
          time: edge.time,
          n: edge.n,
          merged: edge.merged,
        },
      })),
    },
    summary:
      summary === null
        ? null
        : {
            sourceValue: summary.sourceValue.toString(),
            reachedValue: summary.reachedValue.toString(),
            unspentValue: summary.unspentValue.toString(),
            feeValue: summary.feeValue.toString(),
            cutOffValue: summary.cutOffValue.toString(),
            byCluster: summary.byCluster.map((row) => ({
              cluster: row.clusterId.toString(),
              value: row.value.toString(),
            })),
            byCategory: summary.byCategory.map((row) => ({
              category: row.category,
              value: row.value.toString(),
            })),
          },
  };
}
