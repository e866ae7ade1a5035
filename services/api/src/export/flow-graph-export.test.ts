import { describe, expect, it } from 'vitest';
import { ADDRESS, flowGraphFixture, ID, NASTY_TAGS } from './flow-graph.fixture.js';
import { exportFlowGraph } from './flow-graph-export.js';
import { FORMATS, flowTotals, graphviz, roundTrip, single, total } from './flow-graph-parsers.testing.js';

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
