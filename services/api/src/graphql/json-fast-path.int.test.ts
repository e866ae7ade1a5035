import type { GroundTruth } from '@minetrace/devnet';
import { createTestDatabase, type TestDatabase } from '@minetrace/shared/db/testing';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiKey } from '../auth/api-key.repository.js';
import { type ApiServerSet, indexDemoChain, listenApiServers } from '../testing/index.js';

/**
 * Plain JSON operations take the handler's fast path; with it off, yoga's HTTP layer answers them.
 * The two servers must give the same status, media type and body to every request, including
 * errors, refusals and audit-relevant shapes, on the indexed demo chain.
 */
describe('GraphQL answers with and without the JSON fast path', () => {
  let test: TestDatabase;
  let truth: GroundTruth;
  let servers: ApiServerSet<'fast' | 'yoga'> | undefined;
  const keys: Record<'investigator' | 'screener', string> = { investigator: '', screener: '' };

  beforeAll(async () => {
    test = await createTestDatabase('postgres');
    truth = await indexDemoChain(test.db, { tags: false });
    for (const role of ['investigator', 'screener'] as const) {
      keys[role] = (await createApiKey(test.db, { name: `${role} key`, role })).secret;
    }
    servers = await listenApiServers(
      test.db,
      { API_MAX_COST: 10_000 },
      {
        fast: { jsonFastPath: true },
        yoga: { jsonFastPath: false },
      },
    );
  }, 240_000);

  afterAll(async () => {
    await servers?.close();
    await test?.close();
  });

  async function ask(base: string, body: string, role: keyof typeof keys, extra: Record<string, string>) {
    const response = await fetch(`${base}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${keys[role]}`, ...extra },
      body,
    });
    return {
      status: response.status,
      type: response.headers.get('content-type'),
      text: await response.text(),
    };
  }

  const suspect = () => truth.entities.find((entity) => entity.kind === 'suspect')!;

  const cases: Array<[string, () => object, (keyof typeof keys)?, Record<string, string>?]> = [
    [
      'the tip and pools',
      () => ({ query: '{ tip { height hash time } pools { slug blocksMined rewardTotal } }' }),
    ],
    [
      'an address with its totals, cluster and payouts',
      () => ({
        query: `query A($a: String!) { address(address: $a) { address scriptType received sent balance txCount
          firstSeen { height } cluster { id size } payoutsReceived(first: 5) { edges { cursor node { value hop } } } } }`,
        variables: { a: suspect().addresses[0] },
        operationName: 'A',
      }),
    ],
    [
      "the suspect's mining income",
      () => ({
        query: `query I($a: [String!]) { miningIncome(addresses: $a, bucket: DAY) {
          rows { bucketStart pool { slug } value payoutCount } totalValue totalPayoutCount } }`,
        variables: { a: suspect().addresses },
      }),
    ],
    [
      'a block page',
      () => ({
        query:
          '{ blocks(first: 3) { edges { node { height hash txCount } } pageInfo { hasNextPage endCursor } } }',
      }),
    ],
    ['a malformed address', () => ({ query: '{ address(address: "not-an-address") { balance } }' })],
    ['an unknown txid', () => ({ query: `{ transaction(txid: "${'ab'.repeat(32)}") { txid } }` })],
    [
      'a cost over the limit',
      () => ({
        query:
          '{ blocks(first: 100) { edges { node { transactions(first: 100) { edges { node { txid } } } } } } }',
      }),
    ],
    [
      'a variable of the wrong type',
      () => ({ query: 'query A($a: String!) { address(address: $a) { balance } }', variables: { a: 7 } }),
    ],
    [
      'a trace the screener role may not run',
      () => ({
        query: `{ trace(input: { from: ["${suspect().addresses[0]}"], policy: HAIRCUT }) { summary { nodeCount } } }`,
      }),
      'screener',
    ],
    [
      'variables nested deeper than the limit',
      () => {
        let deep: unknown = 'x';
        for (let i = 0; i < 1000; i++) deep = [deep];
        return { query: '{ tip { height } }', variables: { a: deep } };
      },
    ],
    [
      'a content type yoga does not read as JSON',
      () => ({ query: '{ tip { height } }' }),
      'investigator',
      { 'content-type': 'Application/JSON' },
    ],
    [
      'an answer asked for in another charset',
      () => ({ query: '{ tip { height } }' }),
      'investigator',
      { accept: 'application/json; charset=iso-8859-1' },
    ],
    ['a syntax error', () => ({ query: '{ tip {' })],
    ['an unknown field', () => ({ query: '{ tip { nope } }' })],
    ['a batch', () => [{ query: '{ tip { height } }' }]],
    ['a parameter GraphQL does not define', () => ({ query: '{ tip { height } }', other: 1 })],
    [
      'a browser on another origin',
      () => ({ query: '{ tip { height } }' }),
      'investigator',
      { origin: 'https://example.org' },
    ],
  ];

  it.each(cases)('%s', async (_name, body, role = 'investigator', extra = {}) => {
    const text = JSON.stringify(body());
    const fast = await ask(servers!.urls.fast, text, role, extra);
    const yoga = await ask(servers!.urls.yoga, text, role, extra);
    expect(fast).toEqual(yoga);
    expect(fast.status).toBeLessThan(500);
  });

  it('masks a failure the resolvers did not expect as yoga does, beside the data that resolved', async () => {
    // The tags table gone: the tag lookup fails inside Postgres, with a cause clients must not see.
    await sql`ALTER TABLE tags RENAME TO tags_away`.execute(test.db);
    try {
      const text = JSON.stringify({
        query: `{ tip { height } address(address: "${suspect().addresses[0]}") { balance tags { label } } }`,
      });
      const fast = await ask(servers!.urls.fast, text, 'investigator', {});
      const yoga = await ask(servers!.urls.yoga, text, 'investigator', {});
      expect(fast).toEqual(yoga);
      const body = JSON.parse(fast.text);
      expect(body.data.tip.height).toBeGreaterThan(0);
      expect(body.errors).toEqual([
        {
          message: 'Unexpected error.',
          locations: expect.any(Array),
          path: ['address', 'tags'],
          extensions: { code: 'INTERNAL_SERVER_ERROR' },
        },
      ]);
      expect(fast.text).not.toMatch(/tags_away|relation|postgres|stack|\.ts:/i);
    } finally {
      await sql`ALTER TABLE tags_away RENAME TO tags`.execute(test.db);
    }
  });

  it('never runs a string argument as code, however often the query repeats', async () => {
    // graphql-jit (not used: see graphqlJsExecutor) writes literal arguments into the JavaScript it
    // compiles, and turns a string after this marker into `new Date(<the rest>)`, run as code. A
    // query compiler or cache that did the same would set the global on a repeat of this query.
    const marker = '__MAGIC_DATE__33a9e76d_02e0_4128_8e92_3530ad3da74d';
    const payload = `${marker}0+(globalThis.__minetraceProbe=(globalThis.__minetraceProbe||0)+1)`;
    const text = JSON.stringify({
      query: `{ tip { height } pool(slug: ${JSON.stringify(payload)}) { name } }`,
    });
    const global = globalThis as { __minetraceProbe?: number };
    for (let run = 0; run < 5; run++) {
      for (const base of [servers!.urls.fast, servers!.urls.yoga]) {
        const answer = await ask(base, text, 'investigator', {});
        expect(answer.status).toBeLessThan(500);
        expect(JSON.parse(answer.text).errors[0].extensions.code).toBe('NOT_FOUND');
      }
    }
    expect(global.__minetraceProbe).toBeUndefined();
  });
});
