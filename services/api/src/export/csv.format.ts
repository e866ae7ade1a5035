import { stringify } from 'csv-stringify/sync';
import { type AttributeSpec, EDGE_ATTRIBUTES, NODE_ATTRIBUTES } from './attributes.js';
import type { ExportEdge, ExportGraph, ExportNode } from './export-graph.js';

/**
 * Two RFC 4180 tables (comma-separated, CRLF rows, fields quoted when they hold a comma, quote or
 * line break): `nodes.csv` with `id` first and `edges.csv` with `id,source,target` first, the column
 * names Gephi's spreadsheet import recognises. An absent value is an empty cell.
 */
export function toCsv(graph: ExportGraph): { nodes: string; edges: string } {
  return {
    nodes: table<ExportNode>(
      [{ name: 'id', type: 'string', get: (node) => node.id }, ...NODE_ATTRIBUTES],
      graph.nodes,
    ),
    edges: table<ExportEdge>(
      [
        { name: 'id', type: 'string', get: (edge) => edge.id },
        { name: 'source', type: 'string', get: (edge) => edge.source },
        { name: 'target', type: 'string', get: (edge) => edge.target },
        ...EDGE_ATTRIBUTES,
      ],
      graph.edges,
    ),
  };
}

function table<T>(columns: ReadonlyArray<AttributeSpec<T>>, rows: readonly T[]): string {
  return stringify(
    rows.map((row) => columns.map((column) => column.get(row) ?? '')),
    { header: true, columns: columns.map((column) => column.name), record_delimiter: 'windows' },
  );
}
