import { NonRetryableError } from '@minetrace/shared';
import { describe, expect, it } from 'vitest';
import { type ExportGraphArguments, planExportGraph } from './export-graph.command.js';

const base: ExportGraphArguments = {
  from: ['bcrt1qsource'],
  hops: '3',
  policy: 'haircut',
  direction: 'forward',
  stopAt: [],
  maxNodes: '10000',
  format: 'graphml',
};

describe('export-graph arguments', () => {
  it('turns the command line into a trace request and export options', () => {
    const plan = planExportGraph({
      ...base,
      from: ['bcrt1qa', 'bcrt1qb'],
      pool: 'foundryusa',
      stopAt: ['exchange', 'sanctioned'],
      format: 'csv',
      collapseClusters: true,
      minValue: '2100000000000000',
      out: 'flow',
    });
    expect(plan).toEqual({
      request: {
        from: { addresses: ['bcrt1qa', 'bcrt1qb'], payoutsOfPool: 'foundryusa' },
        direction: 'forward',
        policy: 'haircut',
        maxHops: 3,
        minValue: 0n,
        maxNodes: 10_000,
        stopAt: ['exchange', 'sanctioned'],
      },
      format: 'csv',
      // 21 million BTC × 100 000 000 sat, exact.
      options: { collapseClusters: true, minEdgeValue: 2_100_000_000_000_000n },
      out: 'flow',
    });
    expect(planExportGraph({ ...base, from: [], pool: 'ocean' }).request.from).toEqual({
      payoutsOfPool: 'ocean',
    });
  });

  it.each([
    [{ from: [] }, 'give the trace a source: --from ADDRESS (repeatable) and/or --pool SLUG'],
    [{ from: ['  '] }, '--from needs an address'],
    [{ policy: 'greedy' }, "--policy must be one of poison, haircut, fifo, lifo, tiho, got 'greedy'"],
    [{ direction: 'sideways' }, "--direction must be forward or backward, got 'sideways'"],
    [{ format: 'svg' }, "--format must be one of json, graphml, gexf, dot, csv, got 'svg'"],
    [{ format: 'csv' }, 'csv is two files (nodes.csv and edges.csv): give --out DIRECTORY'],
    [{ hops: '0' }, "--hops must be a positive integer, got '0'"],
    [{ hops: '2.5' }, "--hops must be a positive integer, got '2.5'"],
    [{ maxNodes: '-1' }, "--max-nodes must be a positive integer, got '-1'"],
    [{ minValue: '1.5' }, "--min-value must be a whole number of satoshis, got '1.5'"],
    [{ minValue: '-3' }, "--min-value must be a whole number of satoshis, got '-3'"],
    [{ stopAt: [''] }, '--stop-at needs a tag category'],
  ] as Array<[Partial<ExportGraphArguments>, string]>)('refuses %o', (change, message) => {
    expect(() => planExportGraph({ ...base, ...change })).toThrow(new NonRetryableError(message));
  });
});
