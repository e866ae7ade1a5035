import { describe, expect, it } from 'vitest';
import { ExportError, prepareExportGraph } from './export-graph.js';
import { ADDRESS, flowGraphFixture, ID, NASTY_TAGS, TXID_1 } from './flow-graph.fixture.js';
import { exportFlowGraph } from './flow-graph-export.js';

const sum = (values: bigint[]) => values.reduce((a, b) => a + b, 0n);

describe('prepareExportGraph', () => {
  it('keeps every node and edge, with labels and unique edge ids, when no option is set', () => {
    const graph = prepareExportGraph(flowGraphFixture());
    expect(graph.nodes).toHaveLength(8);
    expect(graph.edges.map((edge) => edge.id)).toEqual(['e0', 'e1', 'e2', 'e3', 'e4', 'e5', 'e6', 'e7']);
    // 100 000 + 60 000 + 39 000 + 39 000 + 61 000 + 30 000 + 48 000 + 20 000
    expect(sum(graph.edges.map((edge) => edge.value))).toBe(397_000n);
    const label = (id: string) => graph.nodes.find((node) => node.id === id)?.label;
    expect(label(ID.t1)).toBe('11111111…22222222');
    expect(label(ID.a1)).toBe(`${ADDRESS.a1} (Bob "the" <Miner> & Co)`);
    expect(label(ID.b2)).toBe(ADDRESS.b2);
  });

  it('collapses clusters into one node each and re-aggregates parallel edges with exact sums', () => {
    const graph = prepareExportGraph(flowGraphFixture(), { collapseClusters: true });
    expect(graph.nodes.map((node) => node.id)).toEqual([
      'cluster:10',
      ID.t1,
      'cluster:20',
      'cluster:30',
      `tx:${'f'.repeat(64)}`,
      'cluster:40',
    ]);
    const cluster20 = graph.nodes.find((node) => node.id === 'cluster:20')!;
    // B1 60 000 + B2 39 000 + D2 48 000 received; tainted 60 000 + 39 000 + 18 720.
    expect(cluster20).toMatchObject({
      kind: 'cluster',
      members: 3,
      clusterSize: 3,
      hop: 1,
      value: 147_000n,
      taintedValue: 117_720n,
      stopped: true,
      label: 'cluster 20 · 3 addresses (Exchange\nHot wallet — 交易所 🚀)',
    });
    expect(cluster20.tags).toEqual(NASTY_TAGS.b1);
    const edges = graph.edges.map((edge) => [
      edge.source,
      edge.target,
      edge.value,
      edge.taintedValue,
      edge.merged,
      edge.n,
    ]);
    expect(edges).toEqual([
      ['cluster:10', ID.t1, 100_000n, 100_000n, 1, 0],
      [ID.t1, 'cluster:20', 99_000n, 99_000n, 2, null], // 60 000 + 39 000 to B1 and B2
      ['cluster:20', ID.t2, 39_000n, 39_000n, 1, 1],
      ['cluster:30', ID.t2, 61_000n, 0n, 1, 4],
      [ID.t2, 'cluster:40', 50_000n, 19_500n, 2, null], // 30 000 + 20 000; 11 700 + 7 800
      [ID.t2, 'cluster:20', 48_000n, 18_720n, 1, 1],
    ]);
    // Collapsing moves no satoshi: the same totals as the eight trace edges.
    expect(sum(graph.edges.map((edge) => edge.value))).toBe(397_000n);
    expect(sum(graph.edges.map((edge) => edge.taintedValue))).toBe(276_220n);
  });

  it('drops edges below minEdgeValue and the nodes that were left without an edge', () => {
    const graph = prepareExportGraph(flowGraphFixture(), { minEdgeValue: 39_000n });
    // T2 → D1 (30 000 and 20 000) go, and D1 with them; 39 000 itself stays.
    expect(graph.nodes.map((node) => node.id)).not.toContain(ID.d1);
    expect(graph.nodes).toHaveLength(7);
    expect(graph.edges).toHaveLength(6);
    expect(sum(graph.edges.map((edge) => edge.value))).toBe(397_000n - 50_000n);
  });

  it('filters after collapsing, so merged edges are judged by their sums', () => {
    const graph = prepareExportGraph(flowGraphFixture(), { collapseClusters: true, minEdgeValue: 50_000n });
    // Kept: 100 000, 99 000, 61 000, 50 000 (30 000 + 20 000); dropped: 39 000 and 48 000.
    expect(graph.edges.map((edge) => edge.value)).toEqual([100_000n, 99_000n, 61_000n, 50_000n]);
    expect(graph.nodes).toHaveLength(6);
  });

  it('keeps a node that had no edge in the trace', () => {
    const trace = flowGraphFixture();
    trace.nodes.push({ ...trace.nodes[0]!, id: 'address:lonely', address: 'lonely' });
    const graph = prepareExportGraph(trace, { minEdgeValue: 1_000_000n });
    expect(graph.edges).toHaveLength(0);
    expect(graph.nodes.map((node) => node.id)).toEqual(['address:lonely']);
  });

  it('refuses a negative minimum, a duplicate node and an edge to an unknown node, with clear messages', () => {
    expect(() => prepareExportGraph(flowGraphFixture(), { minEdgeValue: -1n })).toThrow(ExportError);
    const duplicate = flowGraphFixture();
    duplicate.nodes.push(duplicate.nodes[1]!);
    expect(() => prepareExportGraph(duplicate)).toThrow(`flow graph has node 'tx:${TXID_1}' twice`);
    const dangling = flowGraphFixture();
    dangling.edges.push({ ...dangling.edges[0]!, to: 'tx:missing' });
    expect(() => prepareExportGraph(dangling)).toThrow("names no node 'tx:missing'");
    expect(() => exportFlowGraph(flowGraphFixture(), 'svg' as never)).toThrow(
      "export format must be one of json, graphml, gexf, dot, csv, got 'svg'",
    );
  });

  it('does not change the graph it was given', () => {
    const trace = flowGraphFixture();
    prepareExportGraph(trace, { collapseClusters: true, minEdgeValue: 50_000n });
    expect(trace).toEqual(flowGraphFixture());
  });
});
