import { randomUUID } from 'node:crypto';
import type { GroundTruth } from '@minetrace/devnet';
import type { Db } from '@minetrace/shared/db';
import { createTestDatabase, type TestDatabase } from '@minetrace/shared/db/testing';
import { createLogger } from '@minetrace/shared/log';
import { listTags } from '@minetrace/shared/tags';
import type { Redis } from 'ioredis';
import { type KyselyPlugin, RawNode, type RootOperationNode } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiKey } from '../auth/api-key.repository.js';
import { type ApiServer, createApiServer } from '../http/api-server.js';
import { closeTestRedis, connectTestRedis, indexDemoChain } from '../testing/index.js';

const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const MAINNET_ADDRESS = '1KFHE7w8BhaENAswwryaoccDb6qcT6DbYY';

interface GqlResponse {
  // biome-ignore lint/suspicious/noExplicitAny: GraphQL responses are checked field by field
  data?: any;
  errors?: Array<{ message: string; extensions?: Record<string, unknown> }>;
}

/** Counts the raw SQL statements that read the tags table by address, to see the loader batch them. */
function createTagQueryCounter(): { plugin: KyselyPlugin; count: () => number; reset(): void } {
  let n = 0;
  return {
    count: () => n,
    reset() {
      n = 0;
    },
    plugin: {
      transformQuery({ node }): RootOperationNode {
        if (RawNode.is(node) && node.sqlFragments.join('?').includes('FROM tags WHERE address = ANY')) n += 1;
        return node;
      },
      async transformResult({ result }) {
        return result;
      },
    },
  };
}

describe('tags over GraphQL on the indexed demo chain', () => {
  let test: TestDatabase;
  let db: Db;
  let redis: Redis;
  let truth: GroundTruth;
  let server: ApiServer;
  let url: string;
  const counter = createTagQueryCounter();
  const keys: Record<'investigator' | 'screener' | 'admin', string> = {} as never;
  const prefix = `minetrace-test:${randomUUID()}`;

  async function gql(query: string, variables: Record<string, unknown>, key: string): Promise<GqlResponse> {
    const response = await fetch(`${url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
      body: JSON.stringify({ query, variables }),
    });
    return (await response.json()) as GqlResponse;
  }

  const IMPORT = `mutation I($format: TagFormat!, $content: String!, $skip: Boolean) {
    importTags(format: $format, content: $content, skipInvalid: $skip) {
      read inserted updated unchanged skipped problems { at message } } }`;
  const TAG = `mutation T($addresses: [String!]!, $label: String!, $category: String!, $confidence: Float!) {
    tagAddresses(addresses: $addresses, label: $label, category: $category, confidence: $confidence) {
      read inserted updated unchanged } }`;

  /** The scenario's published tags as a CSV file, the way an investigator would hand them over. */
  const truthCsv = () =>
    [
      'address,label,category,source,confidence',
      ...truth.tags.map((t) => `${t.address},${t.label},${t.category},${t.source},${t.confidence}`),
    ].join('\n');

  beforeAll(async () => {
    redis = await connectTestRedis(REDIS_URL);
    test = await createTestDatabase('postgres');
    db = test.db.withPlugin(counter.plugin);
    truth = await indexDemoChain(test.db, { tags: false });
    for (const role of ['investigator', 'screener', 'admin'] as const) {
      keys[role] = (await createApiKey(test.db, { name: `${role} key`, role })).secret;
    }
    server = createApiServer({
      db,
      config: {
        API_HOST: '127.0.0.1',
        API_PORT: 0,
        API_MAX_COST: 10_000,
        API_MAX_DEPTH: 12,
        API_MAX_PAGE: 100,
        REDIS_URL,
      },
      logger: createLogger({ level: 'silent' }),
      rateLimitKeyPrefix: prefix,
    });
    url = await server.listen();
  }, 240_000);

  afterAll(async () => {
    await server?.close();
    await closeTestRedis(redis, prefix);
    await test?.close();
  });

  it('lets only the admin import, imports a file once, and a second import changes nothing', async () => {
    const n = truth.tags.length;
    expect(n).toBeGreaterThan(2);
    const forbidden = await gql(IMPORT, { format: 'CSV', content: truthCsv() }, keys.investigator);
    expect(forbidden.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    expect(await listTags(test.db, { category: 'exchange' })).toEqual([]);

    const first = await gql(IMPORT, { format: 'CSV', content: truthCsv() }, keys.admin);
    expect(first.errors).toBeUndefined();
    expect(first.data.importTags).toEqual({
      read: n,
      inserted: n,
      updated: 0,
      unchanged: 0,
      skipped: 0,
      problems: [],
    });
    const again = await gql(IMPORT, { format: 'CSV', content: truthCsv() }, keys.admin);
    expect(again.data.importTags).toMatchObject({ read: n, inserted: 0, updated: 0, unchanged: n });
    const stored = await listTags(test.db, { source: 'demo exchange attribution' });
    expect(stored.every((row) => row.created_by === 'admin key')).toBe(true);
  });

  it('refuses a file with addresses of another network, naming the lines, unless skipInvalid', async () => {
    const exchange = truth.tags.find((t) => t.category === 'exchange')!;
    const content = `address,label,category,source,confidence\n${exchange.address},Other,exchange,second list,0.4\n${MAINNET_ADDRESS},Mainnet,exchange,second list,0.4\n`;
    const refused = await gql(IMPORT, { format: 'CSV', content }, keys.admin);
    expect(refused.errors?.[0]?.extensions).toMatchObject({
      code: 'BAD_USER_INPUT',
      problems: [
        {
          at: 'line 3 (address)',
          message: `invalid address "${MAINNET_ADDRESS}": is a mainnet address, the index holds regtest`,
        },
      ],
    });
    expect(await listTags(test.db, { source: 'second list' })).toEqual([]);

    const skipped = await gql(IMPORT, { format: 'CSV', content, skip: true }, keys.admin);
    expect(skipped.data.importTags).toMatchObject({
      read: 1,
      inserted: 1,
      skipped: 1,
      problems: [{ at: 'line 3 (address)' }],
    });
  });

  it('shows every source’s tag on an address, never merged', async () => {
    const [a, b] = truth.tags.filter((t) => t.category === 'exchange');
    const { data, errors } = await gql(
      `query A($a: String!, $b: String!) {
        a: address(address: $a) { tags { label category source confidence actor abuse isClusterDefiner createdAt } }
        b: address(address: $b) { tags { label source } } }`,
      { a: a!.address, b: b!.address },
      keys.investigator,
    );
    expect(errors).toBeUndefined();
    const tagsOfA = data.a.tags as Array<Record<string, unknown>>;
    expect(tagsOfA.map((t) => [t.label, t.source, t.confidence])).toContainEqual([
      'Demo Exchange',
      'demo exchange attribution',
      1,
    ]);
    // The second list tagged the first exchange address too: both claims, highest confidence first.
    expect(tagsOfA.map((t) => t.source)).toEqual(['demo exchange attribution', 'second list']);
    expect(tagsOfA[0]).toMatchObject({
      category: 'exchange',
      actor: null,
      abuse: null,
      isClusterDefiner: false,
    });
    expect(Number.isNaN(Date.parse(tagsOfA[0]!.createdAt as string))).toBe(false);
    expect(data.b.tags).toContainEqual({ label: 'Demo Exchange', source: 'demo exchange attribution' });
  });

  it('summarises a cluster’s tags with counts, each source kept apart, and lets investigators add their own', async () => {
    const exchange = new Set(truth.tags.filter((t) => t.category === 'exchange').map((t) => t.address));
    // The exchange's sweeps merge its deposits into one cluster; count its tagged members from the
    // tables alone.
    const members = await db
      .selectFrom('addresses as a')
      .innerJoin('address_clusters as ac', 'ac.address_id', 'a.id')
      .select(['a.address', 'ac.cluster_id'])
      .where('a.address', 'in', [...exchange])
      .execute();
    expect(members.length).toBeGreaterThan(1);
    const clusterId = members[0]!.cluster_id!;
    const tagged = members.filter((m) => m.cluster_id === clusterId).map((m) => m.address);
    expect(tagged.length).toBeGreaterThan(1);

    const tag = await gql(
      TAG,
      { addresses: tagged.slice(0, 2), label: 'Suspected exchange', category: 'Exchange', confidence: 0.3 },
      keys.investigator,
    );
    expect(tag.errors).toBeUndefined();
    expect(tag.data.tagAddresses).toEqual({ read: 2, inserted: 2, updated: 0, unchanged: 0 });

    const { data, errors } = await gql(
      `query C($id: ID!) { cluster(id: $id) { size tags { label source }
        tagSummary { addressCount tag { label category source confidence } } } }`,
      { id: String(clusterId) },
      keys.investigator,
    );
    expect(errors).toBeUndefined();
    const summary = data.cluster.tagSummary as Array<{ addressCount: number; tag: Record<string, unknown> }>;
    const secondListInCluster = tagged.includes(truth.tags.find((t) => t.category === 'exchange')!.address)
      ? 1
      : 0;
    expect(summary).toEqual([
      {
        addressCount: tagged.length,
        tag: {
          label: 'Demo Exchange',
          category: 'exchange',
          source: 'demo exchange attribution',
          confidence: 1,
        },
      },
      {
        addressCount: 2,
        tag: {
          label: 'Suspected exchange',
          category: 'exchange',
          source: 'investigator key',
          confidence: 0.3,
        },
      },
      ...(secondListInCluster === 1
        ? [
            {
              addressCount: 1,
              tag: { label: 'Other', category: 'exchange', source: 'second list', confidence: 0.4 },
            },
          ]
        : []),
    ]);
    expect(data.cluster.tags).toEqual(summary.map((s) => ({ label: s.tag.label, source: s.tag.source })));

    // Every member's tags in one read of the tags table, whether the page holds 1 member or all.
    for (const first of [1, data.cluster.size as number]) {
      counter.reset();
      const page = await gql(
        'query P($id: ID!, $first: Int) { cluster(id: $id) { addresses(first: $first) { edges { node { tags { label } } } } } }',
        { id: String(clusterId), first },
        keys.investigator,
      );
      expect(page.errors).toBeUndefined();
      expect(page.data.cluster.addresses.edges).toHaveLength(first);
      expect(counter.count()).toBe(1);
    }
  });

  it('keeps the screener from tagging, refuses bad addresses, and removes only the caller’s own tags', async () => {
    const address = truth.tags[1]!.address;
    const screener = await gql(
      TAG,
      { addresses: [address], label: 'x', category: 'y', confidence: 1 },
      keys.screener,
    );
    expect(screener.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');

    const bad = await gql(
      TAG,
      { addresses: [address, MAINNET_ADDRESS], label: 'x', category: 'y', confidence: 1 },
      keys.investigator,
    );
    expect(bad.errors?.[0]?.extensions).toMatchObject({
      code: 'BAD_USER_INPUT',
      problems: [{ at: 'addresses[1]' }],
    });
    const tooSure = await gql(
      TAG,
      { addresses: [address], label: 'x', category: 'y', confidence: 1.5 },
      keys.investigator,
    );
    expect(tooSure.errors?.[0]?.extensions).toMatchObject({
      code: 'BAD_USER_INPUT',
      problems: [{ at: 'confidence' }],
    });

    await gql(
      TAG,
      { addresses: [address], label: 'Mine', category: 'exchange', confidence: 0.5 },
      keys.investigator,
    );
    await gql(
      TAG,
      { addresses: [address], label: 'Mine', category: 'exchange', confidence: 0.5 },
      keys.admin,
    );
    const removed = await gql(
      'mutation R($a: [String!]!) { removeTags(addresses: $a, label: "Mine") }',
      { a: [address] },
      keys.investigator,
    );
    expect(removed.data.removeTags).toBe(1);
    const left = (await listTags(test.db)).filter((row) => row.address === address && row.label === 'Mine');
    expect(left.map((row) => row.source)).toEqual(['admin key']);
  });
});
