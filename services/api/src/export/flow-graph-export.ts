import type { FlowGraph } from '../investigate/trace.types.js';
import { toCsv } from './csv.format.js';
import { toCytoscape } from './cytoscape.format.js';
import { toDot } from './dot.format.js';
import { ExportError, type ExportOptions, prepareExportGraph } from './export-graph.js';
import { toGexf } from './gexf.format.js';
import { toGraphml } from './graphml.format.js';

export const EXPORT_FORMATS = ['json', 'graphml', 'gexf', 'dot', 'csv'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

/** One file of an export. Every format is one file except CSV, which is `nodes.csv` and `edges.csv`. */
export interface ExportedFile {
  name: string;
  mediaType: string;
  content: string;
}

/** Writes a trace or paths result in one format; the options apply to every format alike. */
export function exportFlowGraph(
  graph: FlowGraph,
  format: ExportFormat,
  options: ExportOptions = {},
): ExportedFile[] {
  if (!(EXPORT_FORMATS as readonly string[]).includes(format)) {
    throw new ExportError(
      `export format must be one of ${EXPORT_FORMATS.join(', ')}, got '${String(format)}'`,
    );
  }
  const prepared = prepareExportGraph(graph, options);
  switch (format) {
    case 'json':
      return [
        {
          name: 'flow-graph.cyjs',
          mediaType: 'application/json',
          content: `${JSON.stringify(toCytoscape(prepared), null, 2)}\n`,
        },
      ];
    case 'graphml':
      return [
        { name: 'flow-graph.graphml', mediaType: 'application/graphml+xml', content: toGraphml(prepared) },
      ];
    case 'gexf':
      return [{ name: 'flow-graph.gexf', mediaType: 'application/gexf+xml', content: toGexf(prepared) }];
    case 'dot':
      return [{ name: 'flow-graph.dot', mediaType: 'text/vnd.graphviz', content: toDot(prepared) }];
    case 'csv': {
      const tables = toCsv(prepared);
      return [
        { name: 'nodes.csv', mediaType: 'text/csv', content: tables.nodes },
        { name: 'edges.csv', mediaType: 'text/csv', content: tables.edges },
      ];
    }
  }
}
