export { toCsv } from './csv.format.js';
export {
  type CytoscapeDocument,
  type CytoscapeEdgeData,
  type CytoscapeNodeData,
  type CytoscapeSummary,
  toCytoscape,
} from './cytoscape.format.js';
export { decodeDot, quoteDot, toDot } from './dot.format.js';
export {
  type ExportEdge,
  ExportError,
  type ExportGraph,
  type ExportNode,
  type ExportOptions,
  prepareExportGraph,
} from './export-graph.js';
export {
  EXPORT_FORMATS,
  type ExportedFile,
  type ExportFormat,
  exportFlowGraph,
} from './flow-graph-export.js';
export { toGexf } from './gexf.format.js';
export { toGraphml } from './graphml.format.js';
