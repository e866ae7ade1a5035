import { createDevnetChain, createWallet, type Utxo } from '@minetrace/devnet';
import { createTestDatabase, type TestDatabase } from '@minetrace/shared/db/testing';
import { graphql } from 'graphql';
import { createSchema } from 'graphql-yoga';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OPEN_PRINCIPAL } from '../../auth/principal.js';
import { createApiContext } from '../../graphql/api-context.js';
import { resolvers, typeDefs } from '../../graphql/graphql-handler.js';
import { indexChain } from '../../testing/index.js';
import type { TracePolicy, TraceRequest, TraceResult } from '../trace.types.js';
import { findPaths, pathsToFlowGraph } from './find-paths.js';
import { runTrace, TraceInputError } from './run-trace.js';

/**
 * A hand-built chain (amounts in satoshis):
 *   fund:  miner → S   1_000_000 (the source output s0) and miner → K 500_000 (a clean coin c)
 *   tx1:   [s0 1_000_000, c 500_000] → [X 900_000, Y 400_000], fee 200_000
 *   tx2:   [X 900_000] → [E 850_000], fee 50_000
 * Y and E stay unspent. E is tagged `exchange`, S `sanctioned`.
 */
const chain = createDevnetChain();
const wallet = createWallet('trace-int', { chain });
const miner = wallet.newAddress('p2wpkh', 'miner');
const S = wallet.newAddress('p2wpkh', 's').address;
const K = wallet.newAddress('p2wpkh', 'k').address;
const X = wallet.newAddress('p2wpkh', 'x').address;
const Y = wallet.newAddress('p2wpkh', 'y').address;
const E = wallet.newAddress('p2wpkh', 'e').address;

chain.generateToAddress(101, miner.address);
const fund = wallet.send({
  from: { label: 'miner' },
  to: [
    { address: S, value: 1_000_000n },
    { address: K, value: 500_000n },
  ],
  fee: 10_000n,
});
chain.sendRawTransaction(fund.raw);
chain.generateToAddress(1, miner.address);
const coin = (txid: string, vout: number): Utxo => {
  const utxo = chain.getTxOut(txid, vout, true);
  if (utxo === undefined) throw new Error(`no coin ${txid}:${vout}`);
  return utxo;
};
const tx1 = wallet.send({
  from: [coin(fund.txid, 0), coin(fund.txid, 1)],
  to: [
    { address: X, value: 900_000n },
    { address: Y, value: 400_000n },
  ],
  fee: 200_000n,
});
chain.sendRawTransaction(tx1.raw);
chain.generateToAddress(1, miner.address);
const tx2 = wallet.send({ from: [coin(tx1.txid, 0)], to: [{ address: E, value: 850_000n }], fee: 50_000n });
chain.sendRawTransaction(tx2.raw);
chain.generateToAddress(1, miner.address);

const base = (overrides: Partial<TraceRequest>): TraceRequest => ({
  from: { addresses: [S] },
  direction: 'forward',
  policy: 'haircut',
  maxHops: 5,
  minValue: 0n,
  maxNodes: 100,
  stopAt: ['exchange'],
  ...overrides,
});

const conserved = (result: TraceResult) => {
  const s = result.summary;
  expect(s.reachedValue + s.unspentValue + s.feeValue + s.cutOffValue).toBe(s.sourceValue);
};
const node = (result: TraceResult, id: string) => result.nodes.find((n) => n.id === id);

describe('runTrace on a hand-built chain (postgres)', () => {
  let test: TestDatabase;
  beforeAll(async () => {
    test = await createTestDatabase('postgres');
    await indexChain(test.db, chain);
    await test.db
      .insertInto('tags')
      .values([
        { address: E, label: 'Example Exchange', category: 'exchange', source: 'test', confidence: 1 },
        { address: S, label: 'Seized wallet', category: 'sanctioned', source: 'test', confidence: 0.9 },
      ])
      .execute();
  }, 120_000);
  afterAll(async () => {
    await test?.close();
  });

  it('indexed tx1 with the inputs in the order the amounts below assume', async () => {
    const rows = await sql<{ value: bigint }>`
      SELECT o.value FROM outputs o JOIN txs t ON t.id = o.spent_by_tx_id
      WHERE t.txid = ${Buffer.from(tx1.txid, 'hex')} ORDER BY o.spent_by_input`.execute(test.db);
    expect(rows.rows.map((r) => r.value)).toEqual([1_000_000n, 500_000n]);
  });

  /**
   * Expected (reached at E, unspent at Y, fees, cut off), worked out per policy:
   * - haircut: tx1 taint 1_000_000 of 1_500_000: X 900_000·2/3 = 600_000; Y 400_000·2/3 = 266_666 r
   *   1_000_000 (of 1_500_000); fee 200_000·2/3 = 133_333 r 500_000; the 1 sat left goes to Y (largest
   *   remainder) → 266_667. tx2 taint 600_000 of 900_000: E 850_000·2/3 = 566_666 r 600_000, fee
   *   33_333 r 300_000, the 1 left to E → 566_667. Fees 133_333 + 33_333 = 166_666.
   * - poison: the same mass as haircut.
   * - fifo: stream [0,1_000_000) tainted: X [0,900_000) all tainted, Y [900_000,1_300_000) holds 100_000,
   *   fee clean. tx2: E 850_000, fee 50_000 (X is all tainted).
   * - lifo: reversed inputs c (clean 500_000) then s0 → tainted [500_000,1_500_000); reversed outputs
   *   Y [0,400_000) clean, X [400_000,1_300_000) holds 800_000 (positions [100_000,900_000) of X), the
   *   fee [1_300_000,1_500_000) 200_000. tx2: E = X's [0,850_000) holds 750_000, fee [850_000,900_000) 50_000.
   * - tiho: 1_000_000 tainted into the largest outputs: X 900_000, Y 100_000; then as fifo.
   */
  const expected: Record<TracePolicy, [bigint, bigint, bigint, bigint]> = {
    haircut: [566_667n, 266_667n, 166_666n, 0n],
    poison: [566_667n, 266_667n, 166_666n, 0n],
    fifo: [850_000n, 100_000n, 50_000n, 0n],
    lifo: [750_000n, 0n, 250_000n, 0n],
    tiho: [850_000n, 100_000n, 50_000n, 0n],
  };
  for (const [policy, [reached, unspent, fee, cutOff]] of Object.entries(expected)) {
    it(`${policy}: accounts for the 1_000_000 source satoshis exactly`, async () => {
      const result = await runTrace(test.db, base({ policy: policy as TracePolicy }));
      expect(result.summary).toMatchObject({
        sourceValue: 1_000_000n,
        reachedValue: reached,
        unspentValue: unspent,
        feeValue: fee,
        cutOffValue: cutOff,
      });
      conserved(result);
      expect(result.truncated).toBe(false);
      const exchange = node(result, `address:${E}`)!;
      expect(exchange.stopped).toBe(true);
      expect(exchange.hop).toBe(2);
      expect(exchange.tags.map((t) => t.category)).toEqual(['exchange']);
      // Poison marks E in full; the others show the satoshis that reached it.
      expect(exchange.taintedValue).toBe(policy === 'poison' ? 850_000n : reached);
      expect(node(result, `tx:${tx1.txid}`)!.hop).toBe(1);
      expect(result.summary.byCategory).toContainEqual({ category: 'exchange', value: reached });
    });
  }

  it('poison marks every output of a tainted tx in full, Y included', async () => {
    const result = await runTrace(test.db, base({ policy: 'poison' }));
    expect(node(result, `address:${Y}`)!.taintedValue).toBe(400_000n);
    expect(node(result, `tx:${tx1.txid}`)!.taintedValue).toBe(1_300_000n);
    // Poisoned in full: E 850_000 reached; Y 400_000 unspent; fees 200_000 + 50_000.
    expect(result.summary.poisoned).toEqual({
      reachedValue: 850_000n,
      unspentValue: 400_000n,
      feeValue: 250_000n,
      cutOffValue: 0n,
    });
  });

  it('maxHops 1 cuts off the taint still moving in X', async () => {
    // haircut: X 600_000 is spent beyond hop 1 → cut off; Y 266_667 unspent; fee 133_333.
    const result = await runTrace(test.db, base({ maxHops: 1 }));
    expect(result.summary).toMatchObject({
      reachedValue: 0n,
      unspentValue: 266_667n,
      feeValue: 133_333n,
      cutOffValue: 600_000n,
    });
    conserved(result);
    expect(node(result, `tx:${tx2.txid}`)).toBeUndefined();
  });

  it('maxNodes stops the walk and says so', async () => {
    // S, tx1, X, Y fill 4 nodes; tx2 and E would make 6: X's 600_000 is cut off there.
    const result = await runTrace(test.db, base({ maxNodes: 4 }));
    expect(result.truncated).toBe(true);
    expect(result.nodes).toHaveLength(4);
    expect(result.summary).toMatchObject({
      cutOffValue: 600_000n,
      unspentValue: 266_667n,
      feeValue: 133_333n,
    });
    conserved(result);
  });

  it('minValue leaves smaller taint unfollowed', async () => {
    // haircut: X carries 600_000 < 700_000 → cut off (spent); Y's 266_667 stays unspent.
    const result = await runTrace(test.db, base({ minValue: 700_000n }));
    expect(result.summary).toMatchObject({ cutOffValue: 600_000n, unspentValue: 266_667n, reachedValue: 0n });
    expect(node(result, `address:${X}`)).toBeUndefined();
    conserved(result);
  });

  it('walks backward from the exchange deposit to the sanctioned source', async () => {
    // E's 850_000 back through tx2 (inputs: X 900_000; the 50_000 fee is a clean filler): X 850_000.
    // tx1 reversed: X 900_000 (850_000 tainted), Y, fee → inputs s0 1_000_000 and c 500_000 in
    // proportion: s0 850_000·2/3 = 566_666 r 1_000_000, c 283_333 r 500_000; the 1 left to s0.
    // S is a stop (sanctioned): 566_667 reached; K's 283_333 is at maxHops 2: cut off.
    const result = await runTrace(
      test.db,
      base({ from: { addresses: [E] }, direction: 'backward', maxHops: 2, stopAt: ['sanctioned'] }),
    );
    expect(result.summary).toMatchObject({
      sourceValue: 850_000n,
      reachedValue: 566_667n,
      unspentValue: 0n,
      feeValue: 0n,
      cutOffValue: 283_333n,
    });
    conserved(result);
    const edgeIntoTx1 = result.edges.find((e) => e.from === `address:${S}` && e.to === `tx:${tx1.txid}`);
    expect(edgeIntoTx1?.taintedValue).toBe(566_667n);
  });

  it('walks backward to the coinbase and books mined coins as the origin', async () => {
    // fifo backward from Y (400_000): tx1's stream [X 900_000, Y 400_000, fee 200_000] over inputs
    // [s0 1_000_000, c 500_000]: Y = [900_000,1_300_000) → s0 holds [900_000,1_000_000) = 100_000,
    // c [0,300_000) = 300_000. Both go back to the funding tx and from there to the miner's coinbase.
    const result = await runTrace(
      test.db,
      base({ from: { addresses: [Y] }, direction: 'backward', policy: 'fifo', stopAt: [] }),
    );
    expect(result.summary.sourceValue).toBe(400_000n);
    expect(result.summary.unspentValue).toBe(400_000n);
    conserved(result);
    const fromS = result.edges.find((e) => e.from === `address:${S}`)!;
    const fromK = result.edges.find((e) => e.from === `address:${K}`)!;
    expect([fromS.taintedValue, fromK.taintedValue]).toEqual([100_000n, 300_000n]);
  });

  it('starts from outpoints', async () => {
    const result = await runTrace(test.db, base({ from: { outpoints: [{ txid: tx1.txid, n: 1 }] } }));
    // Y's 400_000 is unspent at hop 0.
    expect(result.summary).toMatchObject({ sourceValue: 400_000n, unspentValue: 400_000n });
  });

  it('refuses bad bounds and malformed outpoints', async () => {
    await expect(runTrace(test.db, base({ maxHops: 0 }))).rejects.toThrow(TraceInputError);
    await expect(runTrace(test.db, base({ maxHops: 21 }))).rejects.toThrow(/maxHops/);
    await expect(runTrace(test.db, base({ maxNodes: 10_001 }))).rejects.toThrow(/maxNodes/);
    await expect(runTrace(test.db, base({ from: { outpoints: [{ txid: 'zz', n: 0 }] } }))).rejects.toThrow(
      /txid/,
    );
    await expect(runTrace(test.db, base({ from: {} }))).rejects.toThrow(/at least one/);
  });

  it('finds the spend path S → tx1 → X → tx2 → E', async () => {
    const result = await findPaths(test.db, { from: [S], to: [E], maxHops: 5, maxPaths: 5 });
    expect(result.paths).toHaveLength(1);
    const [path] = result.paths;
    expect(path!.txids).toEqual([tx1.txid, tx2.txid]);
    expect(path!.links.map((l) => [l.address, l.value])).toEqual([
      [S, 1_000_000n],
      [X, 900_000n],
      [E, 850_000n],
    ]);
    const graph = pathsToFlowGraph(result);
    expect(graph.nodes.map((n) => n.id).sort()).toEqual(
      [`address:${S}`, `address:${X}`, `address:${E}`, `tx:${tx1.txid}`, `tx:${tx2.txid}`].sort(),
    );
    expect(graph.edges).toHaveLength(4);
    expect(graph.summary).toBeNull();
  });

  it('finds no path within too few hops, and none between unrelated sets', async () => {
    expect((await findPaths(test.db, { from: [S], to: [E], maxHops: 1, maxPaths: 5 })).paths).toEqual([]);
    expect((await findPaths(test.db, { from: [Y], to: [E], maxHops: 5, maxPaths: 5 })).paths).toEqual([]);
  });

  describe('through GraphQL', () => {
    const schema = createSchema({ typeDefs, resolvers });
    const run = (source: string, variableValues: Record<string, unknown>) =>
      graphql({
        schema,
        source,
        variableValues,
        contextValue: createApiContext(test.db, OPEN_PRINCIPAL, 100),
      });

    it('traces with the FIFO policy and resolves clusters and tags', async () => {
      const result = await run(
        `query ($a: String!) {
          trace(input: { from: { addresses: [$a] }, policy: FIFO, stopAt: ["exchange"] }) {
            summary { sourceValue reachedValue unspentValue feeValue cutOffValue byCategory { category value } poisoned { feeValue } }
            nodes { id kind hop stopped cluster { size } tags { category source } }
            edges { from to taintedValue n }
            truncated
          }
        }`,
        { a: S },
      );
      expect(result.errors).toBeUndefined();
      // biome-ignore lint/suspicious/noExplicitAny: a GraphQL response read as JSON
      const trace = (result.data as { trace: Record<string, any> }).trace;
      // FIFO figures worked out above: 850_000 reached, 100_000 unspent, 50_000 fees.
      expect(trace.summary).toEqual({
        sourceValue: '1000000',
        reachedValue: '850000',
        unspentValue: '100000',
        feeValue: '50000',
        cutOffValue: '0',
        byCategory: [{ category: 'exchange', value: '850000' }],
        poisoned: null,
      });
      const exchange = trace.nodes.find((n: { id: string }) => n.id === `address:${E}`);
      expect(exchange).toMatchObject({ kind: 'ADDRESS', hop: 2, stopped: true, cluster: { size: 1 } });
      expect(exchange.tags).toEqual([{ category: 'exchange', source: 'test' }]);
      expect(trace.nodes.find((n: { id: string }) => n.id === `tx:${tx2.txid}`)).toMatchObject({
        kind: 'TX',
        cluster: null,
      });
      expect(trace.edges).toContainEqual({
        from: `tx:${tx2.txid}`,
        to: `address:${E}`,
        taintedValue: '850000',
        n: 0,
      });
    });

    it('answers BAD_USER_INPUT for bad bounds and malformed addresses, and finds paths', async () => {
      const query = `query ($a: String!, $h: Int) { trace(input: { from: { addresses: [$a] }, maxHops: $h }) { truncated } }`;
      for (const [variables, message] of [
        [{ a: S, h: 0 }, /maxHops/],
        [{ a: S, h: 21 }, /maxHops/],
        [{ a: 'not-an-address-at-all', h: 2 }, /invalid address/],
      ] as const) {
        const result = await run(query, variables);
        expect(result.errors?.[0]?.extensions.code).toBe('BAD_USER_INPUT');
        expect(result.errors?.[0]?.message).toMatch(message);
      }
      const paths = await run(
        `query ($f: [String!]!, $t: [String!]!) { paths(from: $f, to: $t, maxHops: 4) {
           paths { hops txids links { address value spentByTxid } } nodes { id } edges { from to } truncated } }`,
        { f: [S], t: [E] },
      );
      expect(paths.errors).toBeUndefined();
      // biome-ignore lint/suspicious/noExplicitAny: a GraphQL response read as JSON
      const data = (paths.data as { paths: Record<string, any> }).paths;
      expect(data.paths).toEqual([
        {
          hops: 2,
          txids: [tx1.txid, tx2.txid],
          links: [
            { address: S, value: '1000000', spentByTxid: tx1.txid },
            { address: X, value: '900000', spentByTxid: tx2.txid },
            { address: E, value: '850000', spentByTxid: null },
          ],
        },
      ]);
      expect(data.nodes).toHaveLength(5);
      const badCluster = await run('{ paths(from: ["cluster:x"], to: ["cluster:1"]) { truncated } }', {});
      expect(badCluster.errors?.[0]?.extensions.code).toBe('BAD_USER_INPUT');
    });
  });
});
