import { type AttributeSpec, EDGE_ATTRIBUTES, NODE_ATTRIBUTES, SUMMARY_ATTRIBUTES } from './attributes.js';
import type { ExportGraph } from './export-graph.js';
import { buildXml, type XmlElement } from './xml-document.js';

const GEXF_NS = 'http://gexf.net/1.3';

/** GEXF's names for our attribute types. */
const GEXF_TYPES: Record<AttributeSpec<unknown>['type'], string> = {
  string: 'string',
  int: 'integer',
  long: 'long',
  boolean: 'boolean',
};

/**
 * GEXF 1.3 (Gephi's own format): node and edge attributes declared in `<attributes>` with their
 * types (satoshis as `long`), values in `<attvalues>`. GEXF has no graph-level attributes, so the
 * trace summary goes into `<meta><description>`. No edge `weight` is written: GEXF weights are
 * floats, and amounts are exact integers; map `value` or `tainted_value` to edge size in Gephi.
 */
export function toGexf(graph: ExportGraph): string {
  const summary = graph.summary;
  const description =
    summary === null
      ? 'minetrace flow graph'
      : `minetrace flow graph; ${SUMMARY_ATTRIBUTES.map((spec) => `${spec.name}=${spec.get(summary)}`).join('; ')}`;
  return buildXml('gexf', {
    '@xmlns': GEXF_NS,
    '@xmlns:xsi': 'http://www.w3.org/2001/XMLSchema-instance',
    '@xsi:schemaLocation': `${GEXF_NS} ${GEXF_NS}/gexf.xsd`,
    '@version': '1.3',
    meta: { creator: { '#text': 'minetrace' }, description: { '#text': description } },
    graph: {
      '@defaultedgetype': 'directed',
      '@mode': 'static',
      attributes: [declarations('node', NODE_ATTRIBUTES), declarations('edge', EDGE_ATTRIBUTES)],
      nodes: {
        node: graph.nodes.map((node) => ({
          '@id': node.id,
          '@label': node.label,
          attvalues: { attvalue: values(NODE_ATTRIBUTES, node) },
        })),
      },
      edges: {
        edge: graph.edges.map((edge) => ({
          '@id': edge.id,
          '@source': edge.source,
          '@target': edge.target,
          attvalues: { attvalue: values(EDGE_ATTRIBUTES, edge) },
        })),
      },
    },
  });
}

function declarations<T>(domain: string, specs: ReadonlyArray<AttributeSpec<T>>): XmlElement {
  return {
    '@class': domain,
    '@mode': 'static',
    attribute: specs.map((spec) => ({
      '@id': spec.name,
      '@title': spec.name,
      '@type': GEXF_TYPES[spec.type],
    })),
  };
}

function values<T>(specs: ReadonlyArray<AttributeSpec<T>>, item: T): XmlElement[] {
  const out: XmlElement[] = [];
  for (const spec of specs) {
    const value = spec.get(item);
    if (value !== null) out.push({ '@for': spec.name, '@value': value });
  }
  return out;
}
