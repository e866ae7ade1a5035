import { type AttributeSpec, EDGE_ATTRIBUTES, NODE_ATTRIBUTES, SUMMARY_ATTRIBUTES } from './attributes.js';
import type { ExportGraph, ExportNode } from './export-graph.js';

/**
 * Graphviz DOT, written by hand: the format is a few lines of grammar, and the JavaScript DOT
 * libraries either only parse or quote `"` alone, which leaves a value ending in a backslash
 * escaping its own closing quote. Every ID and value is a double-quoted string (so node ids like
 * `tx:…` are not read as ports and no keyword needs care) encoded by `quoteDot`.
 */
export function toDot(graph: ExportGraph): string {
  const lines = ['digraph "minetrace flow" {'];
  const graphAttributes: Array<[string, string]> = [['rankdir', 'LR']];
  const summary = graph.summary;
  if (summary !== null) graphAttributes.push(...present(SUMMARY_ATTRIBUTES, summary));
  lines.push(`  graph ${attributeList(graphAttributes)};`);
  lines.push(`  node ${attributeList([['fontname', 'Helvetica']])};`);
  lines.push(`  edge ${attributeList([['fontname', 'Helvetica']])};`);
  for (const node of graph.nodes) {
    lines.push(
      `  ${quoteDot(node.id)} ${attributeList([...present(NODE_ATTRIBUTES, node), ...style(node)])};`,
    );
  }
  for (const edge of graph.edges) {
    const attributes: Array<[string, string]> = [
      ['id', edge.id],
      ...present(EDGE_ATTRIBUTES, edge),
      ['xlabel', `${edge.taintedValue} sat`],
    ];
    lines.push(`  ${quoteDot(edge.source)} -> ${quoteDot(edge.target)} ${attributeList(attributes)};`);
  }
  lines.push('}');
  return `${lines.join('\n')}\n`;
}

/**
 * A DOT double-quoted string. The DOT lexer turns only `\"` into `"` and keeps `\\` as a pair, and
 * Graphviz reads label-like attributes as escString, where `\\` is one backslash and `\n` a line
 * break. So a backslash is written `\\` (which also keeps one at the end from escaping the closing
 * quote), a quote `\"`, LF `\n` and CR `\r`; every other character, Unicode included, is literal
 * (DOT files are UTF-8). Custom attributes keep this encoding as text; `decodeDot` reverses it.
 */
export function quoteDot(value: string): string {
  const body = value.replace(/[\\"\n\r]/g, (char) => {
    switch (char) {
      case '\\':
        return '\\\\';
      case '"':
        return '\\"';
      case '\n':
        return '\\n';
      default:
        return '\\r';
    }
  });
  return `"${body}"`;
}

/** Reverses `quoteDot` on an attribute value as Graphviz's parser hands it back (quote escapes already removed). */
export function decodeDot(raw: string): string {
  return raw.replace(/\\([\\nr"])/g, (_match, char: string) => {
    switch (char) {
      case 'n':
        return '\n';
      case 'r':
        return '\r';
      default:
        return char;
    }
  });
}

function attributeList(attributes: ReadonlyArray<readonly [string, string]>): string {
  return `[${attributes.map(([name, value]) => `${name}=${quoteDot(value)}`).join(', ')}]`;
}

function present<T>(specs: ReadonlyArray<AttributeSpec<T>>, item: T): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  for (const spec of specs) {
    const value = spec.get(item);
    if (value !== null) out.push([spec.name, value]);
  }
  return out;
}

function style(node: ExportNode): Array<[string, string]> {
  const shape = node.kind === 'tx' ? 'ellipse' : node.kind === 'cluster' ? 'box3d' : 'box';
  const out: Array<[string, string]> = [['shape', shape]];
  if (node.stopped) out.push(['color', 'red'], ['penwidth', '2']);
  return out;
}
