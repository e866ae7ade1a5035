import type { GroundTruth } from '@minetrace/devnet';
import { createTestDatabase, type TestDatabase } from '@minetrace/shared/db/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runTrace } from '../investigate/index.js';
import type { TracePolicy, TraceResult } from '../investigate/trace.types.js';
import { indexDemoChain, suspectTraceRequest } from '../testing/index.js';
import { FORMATS, flowTotals, type ParsedGraph, roundTrip, total } from './flow-graph-parsers.testing.js';

/** An edge as text that names it and its amounts exactly, for comparing edge lists as multisets. */
const edgeKey = (source: string, target: string, n: string | undefined, value: bigint, tainted: bigint) =>
  `${source} -> ${target} #${n ?? '-'} = ${value} / ${tainted}`;

const parsedEdgeKeys = (parsed: ParsedGraph) =>
  parsed.edges
    .map((edge) =>
      edgeKey(
        edge.source,
        edge.target,
        edge.attributes.n,
        BigInt(edge.attributes.value!),
        BigInt(edge.attributes.tainted_value!),
      ),
    )
    .sort();

const sum = (values: Iterable<bigint>) => [...values].reduce((a, b) => a + b, 0n);

/**
 * The demo chain indexed into Postgres, the suspect's payouts traced forward into the exchange as the
 * ground truth states the trace, and the result exported in every format and read back by a real
 * parser for it (xmldom, Graphviz's `dot`, csv-parse, JSON). The expected node and edge lists and
 * totals are the trace's own; the satoshis that reach the exchange are the ground truth's, worked out
 * in closed form by the scenario (packages/devnet/src/scenarios/demo-expectations.ts).
 */
describe('exports of the demo suspect trace in every format (postgres, graphviz)', () => {
  let test: TestDatabase;
  let truth: GroundTruth;
  /** Each exchange deposit's cluster in the index, as the export writes it. */
  const depositCluster = new Map<string, bigint | null>();

  beforeAll(async () => {
    test = await createTestDatabase('postgres');
    truth = await indexDemoChain(test.db);
    const rows = await test.db
      .selectFrom('addresses as a')
      .leftJoin('address_clusters as ac', 'ac.address_id', 'a.id')
      .select(['a.address', 'ac.cluster_id'])
      .where('a.address', 'in', truth.suspectFlow!.depositAddresses)
      .execute();
    for (const row of rows) depositCluster.set(row.address, row.cluster_id);
  });

  afterAll(async () => {
    await test?.close();
  });

  const flow = () => truth.suspectFlow!;
  /** What the peel chain paid each exchange deposit, by its address. */
  const received = () =>
    new Map(flow().exposure.map((deposit) => [deposit.address, BigInt(deposit.receivedValue)]));

  for (const policy of ['haircut', 'fifo'] as TracePolicy[]) {
    describe(`${policy} trace`, () => {
      let trace: TraceResult;
      let expected: { reached: bigint; fee: bigint };

      beforeAll(async () => {
        trace = await runTrace(test.db, suspectTraceRequest(truth, policy));
        const figures = flow().trace.byPolicy[policy];
        expected = { reached: BigInt(figures.reachedValue), fee: BigInt(figures.feeValue) };
      });

      it('is the ground truth’s trace, with every deposit clustered in the index', () => {
        // Without this the exports below would be compared with a wrong trace.
        expect(trace.truncated).toBe(false);
        expect(trace.summary!.reachedValue).toBe(expected.reached);
        expect(trace.summary!.feeValue).toBe(expected.fee);
        expect(depositCluster.size).toBe(flow().depositAddresses.length);
        expect([...depositCluster.values()].every((id) => id !== null)).toBe(true);
      });

      for (const format of FORMATS) {
        it(`${format.format}: every node and edge of the trace, with its totals and the exchange's ground-truth satoshis`, () => {
          const parsed = roundTrip(format, trace);
          expect(parsed.nodes.size).toBe(trace.nodes.length);
          expect([...parsed.nodes.keys()].sort()).toEqual(trace.nodes.map((node) => node.id).sort());
          expect(parsed.edges).toHaveLength(trace.edges.length);
          expect(parsedEdgeKeys(parsed)).toEqual(
            trace.edges.map((e) => edgeKey(e.from, e.to, e.n?.toString(), e.value, e.taintedValue)).sort(),
          );
          expect(total(parsed, 'value')).toBe(sum(trace.edges.map((edge) => edge.value)));
          expect(total(parsed, 'tainted_value')).toBe(sum(trace.edges.map((edge) => edge.taintedValue)));

          // Recomputed from the parsed edges alone: taint into stopped nodes, taint a tx kept as fee.
          const totals = flowTotals(parsed);
          expect(totals.reached).toBe(expected.reached);
          expect(totals.fees).toBe(expected.fee);

          // Each deposit is an exchange address of its cluster, holding what the peel chain paid it.
          let taintedAtExchange = 0n;
          for (const [address, value] of received()) {
            const node = parsed.nodes.get(`address:${address}`);
            expect(node, `deposit ${address} is a node`).toBeDefined();
            expect(node).toMatchObject({
              kind: 'address',
              address,
              value: value.toString(),
              stopped: 'true',
              cluster: depositCluster.get(address)!.toString(),
            });
            expect(node!.categories!.split(',')).toContain('exchange');
            taintedAtExchange += BigInt(node!.tainted_value!);
          }
          expect(taintedAtExchange).toBe(expected.reached);
          if (format.format !== 'csv') {
            expect(parsed.summary.reached_value).toBe(expected.reached.toString());
            expect(parsed.summary.source_value).toBe(flow().trace.sourceValue);
          }
        });

        it(`${format.format}: collapsed to clusters, the exchange cluster still receives the ground truth's satoshis`, () => {
          const parsed = roundTrip(format, trace, { collapseClusters: true });
          // The collapse worked out here from the trace: each address with a cluster becomes its cluster.
          const byId = new Map(trace.nodes.map((node) => [node.id, node]));
          const collapsed = (id: string) => {
            const node = byId.get(id)!;
            return node.kind === 'address' && node.clusterId !== null ? `cluster:${node.clusterId}` : id;
          };
          const merged = new Map<string, { value: bigint; tainted: bigint; count: number }>();
          for (const edge of trace.edges) {
            const key = `${collapsed(edge.from)}\u0000${collapsed(edge.to)}`;
            const entry = merged.get(key) ?? { value: 0n, tainted: 0n, count: 0 };
            entry.value += edge.value;
            entry.tainted += edge.taintedValue;
            entry.count += 1;
            merged.set(key, entry);
          }
          expect(parsed.nodes.size).toBe(new Set(trace.nodes.map((node) => collapsed(node.id))).size);
          expect(parsed.edges).toHaveLength(merged.size);
          expect(
            parsed.edges
              .map((edge) =>
                edgeKey(
                  edge.source,
                  edge.target,
                  undefined,
                  BigInt(edge.attributes.value!),
                  BigInt(edge.attributes.tainted_value!),
                ),
              )
              .sort(),
          ).toEqual(
            [...merged]
              .map(([key, entry]) => {
                const [source, target] = key.split('\u0000') as [string, string];
                return edgeKey(source, target, undefined, entry.value, entry.tainted);
              })
              .sort(),
          );
          // Totals over all edges do not change.
          expect(total(parsed, 'value')).toBe(sum(trace.edges.map((edge) => edge.value)));
          expect(total(parsed, 'tainted_value')).toBe(sum(trace.edges.map((edge) => edge.taintedValue)));

          // The exchange, as clusters: every satoshi the deposits received, and the ground truth's taint.
          const exchange = new Map<string, { members: number; value: bigint }>();
          for (const [address, value] of received()) {
            const id = `cluster:${depositCluster.get(address)}`;
            const entry = exchange.get(id) ?? { members: 0, value: 0n };
            exchange.set(id, { members: entry.members + 1, value: entry.value + value });
          }
          expect(
            [...exchange.values()].some((entry) => entry.members > 1),
            'some exchange cluster merges several deposits',
          ).toBe(true);
          for (const [id, entry] of exchange) {
            const node = parsed.nodes.get(id);
            expect(node, `${id} is a node`).toBeDefined();
            expect(node).toMatchObject({
              kind: 'cluster',
              members: String(entry.members),
              value: entry.value.toString(),
              stopped: 'true',
            });
            expect(node!.address).toBeUndefined();
            expect(node!.categories!.split(',')).toContain('exchange');
          }
          const intoExchange = parsed.edges.filter((edge) => exchange.has(edge.target));
          expect(sum(intoExchange.map((edge) => BigInt(edge.attributes.value!)))).toBe(
            sum(received().values()),
          );
          expect(sum(intoExchange.map((edge) => BigInt(edge.attributes.tainted_value!)))).toBe(
            expected.reached,
          );
          expect(sum([...exchange.keys()].map((id) => BigInt(parsed.nodes.get(id)!.tainted_value!)))).toBe(
            expected.reached,
          );
          expect(flowTotals(parsed).reached).toBe(expected.reached);
        });

        it(`${format.format}: a minimum edge value leaves out the smaller edges and the nodes they isolated`, () => {
          // Between the deposits: the two smallest payments to the exchange fall below it.
          const deposits = [...received()].sort(([, a], [, b]) => (a < b ? -1 : a > b ? 1 : 0));
          const minEdgeValue = deposits[2]![1];
          const parsed = roundTrip(format, trace, { minEdgeValue });
          const kept = trace.edges.filter((edge) => edge.value >= minEdgeValue);
          expect(kept.length).toBeLessThan(trace.edges.length);
          const touched = new Set(trace.edges.flatMap((edge) => [edge.from, edge.to]));
          const ends = new Set(kept.flatMap((edge) => [edge.from, edge.to]));
          expect([...parsed.nodes.keys()].sort()).toEqual(
            trace.nodes
              .map((node) => node.id)
              .filter((id) => ends.has(id) || !touched.has(id))
              .sort(),
          );
          expect(parsed.edges).toHaveLength(kept.length);
          for (const edge of parsed.edges)
            expect(BigInt(edge.attributes.value!)).toBeGreaterThanOrEqual(minEdgeValue);
          expect(parsedEdgeKeys(parsed)).toEqual(
            kept.map((e) => edgeKey(e.from, e.to, e.n?.toString(), e.value, e.taintedValue)).sort(),
          );
          expect(total(parsed, 'value')).toBe(sum(kept.map((edge) => edge.value)));
          expect(total(parsed, 'tainted_value')).toBe(sum(kept.map((edge) => edge.taintedValue)));
          for (const [address, value] of deposits) {
            expect(parsed.nodes.has(`address:${address}`), `deposit of ${value} sat`).toBe(
              value >= minEdgeValue,
            );
          }
          const reachedKept = sum(
            kept
              .filter((edge) => received().has(edge.to.slice('address:'.length)))
              .map((e) => e.taintedValue),
          );
          expect(reachedKept).toBeLessThan(expected.reached);
          expect(flowTotals(parsed).reached).toBe(reachedKept);
        });
      }
    });
  }
});
