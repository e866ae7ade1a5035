import { spawnSync } from 'node:child_process';
import { DOMParser, type Element } from '@xmldom/xmldom';
import { parse as parseCsv } from 'csv-parse/sync';
import { XMLValidator } from 'fast-xml-parser';
import { describe, expect, it } from 'vitest';
import type { FlowGraph } from '../investigate/trace.types.js';
import type { CytoscapeDocument } from './cytoscape.format.js';
import { decodeDot } from './dot.format.js';
import type { ExportOptions } from './export-graph.js';
import { ADDRESS, flowGraphFixture, ID, NASTY_TAGS } from './flow-graph.fixture.js';
import { type ExportedFile, type ExportFormat, exportFlowGraph } from './flow-graph-export.js';

/** A graph as read back from a file by a real parser for its format, every value as text. */
interface ParsedGraph {
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

function parseGraphml(xml: string): ParsedGraph {
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

function parseGexf(xml: string): ParsedGraph {
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

function graphviz(format: string, dot: string): string {
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

function parseDot(dot: string): ParsedGraph {
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

function parseCsvFiles(files: ExportedFile[]): ParsedGraph {
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

function parseCytoscape(json: string): ParsedGraph {
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

const FORMATS: Array<{ format: ExportFormat; parse: (files: ExportedFile[]) => ParsedGraph }> = [
  { format: 'graphml', parse: (files) => parseGraphml(single(files)) },
  { format: 'gexf', parse: (files) => parseGexf(single(files)) },
  { format: 'dot', parse: (files) => parseDot(single(files)) },
  { format: 'csv', parse: parseCsvFiles },
  { format: 'json', parse: (files) => parseCytoscape(single(files)) },
];

function single(files: ExportedFile[]): string {
  expect(files).toHaveLength(1);
  return files[0]!.content;
}

function roundTrip(format: (typeof FORMATS)[number], trace: FlowGraph, options?: ExportOptions): ParsedGraph {
  const parsed = format.parse(exportFlowGraph(trace, format.format, options));
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

const total = (parsed: ParsedGraph, name: 'value' | 'tainted_value') =>
  parsed.edges.reduce((sum, edge) => sum + BigInt(edge.attributes[name]!), 0n);

/** Where the tainted satoshis went, recomputed from the parsed edges alone. */
function flowTotals(parsed: ParsedGraph) {
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

describe.each(FORMATS)('$format export read back by a real parser', (format) => {
  it('holds every node and edge, with totals that match the trace summary', () => {
    const trace = flowGraphFixture();
    const parsed = roundTrip(format, trace);
    expect([...parsed.nodes.keys()].sort()).toEqual(Object.values(ID).sort());
    expect(parsed.edges).toHaveLength(8);
    // 100 000 + 60 000 + 39 000 + 39 000 + 61 000 + 30 000 + 48 000 + 20 000
    expect(total(parsed, 'value')).toBe(397_000n);
    // 100 000 + 60 000 + 39 000 + 39 000 + 0 + 11 700 + 18 720 + 7 800
    expect(total(parsed, 'tainted_value')).toBe(276_220n);
    const summary = trace.summary!;
    expect(flowTotals(parsed)).toEqual({
      source: summary.sourceValue,
      reached: summary.reachedValue,
      ends: summary.unspentValue + summary.cutOffValue,
      fees: summary.feeValue,
    });
    for (const [name, value] of Object.entries(parsed.summary)) {
      const expected: Record<string, bigint> = {
        source_value: 100_000n,
        reached_value: 60_000n,
        unspent_value: 19_500n,
        fee_value: 1_780n,
        cut_off_value: 18_720n,
      };
      if (name in expected) expect(BigInt(value), name).toBe(expected[name]);
    }
    if (format.format !== 'csv') expect(parsed.summary.source_value).toBe('100000');
  });

  it('gives back tags, labels and amounts exactly, whatever characters they hold', () => {
    const parsed = roundTrip(format, flowGraphFixture());
    for (const key of ['a1', 'b1', 'd1'] as const) {
      const node = parsed.nodes.get(ID[key])!;
      expect(JSON.parse(node.tags!)).toEqual(NASTY_TAGS[key]);
      expect(node.address).toBe(ADDRESS[key]);
    }
    expect(parsed.nodes.get(ID.a1)!.label).toBe(`${ADDRESS.a1} (Bob "the" <Miner> & Co)`);
    expect(parsed.nodes.get(ID.b1)!.label).toBe(`${ADDRESS.b1} (Exchange\nHot wallet — 交易所 🚀)`);
    expect(parsed.nodes.get(ID.d1)!.label).toBe(`${ADDRESS.d1} (back\\slash\\)`);
    expect(parsed.nodes.get(ID.d1)!.categories).toBe('unspent "x" & <y>,scam');
    expect(parsed.nodes.get(ID.b1)).toMatchObject({
      kind: 'address',
      cluster: '20',
      stopped: 'true',
      value: '60000',
    });
    expect(parsed.nodes.get(ID.t2)).toMatchObject({
      kind: 'tx',
      txid: 'f'.repeat(64),
      tainted_value: '38220',
    });
    expect(parsed.nodes.get(ID.c1)!.time).toBeUndefined();
    const toD1 = parsed.edges.filter((edge) => edge.target === ID.d1).map((edge) => edge.attributes);
    expect(toD1.map((edge) => [edge.n, edge.value, edge.tainted_value, edge.hop])).toEqual([
      ['0', '30000', '11700', '2'],
      ['2', '20000', '7800', '2'],
    ]);
  });

  it('writes collapsed clusters with the same totals', () => {
    const parsed = roundTrip(format, flowGraphFixture(), { collapseClusters: true });
    // A1 → cluster 10; B1, B2, D2 → cluster 20; C1 → 30; D1 → 40; plus T1 and T2.
    expect(parsed.nodes.size).toBe(6);
    expect(parsed.edges).toHaveLength(6);
    expect(total(parsed, 'value')).toBe(397_000n);
    expect(total(parsed, 'tainted_value')).toBe(276_220n);
    const totals = flowTotals(parsed);
    expect([totals.source, totals.fees]).toEqual([100_000n, 1_780n]);
    expect(parsed.nodes.get('cluster:20')).toMatchObject({ kind: 'cluster', members: '3', value: '147000' });
    expect(JSON.parse(parsed.nodes.get('cluster:40')!.tags!)).toEqual(NASTY_TAGS.d1);
  });

  it('leaves out edges below the minimum value and the nodes they isolated', () => {
    const parsed = roundTrip(format, flowGraphFixture(), { minEdgeValue: 39_000n });
    expect(parsed.nodes.has(ID.d1)).toBe(false);
    expect(parsed.nodes.size).toBe(7);
    expect(parsed.edges).toHaveLength(6);
    // The two payments to D1 (30 000 and 20 000) are gone.
    expect(total(parsed, 'value')).toBe(397_000n - 30_000n - 20_000n);
  });
});

describe.each(FORMATS)('$format export of an empty paths result', (format) => {
  it('is still a valid file, with no node, no edge and no summary', () => {
    const parsed = roundTrip(format, { nodes: [], edges: [], summary: null });
    expect(parsed.nodes.size).toBe(0);
    expect(parsed.edges).toHaveLength(0);
    expect(parsed.summary.source_value).toBeUndefined();
  });
});

describe('XML exports', () => {
  it('replace characters XML cannot hold in text, stay well-formed, and keep tags exact as JSON escapes', () => {
    const trace = flowGraphFixture();
    const tags = [
      { label: 'bell\u0007 and lone \uD800 surrogate', category: 'c', source: 's', confidence: 1 },
    ];
    trace.nodes[0]!.tags = tags;
    for (const format of FORMATS.filter((entry) => entry.format === 'graphml' || entry.format === 'gexf')) {
      const parsed = format.parse(exportFlowGraph(trace, format.format));
      expect(parsed.nodes.get(ID.a1)!.label).toBe(`${ADDRESS.a1} (bell\uFFFD and lone \uFFFD surrogate)`);
      expect(JSON.parse(parsed.nodes.get(ID.a1)!.tags!)).toEqual(tags);
    }
  });
});

describe('DOT export', () => {
  it('renders labels with line breaks and Unicode as text in Graphviz output', () => {
    const svg = graphviz('svg', single(exportFlowGraph(flowGraphFixture(), 'dot')));
    // The B1 label's newline is a line break: its second line is its own text element.
    expect(svg).toContain('>Hot wallet — 交易所 🚀)</text>');
    expect(svg).toContain('back\\slash\\)</text>');
  });
});
