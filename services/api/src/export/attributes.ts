import type { TraceSummary } from '../investigate/trace.types.js';
import { categoriesOf, type ExportEdge, type ExportNode } from './export-graph.js';

/**
 * The columns every tabular or XML format writes, in one place so GraphML, GEXF, DOT and CSV agree
 * on names and types. Values are text already: satoshis as exact decimal integers (declared `long`
 * where a format has types, never a float), null where the value does not apply (the attribute is
 * then left out, or the CSV cell left empty).
 */
export interface AttributeSpec<T> {
  name: string;
  type: 'string' | 'int' | 'long' | 'boolean';
  get: (item: T) => string | null;
}

const text = (value: string | null): string | null => value;
const integer = (value: number | bigint | null): string | null => (value === null ? null : value.toString());

export const NODE_ATTRIBUTES: ReadonlyArray<AttributeSpec<ExportNode>> = [
  { name: 'kind', type: 'string', get: (node) => node.kind },
  { name: 'label', type: 'string', get: (node) => node.label },
  { name: 'txid', type: 'string', get: (node) => text(node.txid) },
  { name: 'address', type: 'string', get: (node) => text(node.address) },
  { name: 'cluster', type: 'long', get: (node) => integer(node.clusterId) },
  { name: 'cluster_size', type: 'int', get: (node) => integer(node.clusterSize) },
  { name: 'members', type: 'int', get: (node) => integer(node.members) },
  // Tags as JSON text: labels may hold any character, so no separator would be safe; JSON keeps
  // each tag's label, category, source and confidence exactly.
  { name: 'tags', type: 'string', get: (node) => JSON.stringify(node.tags) },
  { name: 'categories', type: 'string', get: (node) => categoriesOf(node).join(',') },
  { name: 'hop', type: 'int', get: (node) => integer(node.hop) },
  { name: 'value', type: 'long', get: (node) => integer(node.value) },
  { name: 'tainted_value', type: 'long', get: (node) => integer(node.taintedValue) },
  { name: 'time', type: 'long', get: (node) => integer(node.time) },
  { name: 'stopped', type: 'boolean', get: (node) => String(node.stopped) },
];

export const EDGE_ATTRIBUTES: ReadonlyArray<AttributeSpec<ExportEdge>> = [
  { name: 'value', type: 'long', get: (edge) => integer(edge.value) },
  { name: 'tainted_value', type: 'long', get: (edge) => integer(edge.taintedValue) },
  { name: 'hop', type: 'int', get: (edge) => integer(edge.hop) },
  { name: 'time', type: 'long', get: (edge) => integer(edge.time) },
  { name: 'n', type: 'int', get: (edge) => integer(edge.n) },
  { name: 'merged', type: 'int', get: (edge) => integer(edge.merged) },
];

export const SUMMARY_ATTRIBUTES: ReadonlyArray<AttributeSpec<TraceSummary>> = [
  { name: 'source_value', type: 'long', get: (summary) => integer(summary.sourceValue) },
  { name: 'reached_value', type: 'long', get: (summary) => integer(summary.reachedValue) },
  { name: 'unspent_value', type: 'long', get: (summary) => integer(summary.unspentValue) },
  { name: 'fee_value', type: 'long', get: (summary) => integer(summary.feeValue) },
  { name: 'cut_off_value', type: 'long', get: (summary) => integer(summary.cutOffValue) },
  {
    name: 'by_cluster',
    type: 'string',
    get: (summary) =>
      JSON.stringify(
        summary.byCluster.map((row) => ({ cluster: row.clusterId.toString(), value: row.value.toString() })),
      ),
  },
  {
    name: 'by_category',
    type: 'string',
    get: (summary) =>
      JSON.stringify(
        summary.byCategory.map((row) => ({ category: row.category, value: row.value.toString() })),
      ),
  },
];
