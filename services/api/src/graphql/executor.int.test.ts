import type { GroundTruth } from '@minetrace/devnet';
import { createTestDatabase, type TestDatabase } from '@minetrace/shared/db/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiKey } from '../auth/api-key.repository.js';
import { type ApiServerSet, indexDemoChain, listenApiServers } from '../testing/index.js';

/**
 * Operations run through graphql-js's `execute` unless the server is told to use yoga's own executor
 * (@graphql-tools/executor). Both servers must give the same status and body to every operation on
 * the indexed demo chain: every kind of field, fragments, aliases, directives, introspection, errors
 * beside data, refusals and operation names.
 */
describe("GraphQL answers from graphql-js's executor and from yoga's", () => {
  let test: TestDatabase;
  let truth: GroundTruth;
  let servers: ApiServerSet<'graphqlJs' | 'yoga'> | undefined;
  let key = '';

  beforeAll(async () => {
    test = await createTestDatabase('postgres');
    truth = await indexDemoChain(test.db, { tags: true });
    key = (await createApiKey(test.db, { name: 'investigator key', role: 'investigator' })).secret;
    servers = await listenApiServers(
      test.db,
      { API_MAX_COST: 100_000 },
      {
        graphqlJs: { executor: 'graphql-js' },
        yoga: { executor: 'yoga' },
      },
    );
  }, 240_000);

  afterAll(async () => {
    await servers?.close();
    await test?.close();
  });

  async function ask(base: string, body: string) {
    const response = await fetch(`${base}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
      body,
    });
    return { status: response.status, text: await response.text() };
  }

  const suspect = () => truth.entities.find((entity) => entity.kind === 'suspect')!;
  const paidBlock = () => truth.payouts[0]!.height;

  const cases: Array<[string, () => { query: string; variables?: object; operationName?: string }]> = [
    [
      'the tip, pools and their payouts',
      () => ({
        query: `{ tip { height hash time timestamp }
        pools { name slug link blocksMined rewardTotal payouts(first: 3) { edges { cursor node { value hop } } } } }`,
      }),
    ],
    [
      'a block with its transactions, inputs and outputs',
      () => ({
        query: `query B($h: Int) { block(height: $h) { hash height time pool { slug } poolMatch coinbaseTag subsidy fees
          reward txCount transactions(first: 5) { edges { cursor node { txid isCoinbase fee vsize block { height }
            inputs { prevout { txid n } address value } outputs { n value scriptType address spentBy { txid } } } }
          pageInfo { hasNextPage endCursor } } } }`,
        variables: { h: paidBlock() },
      }),
    ],
    [
      'a block page filtered by pool',
      () => ({
        query: `query P($pool: String) { blocks(first: 4, pool: $pool) { edges { node { height pool { name } } }
          pageInfo { hasNextPage endCursor } } }`,
        variables: { pool: truth.blocks.find((block) => block.pool !== null)!.pool },
      }),
    ],
    [
      'an address with every field',
      () => ({
        query: `query A($a: String!) { address(address: $a) { address scriptType received sent balance txCount
          firstSeen { height } transactions(first: 3) { edges { node { txid } } }
          cluster { id size addresses(first: 3) { edges { node { address } } } received balance tags { label }
            pools { slug } }
          tags { label category source confidence } payoutsReceived(first: 4) { edges { node { value hop
            pool { slug } block { height } payoutTx { txid } sourceTx { txid } recipient { address } } } } } }`,
        variables: { a: suspect().addresses[0] },
      }),
    ],
    [
      'payouts by recipient and time',
      () => ({
        query: `query P($r: String, $from: DateTime) { payouts(recipient: $r, fromTime: $from, first: 10) {
          edges { node { value hop n pool { slug } } } pageInfo { hasNextPage } } }`,
        variables: { r: suspect().addresses[0], from: '2009-01-03T18:15:05Z' },
      }),
    ],
    [
      "the suspect's mining income per week",
      () => ({
        query: `query I($a: [String!]) { miningIncome(addresses: $a, bucket: WEEK) {
          rows { bucketStart pool { name slug } value payoutCount } totalValue totalPayoutCount } }`,
        variables: { a: suspect().addresses },
      }),
    ],
    [
      'screening',
      () => ({
        query: `query S($a: [String!]!) { screen(addresses: $a) { address risk received truncated
          reasons { kind risk detail hops tag { label } } cluster { id size } } }`,
        variables: { a: suspect().addresses.slice(0, 3) },
      }),
    ],
    [
      'a trace',
      () => ({
        query: `query T($a: [String!]) { trace(input: { from: { addresses: $a }, policy: HAIRCUT, maxHops: 3, maxNodes: 50 }) {
          nodes { id kind txid address tags { label } } edges { from to value taintedValue hop time n }
          summary { sourceValue reachedValue unspentValue feeValue } truncated } }`,
        variables: { a: suspect().addresses.slice(0, 2) },
      }),
    ],
    [
      'fragments, aliases and __typename',
      () => ({
        query: `query F($h: Int, $g: Int) { first: block(height: $h) { ...B } second: block(height: $g) { ...B __typename } }
        fragment B on Block { height hash pool { ... on Pool { slug } } }`,
        variables: { h: 1, g: 2 },
      }),
    ],
    [
      'fields of fragments between fields',
      () => ({
        query: `query G($h: Int) { block(height: $h) { hash ...Counts height ... on Block { time } reward }
          tip { ...Tip } } fragment Counts on Block { txCount subsidy } fragment Tip on Tip { time height }`,
        variables: { h: 5 },
      }),
    ],
    [
      'a fragment spread twice, once left out',
      () => ({
        query: `query D($a: Boolean!) { first: block(height: 1) { ...H @include(if: $a) }
          second: block(height: 2) { ...H } } fragment H on Block { height hash }`,
        variables: { a: false },
      }),
    ],
    [
      '@include and @skip from variables',
      () => ({
        query: `query D($with: Boolean!, $h: Int) { block(height: $h) { height hash @include(if: $with)
          txCount @skip(if: $with) } }`,
        variables: { with: false, h: 3 },
      }),
    ],
    [
      'introspection',
      () => ({ query: '{ __schema { queryType { name } } __type(name: "Sats") { name kind } }' }),
    ],
    // One failing field per operation: the executor lists errors in the order their resolvers failed.
    ['an unknown height', () => ({ query: '{ tip { height } block(height: 99999999) { height } }' })],
    ['an unknown pool', () => ({ query: '{ pool(slug: "no-such-pool") { name } pools { slug } }' })],
    [
      'an error beside data',
      () => ({
        query: `query E($a: String!) { ok: tip { height } bad: address(address: "not-an-address") { balance }
          good: address(address: $a) { balance } }`,
        variables: { a: suspect().addresses[0] },
      }),
    ],
    ['an unknown cluster id', () => ({ query: '{ cluster(id: "999999999") { size } }' })],
    [
      'a variable of the wrong type',
      () => ({ query: 'query A($h: Int) { block(height: $h) { height } }', variables: { h: 'x' } }),
    ],
    [
      'a cost over the limit',
      () => ({
        query:
          '{ blocks(first: 100) { edges { node { transactions(first: 100) { edges { node { inputs { value } } } } } } } }',
      }),
    ],
    [
      'two operations, the second named',
      () => ({
        query: 'query One { tip { height } } query Two { pools { slug } }',
        operationName: 'Two',
      }),
    ],
  ];

  it.each(cases)('%s', async (_name, body) => {
    const text = JSON.stringify(body());
    const graphqlJs = await ask(servers!.urls.graphqlJs, text);
    const yoga = await ask(servers!.urls.yoga, text);
    expect(graphqlJs).toEqual(yoga);
    expect(graphqlJs.status).toBeLessThan(500);
  });
});
