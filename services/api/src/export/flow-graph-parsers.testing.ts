import { spawnSync } from 'node:child_process';
import { DOMParser, type Element } from '@xmldom/xmldom';
import { parse as parseCsv } from 'csv-parse/sync';
import { XMLValidator } from 'fast-xml-parser';
import { expect } from 'vitest';
import type { FlowGraph } from '../investigate/trace.types.js';
import type { CytoscapeDocument } from './cytoscape.format.js';
import { decodeDot } from './dot.format.js';
import type { ExportOptions } from './export-graph.js';
import { type ExportedFile, type ExportFormat, exportFlowGraph } from './flow-graph-export.js';

/**
 * Reads every export format back with a real parser for it (xmldom for GraphML and GEXF, Graphviz's
 * own `dot` for DOT, csv-parse for CSV, JSON.parse for Cytoscape JSON), checking the structure as it
 * goes: declared keys and attributes, integer amounts, edges whose ends are nodes.
 */

/** A graph as read back from a file by a real parser for its format, every value as text. */
export interface ParsedGraph {
  nodes: Map<string, Record<string, string>>;
  edges: Array<{ id: string; source: string; target: string; attributes: Record<string, string> }>;
  /** Summary fields the format carries, by attribute name. */
  summary: Record<string, string>;
}

const LONG_NODE_ATTRIBUTES = ['value', 'tainted_value', 'cluster', 'time'];
const LONG_EDGE_ATTRIBUTES = ['value', 'tainted_value', 'time'];

function parseXml(xml: string): Element {
  expect(XMLValidator.validate(xml)).toBe(true);
  const doc = new DOMParser({
    // Warnings (such as U+FFFD in the text, which the XML test puts there on purpose) are not errors.
    onError: (level, message) => {
      if (level !== 'warning') throw new Error(`XML ${level}: ${message}`);
    },
  }).parseFromString(xml, 'text/xml');
  return doc.documentElement!;
}

function children(parent: Element, localName: string): Element[] {
  return Array.from(parent.childNodes).filter(
    (node): node is Element => node.nodeType === 1 && (node as Element).localName === localName,
  );
}

function only(parent: Element, localName: string): Element {
  const found = children(parent, localName);
  expect(found, `exactly one <${localName}> in <${parent.localName}>`).toHaveLength(1);
  return found[0]!;
}

export function parseGraphml(xml: string): ParsedGraph {
  const root = parseXml(xml);
  expect(root.localName).toBe('graphml');
  expect(root.namespaceURI).toBe('http://graphml.graphdrawing.org/xmlns');
  const keys = new Map<string, { domain: string; name: string; type: string }>();
  for (const key of children(root, 'key')) {
    expect(keys.has(key.getAttribute('id')!)).toBe(false);
    keys.set(key.getAttribute('id')!, {
      domain: key.getAttribute('for')!,
      name: key.getAttribute('attr.name')!,
      type: key.getAttribute('attr.type')!,
    });
  }
  const readData = (element: Element, domain: string) => {
    const out: Record<string, string> = {};
    for (const data of children(element, 'data')) {
      const key = keys.get(data.getAttribute('key')!);
      expect(key, `key '${data.getAttribute('key')}' is declared`).toBeDefined();
      expect(key!.domain).toBe(domain);
      if (key!.type === 'long' || key!.type === 'int') expect(data.textContent).toMatch(/^-?\d+$/);
      out[key!.name] = data.textContent ?? '';
    }
    return out;
  };
  const graph = only(root, 'graph');
  expect(graph.getAttribute('edgedefault')).toBe('directed');
  for (const name of ['value', 'tainted_value']) {
    expect(
      [...keys.values()].filter((key) => key.name === name).map((key) => [key.domain, key.type]),
    ).toEqual([
      ['node', 'long'],
      ['edge', 'long'],
    ]);
  }
  return {
    nodes: new Map(children(graph, 'node').map((node) => [node.getAttribute('id')!, readData(node, 'node')])),
    edges: children(graph, 'edge').map((edge) => ({
      id: edge.getAttribute('id')!,
      source: edge.getAttribute('source')!,
      target: edge.getAttribute('target')!,
      attributes: readData(edge, 'edge'),
    })),
    summary: readData(graph, 'graph'),
  };
}

export function parseGexf(xml: string): ParsedGraph {
  const root = parseXml(xml);
  expect(root.localName).toBe('gexf');
  expect(root.namespaceURI).toBe('http://gexf.net/1.3');
  expect(root.getAttribute('version')).toBe('1.3');
  const graph = only(root, 'graph');
  expect(graph.getAttribute('defaultedgetype')).toBe('directed');
  const declared = new Map<string, Map<string, { title: string; type: string }>>();
  for (const block of children(graph, 'attributes')) {
    const domain = block.getAttribute('class')!;
    declared.set(
      domain,
      new Map(
        children(block, 'attribute').map((attribute) => [
          attribute.getAttribute('id')!,
          { title: attribute.getAttribute('title')!, type: attribute.getAttribute('type')! },
        ]),
      ),
    );
  }
  expect(declared.get('node')?.get('value')?.type).toBe('long');
  expect(declared.get('edge')?.get('tainted_value')?.type).toBe('long');
  const readValues = (element: Element, domain: string) => {
    const out: Record<string, string> = {};
    for (const attvalues of children(element, 'attvalues')) {
      for (const value of children(attvalues, 'attvalue')) {
        const declaration = declared.get(domain)?.get(value.getAttribute('for')!);
        expect(
          declaration,
          `attribute '${value.getAttribute('for')}' is declared for ${domain}`,
        ).toBeDefined();
        if (declaration!.type === 'long' || declaration!.type === 'integer') {
          expect(value.getAttribute('value')).toMatch(/^-?\d+$/);
        }
        out[declaration!.title] = value.getAttribute('value')!;
      }
    }
    return out;
  };
  const description = only(only(root, 'meta'), 'description').textContent ?? '';
  const summary: Record<string, string> = {};
  for (const match of description.matchAll(/(\w+_value)=(\d+)/g)) summary[match[1]!] = match[2]!;
  return {
    nodes: new Map(
      children(only(graph, 'nodes'), 'node').map((node) => {
        const attributes = readValues(node, 'node');
        expect(node.getAttribute('label')).toBe(attributes.label);
        return [node.getAttribute('id')!, attributes];
      }),
    ),
    edges: children(only(graph, 'edges'), 'edge').map((edge) => ({
      id: edge.getAttribute('id')!,
      source: edge.getAttribute('source')!,
      target: edge.getAttribute('target')!,
      attributes: readValues(edge, 'edge'),
    })),
    summary,
  };
}

export function graphviz(format: string, dot: string): string {
  const result = spawnSync('dot', [`-T${format}`], { input: dot, encoding: 'utf8', maxBuffer: 64 << 20 });
  if (result.error) {
    throw new Error(
      `Graphviz 'dot' could not be run (${result.error.message}); install it with 'apt-get install -y graphviz' (.ci/run does when it is missing)`,
    );
  }
  expect(result.stderr).toBe('');
  expect(result.status).toBe(0);
  return result.stdout;
}

const GRAPHVIZ_OWN = new Set([
  '_gvid',
  'name',
  'pos',
  'width',
  'height',
  'bb',
  'lp',
  'xlp',
  '_draw_',
  '_ldraw_',
]);

export function parseDot(dot: string): ParsedGraph {
  expect(graphviz('svg', dot)).toContain('<svg');
  // Graphviz's own parser reads the file back; -Tjson0 lists every object with its attributes as
  // the DOT lexer left them (quote escapes removed), which decodeDot turns back into the values.
  const json = JSON.parse(graphviz('json0', dot)) as {
    directed: boolean;
    objects?: Array<Record<string, unknown>>;
    edges?: Array<Record<string, unknown> & { tail: number; head: number }>;
    [attribute: string]: unknown;
  };
  expect(json.directed).toBe(true);
  const decode = (object: Record<string, unknown>) => {
    const out: Record<string, string> = {};
    for (const [name, raw] of Object.entries(object)) {
      if (!GRAPHVIZ_OWN.has(name) && typeof raw === 'string') out[name] = decodeDot(raw);
    }
    return out;
  };
  const objects = json.objects ?? [];
  const summary: Record<string, string> = {};
  for (const name of ['source_value', 'reached_value', 'unspent_value', 'fee_value', 'cut_off_value']) {
    if (typeof json[name] === 'string') summary[name] = json[name] as string;
  }
  return {
    nodes: new Map(objects.map((object) => [decodeDot(object.name as string), decode(object)])),
    edges: (json.edges ?? []).map((edge) => {
      const attributes = decode(edge);
      return {
        id: attributes.id!,
        source: decodeDot(objects[edge.tail]!.name as string),
        target: decodeDot(objects[edge.head]!.name as string),
        attributes,
      };
    }),
    summary,
  };
}

export function parseCsvFiles(files: ExportedFile[]): ParsedGraph {
  expect(files.map((file) => file.name)).toEqual(['nodes.csv', 'edges.csv']);
  const read = (content: string) => {
    const rows = parseCsv(content, { columns: true, skip_empty_lines: false }) as Array<
      Record<string, string>
    >;
    // An empty cell means the value does not apply, as a missing attribute does in the other formats.
    return rows.map((row) => Object.fromEntries(Object.entries(row).filter(([, value]) => value !== '')));
  };
  const nodes = read(files[0]!.content);
  return {
    nodes: new Map(nodes.map((row) => [row.id!, row])),
    edges: read(files[1]!.content).map((row) => ({
      id: row.id!,
      source: row.source!,
      target: row.target!,
      attributes: row,
    })),
    summary: {},
  };
}

export function parseCytoscape(json: string): ParsedGraph {
  const doc = JSON.parse(json) as CytoscapeDocument;
  const text = (record: object) => {
    const out: Record<string, string> = {};
    for (const [name, value] of Object.entries(record)) {
      if (value === null) continue;
      const snake = name.replace(/[A-Z]/g, (char) => `_${char.toLowerCase()}`);
      out[snake] =
        typeof value === 'string'
          ? value
          : Array.isArray(value) && snake === 'categories'
            ? value.join(',')
            : typeof value === 'object'
              ? JSON.stringify(value)
              : String(value);
    }
    return out;
  };
  for (const element of [...doc.elements.nodes, ...doc.elements.edges]) {
    expect(typeof element.data.value).toBe('string');
    expect(typeof element.data.taintedValue).toBe('string');
  }
  return {
    nodes: new Map(doc.elements.nodes.map(({ data }) => [data.id, text(data)])),
    edges: doc.elements.edges.map(({ data }) => ({
      id: data.id,
      source: data.source,
      target: data.target,
      attributes: text(data),
    })),
    summary: doc.summary === null ? {} : text(doc.summary),
  };
}

/** Each format with the reader of its files. */
export const FORMATS: Array<{ format: ExportFormat; parse: (files: ExportedFile[]) => ParsedGraph }> = [
  { format: 'graphml', parse: (files) => parseGraphml(single(files)) },
  { format: 'gexf', parse: (files) => parseGexf(single(files)) },
  { format: 'dot', parse: (files) => parseDot(single(files)) },
  { format: 'csv', parse: parseCsvFiles },
  { format: 'json', parse: (files) => parseCytoscape(single(files)) },
];

export function single(files: ExportedFile[]): string {
  expect(files).toHaveLength(1);
  return files[0]!.content;
}

/**
 * Parses one format's files and checks what every format must hold: unique edge ids, every edge's
 * ends among the nodes, amounts, cluster ids and times as plain decimal integers.
 */
export function readExport(format: ExportFormat, files: ExportedFile[]): ParsedGraph {
  const reader = FORMATS.find((entry) => entry.format === format);
  if (reader === undefined) throw new Error(`no reader for export format ${format}`);
  const parsed = reader.parse(files);
  expect(new Set(parsed.edges.map((edge) => edge.id)).size, 'edge ids are unique').toBe(parsed.edges.length);
  for (const edge of parsed.edges) {
    expect(parsed.nodes.has(edge.source), `edge ${edge.id} source ${edge.source} is a node`).toBe(true);
    expect(parsed.nodes.has(edge.target), `edge ${edge.id} target ${edge.target} is a node`).toBe(true);
    for (const name of LONG_EDGE_ATTRIBUTES) {
      if (edge.attributes[name] !== undefined) expect(edge.attributes[name]).toMatch(/^\d+$/);
    }
  }
  for (const attributes of parsed.nodes.values()) {
    for (const name of LONG_NODE_ATTRIBUTES) {
      if (attributes[name] !== undefined) expect(attributes[name]).toMatch(/^\d+$/);
    }
  }
  return parsed;
}

/** Exports a graph in one format and reads it back (`readExport`). */
export function roundTrip(
  format: (typeof FORMATS)[number],
  trace: FlowGraph,
  options?: ExportOptions,
): ParsedGraph {
  return readExport(format.format, exportFlowGraph(trace, format.format, options));
}

/** Sum of one amount over the parsed edges, exact. */
export const total = (parsed: ParsedGraph, name: 'value' | 'tainted_value') =>
  parsed.edges.reduce((sum, edge) => sum + BigInt(edge.attributes[name]!), 0n);

/** Where the tainted satoshis went, recomputed from the parsed edges alone. */
export function flowTotals(parsed: ParsedGraph) {
  const into = new Map<string, bigint>();
  const outOf = new Map<string, bigint>();
  for (const edge of parsed.edges) {
    const tainted = BigInt(edge.attributes.tainted_value!);
    into.set(edge.target, (into.get(edge.target) ?? 0n) + tainted);
    outOf.set(edge.source, (outOf.get(edge.source) ?? 0n) + tainted);
  }
  let source = 0n;
  let reached = 0n;
  let ends = 0n;
  let fees = 0n;
  for (const [id, node] of parsed.nodes) {
    if (!into.has(id)) source += outOf.get(id) ?? 0n;
    if (node.stopped === 'true') reached += into.get(id) ?? 0n;
    else if (node.kind !== 'tx' && !outOf.has(id)) ends += into.get(id) ?? 0n;
    if (node.kind === 'tx') fees += (into.get(id) ?? 0n) - (outOf.get(id) ?? 0n);
  }
  return { source, reached, ends, fees };
}
