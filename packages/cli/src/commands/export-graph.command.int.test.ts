import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { type ApiServer, type CytoscapeDocument, createApiServer } from '@minetrace/api';
import { indexDemoChain } from '@minetrace/api/testing';
import type { GroundTruth } from '@minetrace/devnet';
import { createTestDatabase, type TestDatabase } from '@minetrace/shared/db/testing';
import { createLogger } from '@minetrace/shared/log';
import { parse as parseCsv } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { databaseEnv, runBinary, runHere } from '../cli.testing.js';

interface Row {
  id: string;
  kind: string;
  hop: number;
  taintedValue: bigint;
  stopped: boolean;
}
interface Link {
  source: string;
  target: string;
  value: bigint;
  taintedValue: bigint;
}

/**
 * Where the source's tainted satoshis went, from the exported nodes and edges alone: what source
 * addresses (hop 0) received, what edges brought into stopped addresses, what txs kept as fees, and
 * what non-stopped addresses received and did not pass on (unspent or cut off).
 */
function flowTotals(nodes: Row[], edges: Link[]) {
  const into = new Map<string, bigint>();
  const outOf = new Map<string, bigint>();
  for (const edge of edges) {
    into.set(edge.target, (into.get(edge.target) ?? 0n) + edge.taintedValue);
    outOf.set(edge.source, (outOf.get(edge.source) ?? 0n) + edge.taintedValue);
  }
  const totals = { source: 0n, reached: 0n, fees: 0n, held: 0n };
  for (const node of nodes) {
    const received = node.hop === 0 ? node.taintedValue : (into.get(node.id) ?? 0n);
    if (node.kind === 'tx') totals.fees += received - (outOf.get(node.id) ?? 0n);
    else if (node.stopped) totals.reached += received;
    else totals.held += received - (outOf.get(node.id) ?? 0n);
    if (node.hop === 0) totals.source += node.taintedValue;
  }
  return totals;
}

describe('minetrace export-graph on the demo chain', () => {
  let test: TestDatabase;
  let env: Record<string, string>;
  let truth: GroundTruth;
  let dir: string;
  let traceArgs: string[];
  /** The binary's JSON of the haircut trace, from the first test. */
  let plainJson: string;

  beforeAll(async () => {
    test = await createTestDatabase('postgres');
    truth = await indexDemoChain(test.db);
    env = databaseEnv(test.url!);
    dir = await mkdtemp(path.join(tmpdir(), 'minetrace-export-graph-'));
    const expected = truth.suspectFlow!.trace;
    traceArgs = [
      'export-graph',
      ...expected.from.addresses.flatMap((address) => ['--from', address]),
      '--hops',
      String(expected.maxHops),
      '--policy',
      'haircut',
      ...expected.stopAt.flatMap((category) => ['--stop-at', category]),
      // The walk has fewer nodes; 100 keeps the GraphQL query under the server's default cost limit.
      '--max-nodes',
      '100',
    ];
  }, 240_000);

  afterAll(async () => {
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
    await test?.close();
  });

  it("writes the suspect's haircut trace as Cytoscape JSON on stdout, accounting for every tainted satoshi", async () => {
    const result = await runBinary([...traceArgs, '--format', 'json'], env);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    plainJson = result.stdout;
    const doc = JSON.parse(result.stdout) as CytoscapeDocument;
    const nodes = doc.elements.nodes.map(({ data }) => ({
      ...data,
      taintedValue: BigInt(data.taintedValue),
    }));
    const edges = doc.elements.edges.map(({ data }) => ({
      ...data,
      value: BigInt(data.value),
      taintedValue: BigInt(data.taintedValue),
    }));
    const ids = new Set(nodes.map((node) => node.id));
    for (const edge of edges) expect(ids.has(edge.source) && ids.has(edge.target)).toBe(true);
    // The ground truth's figures are worked out in closed form from the transactions the scenario built.
    const expected = truth.suspectFlow!.trace;
    const figures = expected.byPolicy.haircut;
    expect(flowTotals(nodes, edges)).toEqual({
      source: BigInt(expected.sourceValue),
      reached: BigInt(figures.reachedValue),
      fees: BigInt(figures.feeValue),
      held: BigInt(figures.unspentValue) + BigInt(figures.cutOffValue),
    });
    expect(doc.summary).toMatchObject({
      sourceValue: expected.sourceValue,
      reachedValue: figures.reachedValue,
      feeValue: figures.feeValue,
    });
    const deposits = new Set(truth.suspectFlow!.depositAddresses.map((address) => `address:${address}`));
    expect(nodes.filter((node) => node.stopped).every((node) => deposits.has(node.id))).toBe(true);
  }, 120_000);

  it('writes nodes.csv and edges.csv into --out with clusters collapsed, sums unchanged', async () => {
    const doc = JSON.parse(plainJson) as CytoscapeDocument;
    const out = path.join(dir, 'collapsed');
    const result = await runHere([...traceArgs, '--format', 'csv', '--collapse-clusters', '--out', out], env);
    expect(result.code).toBe(0);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(/wrote nodes\.csv, edges\.csv/);
    const nodes = parseCsv(await readFile(path.join(out, 'nodes.csv'), 'utf8'), { columns: true }) as Array<
      Record<string, string>
    >;
    const edges = parseCsv(await readFile(path.join(out, 'edges.csv'), 'utf8'), { columns: true }) as Array<
      Record<string, string>
    >;
    expect(nodes.some((node) => node.kind === 'address')).toBe(false);
    expect(nodes.filter((node) => node.kind === 'cluster').length).toBeGreaterThan(0);
    const sum = (values: string[]) => values.reduce((total, value) => total + BigInt(value), 0n);
    expect(sum(edges.map((edge) => edge.tainted_value!))).toBe(
      sum(doc.elements.edges.map((edge) => edge.data.taintedValue)),
    );
    expect(sum(edges.map((edge) => edge.value!))).toBe(
      sum(doc.elements.edges.map((edge) => edge.data.value)),
    );
    // Fees are a tx's own: merging addresses does not change what each tx took in and paid out.
    const totals = flowTotals(
      nodes.map((node) => ({
        id: node.id!,
        kind: node.kind!,
        hop: Number(node.hop),
        taintedValue: BigInt(node.tainted_value!),
        stopped: node.stopped === 'true',
      })),
      edges.map((edge) => ({
        source: edge.source!,
        target: edge.target!,
        value: BigInt(edge.value!),
        taintedValue: BigInt(edge.tainted_value!),
      })),
    );
    expect(totals.fees).toBe(BigInt(truth.suspectFlow!.trace.byPolicy.haircut.feeValue));
  }, 120_000);

  it('leaves out edges below --min-value', async () => {
    const minimum = 1_000_000_000n; // 10 BTC
    const result = await runHere([...traceArgs, '--format', 'json', '--min-value', String(minimum)], env);
    expect(result.code).toBe(0);
    const doc = JSON.parse(result.stdout) as CytoscapeDocument;
    expect(doc.elements.edges.length).toBeGreaterThan(0);
    expect(doc.elements.edges.every((edge) => BigInt(edge.data.value) >= minimum)).toBe(true);
  }, 120_000);

  it('runs the trace on the server named by MINETRACE_API_URL and writes the same file', async () => {
    // No key configured: the server's open localhost mode, as `npm start` serves it.
    const server: ApiServer = createApiServer({
      db: test.db,
      config: { API_HOST: '127.0.0.1', API_PORT: 0 },
      logger: createLogger({ level: 'silent' }),
    });
    const url = await server.listen();
    try {
      const remote = await runHere([...traceArgs, '--format', 'json'], { ...env, MINETRACE_API_URL: url });
      expect(remote.stderr).toBe('');
      expect(remote.code).toBe(0);
      expect(JSON.parse(remote.stdout)).toEqual(JSON.parse(plainJson));
    } finally {
      await server.close();
    }
  }, 120_000);

  it('refuses bad arguments with a clear message before tracing, writing nothing', async () => {
    const csv = await runHere([...traceArgs, '--format', 'csv'], env);
    expect(csv.code).toBe(1);
    expect(csv.stdout).toBe('');
    expect(csv.stderr).toBe('minetrace: csv is two files (nodes.csv and edges.csv): give --out DIRECTORY\n');
    const missing = path.join(dir, 'no', 'such', 'flow.graphml');
    const out = await runHere([...traceArgs, '--out', missing], env);
    expect(out.code).toBe(1);
    expect(out.stderr).toMatch(/does not exist/);
    // The last --hops wins; 99 is past the trace engine's limit.
    const hops = await runHere([...traceArgs, '--hops', '99'], env);
    expect(hops.code).toBe(1);
    expect(hops.stderr).toMatch(/maxHops must be an integer from 1 to/);
  }, 120_000);
});
