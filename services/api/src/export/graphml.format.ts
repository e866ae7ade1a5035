import { EDGE_ATTRIBUTES, NODE_ATTRIBUTES, SUMMARY_ATTRIBUTES } from './attributes.js';
import type { ExportGraph } from './export-graph.js';
import { buildXml, type XmlElement } from './xml-document.js';

const GRAPHML_NS = 'http://graphml.graphdrawing.org/xmlns';

/**
 * GraphML (Gephi, Cytoscape, yEd, NetworkX, igraph): every attribute declared as a `<key>` with its
 * type (satoshis as `long`), node and edge values as `<data>`, the trace summary as graph data.
 * Key ids are prefixed by their domain (`n_`, `e_`, `g_`) because node and edge both have `value`.
 */
export function toGraphml(graph: ExportGraph): string {
  const keys: XmlElement[] = [
    ...NODE_ATTRIBUTES.map((spec) => key(`n_${spec.name}`, 'node', spec.name, spec.type)),
    ...EDGE_ATTRIBUTES.map((spec) => key(`e_${spec.name}`, 'edge', spec.name, spec.type)),
    ...(graph.summary === null
      ? []
      : SUMMARY_ATTRIBUTES.map((spec) => key(`g_${spec.name}`, 'graph', spec.name, spec.type))),
  ];
  const summary = graph.summary;
  const graphData = summary === null ? [] : data('g_', SUMMARY_ATTRIBUTES, summary);
  const body: XmlElement = {
    '@id': 'flow',
    '@edgedefault': 'directed',
    ...(graphData.length > 0 ? { data: graphData } : {}),
    node: graph.nodes.map((node) => ({ '@id': node.id, data: data('n_', NODE_ATTRIBUTES, node) })),
    edge: graph.edges.map((edge) => ({
      '@id': edge.id,
      '@source': edge.source,
      '@target': edge.target,
      data: data('e_', EDGE_ATTRIBUTES, edge),
    })),
  };
  return buildXml('graphml', {
    '@xmlns': GRAPHML_NS,
    '@xmlns:xsi': 'http://www.w3.org/2001/XMLSchema-instance',
    '@xsi:schemaLocation': `${GRAPHML_NS} ${GRAPHML_NS}/1.0/graphml.xsd`,
    key: keys,
    graph: body,
  });
}

function key(id: string, domain: string, name: string, type: string): XmlElement {
  return { '@id': id, '@for': domain, '@attr.name': name, '@attr.type': type };
}

function data<T>(
  prefix: string,
  specs: ReadonlyArray<{ name: string; get: (item: T) => string | null }>,
  item: T,
): XmlElement[] {
  const out: XmlElement[] = [];
  for (const spec of specs) {
    const value = spec.get(item);
    if (value !== null) out.push({ '@key': `${prefix}${spec.name}`, '#text': value });
  }
  return out;
}
