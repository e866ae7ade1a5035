import { createHash, randomUUID } from 'node:crypto';
import { createWallet, type GroundTruth } from '@minetrace/devnet';
import type { Db } from '@minetrace/shared/db';
import { createTestDatabase, type TestDatabase } from '@minetrace/shared/db/testing';
import { createLogger } from '@minetrace/shared/log';
import type { Redis } from 'ioredis';
import { type KyselyPlugin, type RootOperationNode, SelectQueryNode } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiKey } from '../auth/api-key.repository.js';
import { createAuthenticator } from '../auth/authenticator.js';
import { type ApiServer, type ApiServerConfig, createApiServer } from '../http/api-server.js';
import { closeTestRedis, connectTestRedis, indexDemoChain } from '../testing/index.js';

const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const MAX_COST = 10_000;
const MAX_DEPTH = 12;
const MAX_PAGE = 100;

interface GqlResponse {
  status: number;
  text: string;
  // biome-ignore lint/suspicious/noExplicitAny: GraphQL responses are checked field by field
  data?: any;
  errors?: Array<{ message: string; extensions?: Record<string, unknown> }>;
}

/** Counts the SELECTs the API's resolvers send, with the tables they read. */
function createQueryCounter(): { plugin: KyselyPlugin; selects: string[]; reset(): void } {
  const selects: string[] = [];
  return {
    selects,
    reset() {
      selects.length = 0;
    },
    plugin: {
      transformQuery({ node }): RootOperationNode {
        if (SelectQueryNode.is(node)) {
          const from = node.from?.froms[0];
          const table =
            from !== undefined && 'table' in from
              ? String((from as { table: { identifier: { name: string } } }).table.identifier.name)
              : 'raw';
          selects.push(table);
        } else if (node.kind === 'RawNode') {
          selects.push('raw');
        }
        return node;
      },
      async transformResult({ result }) {
        return result;
      },
    },
  };
}

describe('GraphQL API over HTTP on the indexed demo chain', () => {
  let test: TestDatabase;
  let db: Db;
  let redis: Redis;
  let truth: GroundTruth;
  /** Header time (unix seconds) of every active block, as the devnet stamped it. */
  const blockTime = new Map<number, number>();
  const counter = createQueryCounter();
  const servers: ApiServer[] = [];
  let url: string;
  const keys: Record<'investigator' | 'screener' | 'admin', { secret: string; id: bigint }> = {} as never;
  const prefix = `minetrace-test:${randomUUID()}`;

  async function startServer(config: Partial<ApiServerConfig> = {}): Promise<string> {
    const server = createApiServer({
      db,
      config: {
        API_HOST: '127.0.0.1',
        API_PORT: 0,
        API_MAX_COST: MAX_COST,
        API_MAX_DEPTH: MAX_DEPTH,
        API_MAX_PAGE: MAX_PAGE,
        REDIS_URL,
        ...config,
      },
      logger: createLogger({ level: process.env.TEST_LOG_LEVEL === 'debug' ? 'debug' : 'silent' }),
      rateLimitKeyPrefix: `${prefix}:${servers.length}`,
    });
    servers.push(server);
    return server.listen();
  }

  async function gql(
    query: string,
    variables?: Record<string, unknown>,
    options: { key?: string | null; base?: string; operationName?: string } = {},
  ): Promise<GqlResponse> {
    const key = options.key === undefined ? keys.investigator.secret : options.key;
    const response = await fetch(`${options.base ?? url}/graphql`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        ...(key === null ? {} : { authorization: `Bearer ${key}` }),
      },
      body: JSON.stringify({ query, variables, operationName: options.operationName }),
    });
    const text = await response.text();
    return { status: response.status, text, ...JSON.parse(text) };
  }

  /** Pages through a connection to its end, checking that cursors chain and pages are full. */
  async function pageAll(
    query: string,
    path: (data: GqlResponse['data']) => {
      edges: Array<{ cursor: string; node: unknown }>;
      pageInfo: { hasNextPage: boolean; endCursor: string | null };
    },
    variables: Record<string, unknown>,
    first: number,
  ): Promise<Array<{ cursor: string; node: unknown }>> {
    const all: Array<{ cursor: string; node: unknown }> = [];
    let after: string | null = null;
    for (let page = 0; page < 1000; page++) {
      const result = await gql(query, { ...variables, first, after });
      expect(result.errors).toBeUndefined();
      const connection = path(result.data);
      all.push(...connection.edges);
      if (!connection.pageInfo.hasNextPage) return all;
      expect(connection.edges).toHaveLength(first);
      expect(connection.pageInfo.endCursor).toBe(connection.edges.at(-1)!.cursor);
      after = connection.pageInfo.endCursor;
    }
    throw new Error('more than 1000 pages');
  }

  beforeAll(async () => {
    redis = await connectTestRedis(REDIS_URL);
    test = await createTestDatabase('postgres');
    db = test.db.withPlugin(counter.plugin);
    truth = await indexDemoChain(test.db, {
      tags: false,
      onBlock: (block) => blockTime.set(block.height, block.time),
    });
    for (const role of ['investigator', 'screener', 'admin'] as const) {
      const { secret, key } = await createApiKey(test.db, { name: `${role} key`, role });
      keys[role] = { secret, id: key.id };
    }
    url = await startServer();
  }, 240_000);

  afterAll(async () => {
    for (const server of servers) await server.close();
    await closeTestRedis(redis, prefix);
    await test?.close();
  });

  describe('lookups against the scenario ground truth', () => {
    it('reports the tip the scenario built', async () => {
      const { data } = await gql('{ tip { height hash time timestamp } }');
      expect(data.tip.height).toBe(truth.tip.height);
      expect(data.tip.hash).toBe(truth.tip.hash);
      expect(data.tip.time).toBe(new Date(data.tip.timestamp * 1000).toISOString());
    });

    it('pages through every block, newest first, with the pool of each', async () => {
      const edges = await pageAll(
        'query Blocks($first: Int, $after: String) { blocks(first: $first, after: $after) { edges { cursor node { height hash pool { slug } } } pageInfo { hasNextPage endCursor } } }',
        (data) => data.blocks,
        {},
        MAX_PAGE,
      );
      const nodes = edges.map(
        (edge) => edge.node as { height: number; hash: string; pool: { slug: string } | null },
      );
      expect(nodes.map((node) => node.height)).toEqual(truth.blocks.map((block) => block.height).reverse());
      for (const node of nodes) {
        const expected = truth.blocks[node.height]!;
        expect(node.hash).toBe(expected.hash);
        expect(node.pool?.slug ?? null).toBe(expected.pool);
      }
    });

    it("lists every pool's blocks, filtered by pool, and counts them", async () => {
      const pools = (await gql('{ pools { slug name blocksMined rewardTotal } }')).data.pools as Array<{
        slug: string;
        name: string;
        blocksMined: number;
        rewardTotal: string;
      }>;
      for (const pool of truth.pools) {
        const expected = truth.blocks
          .filter((block) => block.pool === pool.slug)
          .map((block) => block.height);
        const edges = await pageAll(
          'query PoolBlocks($pool: String, $first: Int, $after: String) { blocks(pool: $pool, first: $first, after: $after) { edges { cursor node { height subsidy fees reward } } pageInfo { hasNextPage endCursor } } }',
          (data) => data.blocks,
          { pool: pool.slug },
          7,
        );
        const nodes = edges.map(
          (edge) => edge.node as { height: number; subsidy: string; fees: string; reward: string },
        );
        expect(nodes.map((node) => node.height)).toEqual([...expected].reverse());
        const listed = pools.find((entry) => entry.slug === pool.slug);
        expect(listed).toMatchObject({ name: pool.name, blocksMined: expected.length });
        const rewards = nodes.reduce((sum, node) => sum + BigInt(node.reward), 0n);
        expect(listed!.rewardTotal).toBe(rewards.toString());
        for (const node of nodes) expect(BigInt(node.reward)).toBe(BigInt(node.subsidy) + BigInt(node.fees));
      }
    });

    it('finds a block by height and by hash, with its transactions in block order', async () => {
      const expected = truth.blocks.find((block) => block.pool !== null && block.height > 100)!;
      const query =
        'query B($height: Int, $hash: String) { block(height: $height, hash: $hash) { height hash txCount transactions(first: 100) { edges { node { index isCoinbase } } } } }';
      const byHeight = (await gql(query, { height: expected.height })).data.block;
      const byHash = (await gql(query, { hash: expected.hash.toUpperCase() })).data.block;
      expect(byHash).toEqual(byHeight);
      expect(byHeight.hash).toBe(expected.hash);
      const txs = byHeight.transactions.edges.map(
        (edge: { node: { index: number; isCoinbase: boolean } }) => edge.node,
      );
      expect(txs.map((tx: { index: number }) => tx.index)).toEqual([...Array(byHeight.txCount).keys()]);
      expect(txs.map((tx: { isCoinbase: boolean }) => tx.isCoinbase)).toEqual(
        txs.map((_: unknown, i: number) => i === 0),
      );
    });

    it("shows each payout's output and, past hop 0, the pool output it spent", async () => {
      const sample = [
        ...truth.payouts.filter((payout) => payout.hop === 0).slice(0, 3),
        ...truth.payouts.filter((payout) => payout.hop >= 1).slice(0, 5),
      ];
      for (const payout of sample) {
        const { data, errors } = await gql(
          `query T($txid: String!) { transaction(txid: $txid) { txid isCoinbase fee vsize block { height }
             inputs { prevout { txid n } address value } outputs { n value scriptType address spentBy { txid input } } } }`,
          { txid: payout.payoutTxid },
        );
        expect(errors).toBeUndefined();
        const tx = data.transaction;
        expect(tx.block.height).toBe(payout.height);
        expect(tx.isCoinbase).toBe(payout.hop === 0);
        expect(tx.outputs[payout.vout]).toMatchObject({
          n: payout.vout,
          address: payout.recipient,
          value: payout.value,
        });
        if (payout.hop === 0) {
          expect(tx.inputs).toEqual([{ prevout: null, address: null, value: null }]);
          expect(tx.fee).toBe('0');
        } else {
          expect(tx.inputs.map((input: { prevout: { txid: string } }) => input.prevout.txid)).toContain(
            payout.sourceTxid,
          );
          const paidIn = tx.inputs.reduce(
            (sum: bigint, input: { value: string }) => sum + BigInt(input.value),
            0n,
          );
          const paidOut = tx.outputs.reduce(
            (sum: bigint, output: { value: string }) => sum + BigInt(output.value),
            0n,
          );
          expect(BigInt(tx.fee)).toBe(paidIn - paidOut);
        }
      }
    });

    it("totals an address's flows and lists its transactions, the payouts it received among them", async () => {
      const recipient = truth.payouts.find((payout) => payout.hop >= 1)!.recipient;
      const { data } = await gql(
        `query A($address: String!) { address(address: $address) { address scriptType firstSeen { height }
           received sent balance txCount cluster { id size } payoutsReceived(first: 100) { edges { node { value payoutTx { txid } } } } } }`,
        { address: recipient },
      );
      const address = data.address;
      expect(BigInt(address.balance)).toBe(BigInt(address.received) - BigInt(address.sent));
      const edges = await pageAll(
        'query AT($address: String!, $first: Int, $after: String) { address(address: $address) { transactions(first: $first, after: $after) { edges { cursor node { txid block { height } } } pageInfo { hasNextPage endCursor } } } }',
        (d) => d.address.transactions,
        { address: recipient },
        2,
      );
      expect(edges).toHaveLength(address.txCount);
      const txids = new Set(edges.map((edge) => (edge.node as { txid: string }).txid));
      expect(txids.size).toBe(edges.length);
      const heights = edges.map((edge) => (edge.node as { block: { height: number } }).block.height);
      expect(heights).toEqual([...heights].sort((a, b) => b - a));
      const truthPayouts = truth.payouts.filter((payout) => payout.recipient === recipient);
      for (const payout of truthPayouts) expect(txids).toContain(payout.payoutTxid);
      expect(Math.min(...truthPayouts.map((payout) => payout.height))).toBeGreaterThanOrEqual(
        address.firstSeen.height,
      );
      const received = truthPayouts.reduce((sum, payout) => sum + BigInt(payout.value), 0n);
      expect(BigInt(address.received)).toBeGreaterThanOrEqual(received);
    });

    it('recovers the payouts through the API (precision and recall at least 0.99), paging in chain order', async () => {
      const edges = await pageAll(
        `query P($first: Int, $after: String) { payouts(first: $first, after: $after) { edges { cursor node {
           pool { slug } block { height } payoutTx { txid } n sourceTx { txid } recipient { address } value hop } }
           pageInfo { hasNextPage endCursor } } }`,
        (data) => data.payouts,
        {},
        MAX_PAGE,
      );
      type Node = {
        pool: { slug: string };
        block: { height: number };
        payoutTx: { txid: string };
        n: number;
        recipient: { address: string };
        value: string;
        hop: number;
      };
      const nodes = edges.map((edge) => edge.node as Node);
      const heights = nodes.map((node) => node.block.height);
      expect(heights).toEqual([...heights].sort((a, b) => a - b));
      const expected = new Map(
        truth.payouts.map((payout) => [`${payout.payoutTxid}:${payout.vout}`, payout]),
      );
      let matched = 0;
      for (const node of nodes) {
        const payout = expected.get(`${node.payoutTx.txid}:${node.n}`);
        if (payout === undefined) continue;
        if (
          payout.recipient === node.recipient.address &&
          payout.value === node.value &&
          payout.pool === node.pool.slug &&
          payout.height === node.block.height
        ) {
          matched += 1;
        }
      }
      expect(matched / nodes.length).toBeGreaterThanOrEqual(0.99);
      expect(matched / truth.payouts.length).toBeGreaterThanOrEqual(0.99);
    });

    it("sums a miner's income per day and pool as the scenario paid it", async () => {
      const miners = truth.entities.filter((entity) => entity.kind === 'miner');
      let exact = 0;
      for (const miner of miners) {
        const { data, errors } = await gql(
          'query I($a: [String!]) { miningIncome(addresses: $a, bucket: DAY) { rows { bucketStart pool { slug } value payoutCount } totalValue totalPayoutCount } }',
          { a: miner.addresses },
        );
        expect(errors).toBeUndefined();
        const expected = truth.income
          .filter((row) => row.entity === miner.name)
          .map((row) => ({ day: row.day, pool: row.pool, value: row.value, payoutCount: row.payoutCount }));
        const got = data.miningIncome.rows.map(
          (row: { bucketStart: string; pool: { slug: string }; value: string; payoutCount: number }) => ({
            day: row.bucketStart.slice(0, 10),
            pool: row.pool.slug,
            value: row.value,
            payoutCount: row.payoutCount,
          }),
        );
        const sortKey = (row: { day: string; pool: string }) => `${row.day}|${row.pool}`;
        got.sort((a: { day: string; pool: string }, b: { day: string; pool: string }) =>
          sortKey(a).localeCompare(sortKey(b)),
        );
        expected.sort((a, b) => sortKey(a).localeCompare(sortKey(b)));
        if (JSON.stringify(got) === JSON.stringify(expected)) exact += 1;
        const total = got.reduce((sum: bigint, row: { value: string }) => sum + BigInt(row.value), 0n);
        expect(data.miningIncome.totalValue).toBe(total.toString());
        for (const row of data.miningIncome.rows) expect(row.bucketStart).toMatch(/T00:00:00\.000Z$/);
      }
      // Payout detection is heuristic (see the indexer's precision/recall bound); almost every miner must be exact.
      expect(exact / miners.length).toBeGreaterThanOrEqual(0.9);
    });

    it("sums the suspect's income per day and pool to the satoshi", async () => {
      const suspect = truth.entities.find((entity) => entity.kind === 'suspect')!;
      const paid = truth.payouts.filter((payout) => payout.entity === suspect.name);
      expect(paid.length).toBeGreaterThan(1);
      // Worked out from the scenario's payouts and the blocks' header times (UTC days).
      const expected = new Map<string, { value: bigint; payoutCount: number }>();
      for (const payout of paid) {
        const day = new Date(blockTime.get(payout.height)! * 1000).toISOString().slice(0, 10);
        const key = `${day}T00:00:00.000Z|${payout.pool}`;
        const entry = expected.get(key) ?? { value: 0n, payoutCount: 0 };
        entry.value += BigInt(payout.value);
        entry.payoutCount += 1;
        expected.set(key, entry);
      }
      const { data, errors } = await gql(
        'query I($a: [String!]) { miningIncome(addresses: $a, bucket: DAY) { rows { bucketStart pool { slug } value payoutCount } totalValue totalPayoutCount } }',
        { a: suspect.addresses },
      );
      expect(errors).toBeUndefined();
      const got = new Map(
        data.miningIncome.rows.map(
          (row: { bucketStart: string; pool: { slug: string }; value: string; payoutCount: number }) => [
            `${row.bucketStart}|${row.pool.slug}`,
            { value: BigInt(row.value), payoutCount: row.payoutCount },
          ],
        ),
      );
      expect(got).toEqual(expected);
      expect(data.miningIncome.totalValue).toBe(
        paid.reduce((sum, payout) => sum + BigInt(payout.value), 0n).toString(),
      );
      expect(data.miningIncome.totalPayoutCount).toBe(paid.length);
      // Segwit addresses may be written in capitals (BIP173): the same income.
      const capitals = suspect.addresses.map((a) => (a.startsWith('bcrt1') ? a.toUpperCase() : a));
      expect(capitals).not.toEqual(suspect.addresses);
      const again = await gql(
        'query I($a: [String!]) { miningIncome(addresses: $a, bucket: DAY) { totalValue totalPayoutCount } }',
        { a: capitals },
      );
      expect(again.data.miningIncome).toEqual({
        totalValue: data.miningIncome.totalValue,
        totalPayoutCount: paid.length,
      });
      // A valid address the chain never paid earns nothing and is no error.
      const unpaid = createWallet('never-paid').newAddress('p2wpkh').address;
      const withUnpaid = await gql(
        'query I($a: [String!]) { miningIncome(addresses: $a, bucket: DAY) { totalValue totalPayoutCount } }',
        { a: [...suspect.addresses, unpaid] },
      );
      expect(withUnpaid.errors).toBeUndefined();
      expect(withUnpaid.data.miningIncome).toEqual(again.data.miningIncome);
    });

    it('buckets by ISO week (Mondays) and by month, with the same total as by day', async () => {
      const miner = truth.entities.find((entity) => entity.kind === 'miner')!;
      const totals = new Map<string, string>();
      for (const bucket of ['DAY', 'WEEK', 'MONTH']) {
        const { data } = await gql(
          `query I($a: [String!]) { miningIncome(addresses: $a, bucket: ${bucket}) { rows { bucketStart } totalValue } }`,
          { a: miner.addresses },
        );
        totals.set(bucket, data.miningIncome.totalValue);
        for (const row of data.miningIncome.rows) {
          const start = new Date(row.bucketStart);
          if (bucket === 'WEEK') expect(start.getUTCDay()).toBe(1);
          if (bucket === 'MONTH') expect(start.getUTCDate()).toBe(1);
        }
      }
      expect(new Set(totals.values()).size).toBe(1);
    });

    it('puts the inputs of an exchange sweep in one cluster and lists its members', async () => {
      const sweep = truth.suspectFlow!.sweepTxids[0]!;
      const { data } = await gql(
        'query S($txid: String!) { transaction(txid: $txid) { block { height } inputs { address } } }',
        { txid: sweep },
      );
      const addresses = [
        ...new Set(data.transaction.inputs.map((input: { address: string }) => input.address)),
      ] as string[];
      expect(addresses.length).toBeGreaterThan(1);
      const clusters = await Promise.all(
        addresses.map(
          async (address) =>
            (
              await gql('query C($a: String!) { address(address: $a) { cluster { id size } } }', {
                a: address,
              })
            ).data.address.cluster,
        ),
      );
      if (data.transaction.block.height <= truth.tip.height - 6) {
        expect(new Set(clusters.map((cluster: { id: string }) => cluster.id)).size).toBe(1);
        const members = await pageAll(
          'query M($id: ID!, $first: Int, $after: String) { cluster(id: $id) { addresses(first: $first, after: $after) { edges { cursor node { address } } pageInfo { hasNextPage endCursor } } } }',
          (d) => d.cluster.addresses,
          { id: clusters[0].id },
          10,
        );
        expect(members).toHaveLength(clusters[0].size);
        const memberSet = new Set(members.map((edge) => (edge.node as { address: string }).address));
        for (const address of addresses) expect(memberSet).toContain(address);
      }
    });

    it('tags the payout addresses of the pools dataset', async () => {
      const { data } = await gql('{ pools { slug } }');
      expect(data.pools.length).toBeGreaterThan(0);
      const tagged = await db
        .selectFrom('pool_addresses')
        .innerJoin('addresses', 'addresses.address', 'pool_addresses.address')
        .innerJoin('pools', 'pools.id', 'pool_addresses.pool_id')
        .select(['addresses.address', 'pools.name'])
        .limit(1)
        .executeTakeFirst();
      if (tagged !== undefined) {
        const result = await gql(
          'query A($a: String!) { address(address: $a) { tags { label category source confidence } } }',
          {
            a: tagged.address,
          },
        );
        expect(result.data.address.tags).toContainEqual({
          label: tagged.name,
          category: 'miner',
          source: 'mining-pools dataset',
          confidence: 1,
        });
      }
    });
  });

  describe('access', () => {
    it('refuses requests without a key, with an unknown key, or with a malformed header', async () => {
      for (const key of [null, 'mtk_not-a-key']) {
        const result = await gql('{ tip { height } }', undefined, { key });
        expect(result.status).toBe(401);
        expect(result.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
        expect(result.data).toBeUndefined();
      }
      const response = await fetch(`${url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: 'Basic dXNlcjpwYXNz' },
        body: JSON.stringify({ query: '{ tip { height } }' }),
      });
      expect(response.status).toBe(401);
      expect((await response.json()).errors[0].extensions.code).toBe('UNAUTHENTICATED');
    });

    it('lets a screener make single lookups only', async () => {
      const txid = truth.payouts[0]!.payoutTxid;
      const lookup = await gql(
        'query L($t: String!) { transaction(txid: $t) { txid outputs { value } } }',
        { t: txid },
        {
          key: keys.screener.secret,
        },
      );
      expect(lookup.errors).toBeUndefined();
      expect(lookup.data.transaction.txid).toBe(txid);
      for (const query of [
        '{ blocks(first: 1) { edges { node { height } } } }',
        '{ pools { slug } }',
        `{ address(address: "${truth.payouts[0]!.recipient}") { transactions(first: 1) { edges { node { txid } } } } }`,
      ]) {
        const result = await gql(query, undefined, { key: keys.screener.secret });
        expect(result.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
        expect(result.data ?? null).toBeNull();
      }
      for (const role of ['investigator', 'admin'] as const) {
        const result = await gql('{ blocks(first: 1) { edges { node { height } } } }', undefined, {
          key: keys[role].secret,
        });
        expect(result.errors).toBeUndefined();
      }
    });

    it('looks up the keys of concurrent requests in one statement, each to its own role', async () => {
      const statements: string[] = [];
      const counted = test.db.withPlugin({
        transformQuery: ({ node }) => {
          if (SelectQueryNode.is(node)) statements.push('select');
          return node;
        },
        transformResult: async ({ result }) => result,
      });
      const auth = createAuthenticator(counted, 'required');
      const roles = ['investigator', 'screener', 'admin', 'investigator', 'screener'] as const;
      const results = await Promise.all([
        ...roles.map((role) => auth.authenticate(`Bearer ${keys[role].secret}`, '10.0.0.1')),
        auth.authenticate('Bearer mtk_unknown', '10.0.0.1'),
      ]);
      expect(results.map((result) => (result.ok ? result.principal : result.message))).toEqual([
        ...roles.map((role) => expect.objectContaining({ kind: 'key', keyId: keys[role].id, role })),
        'unknown or revoked API key',
      ]);
      expect(statements).toEqual(['select']);
    });

    it('serves loopback callers without a key only while no key exists', async () => {
      const empty = await createTestDatabase('postgres');
      try {
        const open = createAuthenticator(empty.db, 'auto');
        expect(await open.isOpen()).toBe(true);
        expect((await open.authenticate(undefined, '127.0.0.1')).ok).toBe(true);
        expect((await open.authenticate(undefined, '::ffff:127.0.0.1')).ok).toBe(true);
        expect((await open.authenticate(undefined, '10.1.2.3')).ok).toBe(false);
        expect(
          (await createAuthenticator(empty.db, 'required').authenticate(undefined, '127.0.0.1')).ok,
        ).toBe(false);

        const server = createApiServer({
          db: empty.db,
          config: { API_HOST: '127.0.0.1', API_PORT: 0 },
          logger: createLogger({ level: 'silent' }),
        });
        servers.push(server);
        const base = await server.listen();
        expect(await server.describeAccess()).toMatch(/open to localhost only/);
        const result = await gql('{ tip { height } }', undefined, { key: null, base });
        expect(result.errors).toBeUndefined();
        expect(result.data).toEqual({ tip: null });
        expect(await server.describeAccess()).toMatch(/open/);
        await createApiKey(empty.db, { name: 'first', role: 'admin' });
        const closed = createAuthenticator(empty.db, 'auto');
        expect(await closed.isOpen()).toBe(false);
        expect((await closed.authenticate(undefined, '127.0.0.1')).ok).toBe(false);
      } finally {
        await empty.close();
      }
    });

    it('lets only an admin create, list and revoke keys over GraphQL', async () => {
      const create =
        'mutation Create($name: String!) { createApiKey(name: $name, role: SCREENER) { secret key { id role } } }';
      const denied = await gql(create, { name: 'by investigator' });
      expect(denied.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
      const listDenied = await gql('{ apiKeys { id } }');
      expect(listDenied.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');

      const created = await gql(create, { name: 'by admin' }, { key: keys.admin.secret });
      expect(created.errors).toBeUndefined();
      const { secret, key } = created.data.createApiKey;
      expect(key.role).toBe('SCREENER');
      const asNew = await gql('{ tip { height } }', undefined, { key: secret });
      expect(asNew.data.tip.height).toBe(truth.tip.height);
      expect(
        (await gql('{ pools { slug } }', undefined, { key: secret })).errors?.[0]?.extensions?.code,
      ).toBe('FORBIDDEN');

      const listed = await gql('{ apiKeys { id name role prefix createdAt revokedAt } }', undefined, {
        key: keys.admin.secret,
      });
      expect(listed.text).not.toContain(secret);
      expect(listed.data.apiKeys).toContainEqual(
        expect.objectContaining({ id: key.id, name: 'by admin', revokedAt: null }),
      );

      const revoked = await gql(
        'mutation R($id: ID!) { revokeApiKey(id: $id) }',
        { id: key.id },
        { key: keys.admin.secret },
      );
      expect(revoked.data.revokeApiKey).toBe(true);
      expect((await gql('{ tip { height } }', undefined, { key: secret })).status).toBe(401);
    });

    it('stores keys only as hashes', async () => {
      const rows = await db.selectFrom('api_keys').select(['key_hash', 'prefix']).execute();
      const hashes = rows.map((row) => row.key_hash.toString('hex'));
      for (const { secret } of Object.values(keys)) {
        expect(hashes).toContain(createHash('sha256').update(secret).digest('hex'));
        expect(JSON.stringify(rows)).not.toContain(secret);
      }
    });
  });

  describe('limits', () => {
    it('rejects an operation over the cost limit before running it, with the computed cost', async () => {
      counter.reset();
      const query =
        '{ blocks(first: 100) { edges { node { height transactions(first: 100) { edges { node { txid outputs { value } } } } } } } }';
      const result = await gql(query);
      // Documented model: 1 per field; under a connection ×first, under a list ×10.
      // blocks: 1 + 100 × (edges 1 + node 1 + height 1 + transactions (1 + 100 × (edges 1 + node 1 + txid 1 + outputs (1 + 10 × value 1))))
      const expected = 1 + 100 * (1 + 1 + 1 + (1 + 100 * (1 + 1 + 1 + (1 + 10 * 1))));
      expect(result.errors?.[0]?.extensions).toMatchObject({
        code: 'COST_LIMIT',
        cost: expected,
        maxCost: MAX_COST,
      });
      expect(result.errors?.[0]?.message).toContain(String(expected));
      expect(result.data ?? null).toBeNull();
      expect(counter.selects).not.toContain('blocks');
      expect(counter.selects).not.toContain('txs');
    });

    it('costs variables and fragments the same as literals', async () => {
      const viaVariables = await gql(
        'query Q($n: Int) { blocks(first: $n) { ...B } } fragment B on BlockConnection { edges { node { transactions(first: $n) { edges { node { txid } } } } } }',
        { n: 100 },
      );
      expect(viaVariables.errors?.[0]?.extensions).toMatchObject({
        code: 'COST_LIMIT',
        cost: 1 + 100 * (1 + 1 + (1 + 100 * (1 + 1 + 1))),
      });
    });

    it('rejects an operation deeper than the depth limit', async () => {
      const recipient = truth.payouts[0]!.recipient;
      const query = `{ address(address: "${recipient}") { cluster { addresses(first: 1) { edges { node { cluster { addresses(first: 1) {
        edges { node { transactions(first: 1) { edges { node { block { pool { name } } } } } } } } } } } } } } }`;
      const result = await gql(query);
      expect(result.errors?.[0]?.extensions).toMatchObject({
        code: 'COST_LIMIT',
        depth: 15,
        maxDepth: MAX_DEPTH,
      });
    });

    it('caps first and refuses negative or huge pages', async () => {
      for (const first of [-1, MAX_PAGE + 1, 2 ** 31 - 1]) {
        const result = await gql('query Q($f: Int) { blocks(first: $f) { edges { cursor } } }', { f: first });
        expect(result.status).not.toBe(500);
        expect(result.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
        expect(result.errors?.[0]?.message).toMatch(/first/);
      }
      const over = await gql('{ blocks(first: 99999999999) { edges { cursor } } }');
      expect(over.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
      const zero = await gql('{ blocks(first: 0) { edges { cursor } pageInfo { hasNextPage } } }');
      expect(zero.data.blocks).toEqual({ edges: [], pageInfo: { hasNextPage: true } });
    });

    it('limits operations per key per minute in Redis', async () => {
      const limited = await startServer({ API_RATE_LIMIT_PER_MINUTE: 3 });
      const codes: unknown[] = [];
      for (let i = 0; i < 5; i++) {
        const result = await gql('{ tip { height } }', undefined, { base: limited });
        codes.push(result.errors?.[0]?.extensions?.code ?? result.status);
      }
      expect(codes).toEqual([200, 200, 200, 'RATE_LIMITED', 'RATE_LIMITED']);
      // Another key has its own budget.
      expect(
        (await gql('{ tip { height } }', undefined, { base: limited, key: keys.admin.secret })).status,
      ).toBe(200);
      const stored = await redis.keys(`${prefix}:${servers.length - 1}*`);
      expect(stored.length).toBe(2);
    });
  });

  describe('audit', () => {
    it('records every operation of a key: name, variables hash, time, duration and result size', async () => {
      const variables = { height: 5, hash: null };
      const before = new Date();
      const result = await gql(
        'query AuditedBlock($height: Int, $hash: String) { block(height: $height, hash: $hash) { hash } }',
        variables,
        { key: keys.admin.secret, operationName: 'AuditedBlock' },
      );
      expect(result.errors).toBeUndefined();
      const row = await db
        .selectFrom('audit_log')
        .selectAll()
        .where('api_key_id', '=', keys.admin.id)
        .where('operation_name', '=', 'AuditedBlock')
        .orderBy('id', 'desc')
        .executeTakeFirstOrThrow();
      const canonical = JSON.stringify({ hash: null, height: 5 });
      expect(row).toMatchObject({
        operation_type: 'query',
        variables_hash: createHash('sha256').update(canonical).digest('hex'),
        result_bytes: Buffer.byteLength(result.text),
        outcome: 'OK',
      });
      expect(row.started_at.getTime()).toBeGreaterThanOrEqual(before.getTime() - 1000);
      expect(row.duration_ms).toBeGreaterThanOrEqual(0);
      expect(row.cost).toBeGreaterThan(0);
    });

    it('records rejected operations with their error code', async () => {
      await gql('query Forbidden { pools { slug } }', undefined, { key: keys.screener.secret });
      const row = await db
        .selectFrom('audit_log')
        .selectAll()
        .where('api_key_id', '=', keys.screener.id)
        .where('operation_name', '=', 'Forbidden')
        .executeTakeFirstOrThrow();
      expect(row.outcome).toBe('FORBIDDEN');
    });

    it('records an operation over the cost limit and one with invalid input, with their codes', async () => {
      const tooCostly = await gql(
        'query TooCostly { blocks(first: 100) { edges { node { transactions(first: 100) { edges { node { txid } } } } } } }',
        undefined,
        { key: keys.investigator.secret },
      );
      // blocks: 1 + 100 × (edges 1 + node 1 + transactions (1 + 100 × (edges 1 + node 1 + txid 1)))
      const cost = 1 + 100 * (1 + 1 + (1 + 100 * (1 + 1 + 1)));
      expect(tooCostly.errors?.[0]?.extensions?.code).toBe('COST_LIMIT');
      const invalid = await gql(
        'query BadTxid($t: String!) { transaction(txid: $t) { txid } }',
        { t: 'xyz' },
        { key: keys.investigator.secret },
      );
      expect(invalid.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
      const rows = await db
        .selectFrom('audit_log')
        .selectAll()
        .where('api_key_id', '=', keys.investigator.id)
        .where('operation_name', 'in', ['TooCostly', 'BadTxid'])
        .orderBy('id')
        .execute();
      expect(rows.map((row) => [row.operation_name, row.outcome])).toEqual([
        ['TooCostly', 'COST_LIMIT'],
        ['BadTxid', 'BAD_USER_INPUT'],
      ]);
      expect(rows[0]).toMatchObject({
        operation_type: 'query',
        variables_hash: null,
        cost,
        result_bytes: Buffer.byteLength(tooCostly.text),
      });
      expect(rows[1]).toMatchObject({
        operation_type: 'query',
        variables_hash: createHash('sha256').update('{"t":"xyz"}').digest('hex'),
        result_bytes: Buffer.byteLength(invalid.text),
      });
    });

    it('records the operations of the open localhost mode, without a key', async () => {
      const empty = await createTestDatabase('postgres');
      try {
        const server = createApiServer({
          db: empty.db,
          config: { API_HOST: '127.0.0.1', API_PORT: 0, API_MAX_COST: MAX_COST },
          logger: createLogger({ level: 'silent' }),
        });
        servers.push(server);
        const base = await server.listen();
        const before = new Date();
        const ok = await gql('query OpenTip { tip { height } }', undefined, { key: null, base });
        expect(ok.errors).toBeUndefined();
        const costly = await gql(
          'query OpenCostly { blocks(first: 100) { edges { node { transactions(first: 100) { edges { node { txid } } } } } } }',
          undefined,
          { key: null, base },
        );
        expect(costly.errors?.[0]?.extensions?.code).toBe('COST_LIMIT');
        const invalid = await gql(
          'query OpenBadAddress($a: String!) { address(address: $a) { address } }',
          { a: 'hello world' },
          { key: null, base },
        );
        expect(invalid.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
        const rows = await empty.db.selectFrom('audit_log').selectAll().orderBy('id').execute();
        expect(
          rows.map((row) => [row.api_key_id, row.operation_name, row.outcome, row.result_bytes]),
        ).toEqual([
          [null, 'OpenTip', 'OK', Buffer.byteLength(ok.text)],
          [null, 'OpenCostly', 'COST_LIMIT', Buffer.byteLength(costly.text)],
          [null, 'OpenBadAddress', 'BAD_USER_INPUT', Buffer.byteLength(invalid.text)],
        ]);
        expect(rows[1]!.cost).toBe(1 + 100 * (1 + 1 + (1 + 100 * (1 + 1 + 1))));
        expect(rows[2]!.variables_hash).toBe(
          createHash('sha256').update('{"a":"hello world"}').digest('hex'),
        );
        for (const row of rows) {
          expect(row.operation_type).toBe('query');
          expect(row.started_at.getTime()).toBeGreaterThanOrEqual(before.getTime() - 1000);
          expect(row.duration_ms).toBeGreaterThanOrEqual(0);
        }
      } finally {
        await empty.close();
      }
    });
  });

  describe('bad input', () => {
    const regtestAddress = () => truth.payouts[0]!.recipient;
    const cases: Array<[string, string, () => Record<string, unknown> | undefined, RegExp]> = [
      [
        'txid not hex',
        '{ transaction(txid: "xyz") { txid } }',
        () => undefined,
        /txid must be 64 hexadecimal/,
      ],
      [
        'txid too short',
        `{ transaction(txid: "${'a'.repeat(63)}") { txid } }`,
        () => undefined,
        /64 hexadecimal/,
      ],
      ['block hash malformed', '{ block(hash: "00zz") { height } }', () => undefined, /block hash/],
      [
        'mainnet address on regtest',
        '{ address(address: "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4") { address } }',
        () => undefined,
        /regtest/,
      ],
      [
        'address checksum',
        'query A($a: String!) { address(address: $a) { address } }',
        () => ({ a: `${regtestAddress().slice(0, -1)}${regtestAddress().endsWith('q') ? 'p' : 'q'}` }),
        /invalid address/,
      ],
      [
        'not an address',
        '{ address(address: "hello world") { address } }',
        () => undefined,
        /invalid address/,
      ],
      ['negative height', '{ block(height: -5) { hash } }', () => undefined, /negative/],
      ['neither height nor hash', '{ block { hash } }', () => undefined, /exactly one/],
      [
        'garbage cursor',
        '{ blocks(after: "garbage!!") { edges { cursor } } }',
        () => undefined,
        /invalid cursor/,
      ],
      [
        'cursor of another connection',
        'query C($c: String) { blocks(after: $c) { edges { cursor } } }',
        () => ({ c: Buffer.from('payout:1:2').toString('base64url') }),
        /invalid cursor/,
      ],
      [
        'unknown pool filter',
        '{ blocks(pool: "no-such-pool") { edges { cursor } } }',
        () => undefined,
        /unknown pool/,
      ],
      ['cluster id not a number', '{ cluster(id: "abc") { size } }', () => undefined, /cluster id/],
      [
        'unknown cluster filter',
        '{ payouts(cluster: "999999999") { edges { cursor } } }',
        () => undefined,
        /unknown cluster/,
      ],
      [
        'time not ISO',
        '{ payouts(fromTime: "yesterday") { edges { cursor } } }',
        () => undefined,
        /ISO-8601/,
      ],
      [
        'time range reversed',
        '{ payouts(fromTime: 2000, toTime: 1000) { edges { cursor } } }',
        () => undefined,
        /fromTime/,
      ],
      [
        'income without subject',
        '{ miningIncome(bucket: DAY) { totalValue } }',
        () => undefined,
        /exactly one/,
      ],
      [
        'income with no addresses',
        '{ miningIncome(addresses: [], bucket: DAY) { totalValue } }',
        () => undefined,
        /1 to/,
      ],
      [
        'unknown bucket',
        '{ miningIncome(addresses: ["x"], bucket: YEAR) { totalValue } }',
        () => undefined,
        /YEAR/,
      ],
      ['negative page of payouts', '{ payouts(first: -1) { edges { cursor } } }', () => undefined, /first/],
      [
        'huge page of a nested connection',
        'query A($a: String!) { address(address: $a) { transactions(first: 2147483647) { edges { cursor } } } }',
        () => ({ a: regtestAddress() }),
        /first/,
      ],
      [
        'garbage cursor of a nested connection',
        'query A($a: String!) { address(address: $a) { payoutsReceived(after: "garbage!!") { edges { cursor } } } }',
        () => ({ a: regtestAddress() }),
        /invalid cursor/,
      ],
      [
        'block cursor given to payouts',
        'query C($c: String) { payouts(after: $c) { edges { cursor } } }',
        () => ({ c: Buffer.from('block:5').toString('base64url') }),
        /invalid cursor/,
      ],
      [
        'malformed payout recipient',
        '{ payouts(recipient: "not-an-address") { edges { cursor } } }',
        () => undefined,
        /invalid address/,
      ],
      [
        'malformed address among the income addresses',
        'query I($a: [String!]) { miningIncome(addresses: $a, bucket: DAY) { totalValue } }',
        () => ({ a: [regtestAddress(), 'not-an-address'] }),
        /invalid address/,
      ],
      [
        'mixed-case segwit address among the income addresses',
        'query I($a: [String!]) { miningIncome(addresses: $a, bucket: DAY) { totalValue } }',
        () => {
          const segwit = truth.payouts.find((payout) => payout.recipient.startsWith('bcrt1'))!.recipient;
          return { a: [`${segwit.slice(0, 8).toUpperCase()}${segwit.slice(8)}`] };
        },
        /mixed case/,
      ],
      [
        'more income addresses than allowed',
        'query I($a: [String!]) { miningIncome(addresses: $a, bucket: DAY) { totalValue } }',
        () => ({ a: Array.from({ length: 1001 }, regtestAddress) }),
        /1 to 1000 addresses, got 1001/,
      ],
      ['syntax error', '{ blocks {', () => undefined, /Syntax Error/],
      ['unknown field', '{ tip { nonsense } }', () => undefined, /nonsense/],
      [
        'wrong variable type',
        'query Q($h: Int) { block(height: $h) { hash } }',
        () => ({ h: 'high' }),
        /\$h/,
      ],
    ];

    it.each(cases)(
      '%s → BAD_USER_INPUT with the reason, never a 500',
      async (_name, query, variables, reason) => {
        const result = await gql(query, variables());
        expect(result.status).toBeLessThan(500);
        expect(result.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
        expect(result.errors?.[0]?.message).toMatch(reason);
        expect(result.text).not.toMatch(/stack|at .*\.ts:\d+/);
      },
    );

    it('answers NOT_FOUND for well-formed ids that are not indexed', async () => {
      for (const query of [
        `{ transaction(txid: "${'ab'.repeat(32)}") { txid } }`,
        '{ block(height: 999999) { hash } }',
        '{ pool(slug: "no-such-pool") { name } }',
        '{ cluster(id: "999999999") { size } }',
        '{ address(address: "bcrt1qw508d6qejxtdg4y5r3zarvary0c5xw7kygt080") { address } }',
      ]) {
        const result = await gql(query);
        expect(result.status).toBe(200);
        expect(result.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
      }
    });

    it('hides internal failures: a lost database answers 503 with a code, no cause and no stack', async () => {
      const lost = await createTestDatabase('postgres');
      const server = createApiServer({
        db: lost.db,
        config: { API_HOST: '127.0.0.1', API_PORT: 0 },
        logger: createLogger({ level: 'silent' }),
      });
      servers.push(server);
      const base = await server.listen();
      await lost.close();
      const result = await gql('{ tip { height } }', undefined, { key: null, base });
      expect(result.status).toBe(503);
      expect(result.errors?.[0]?.extensions?.code).toBe('INTERNAL_SERVER_ERROR');
      expect(result.text).not.toMatch(/database|postgres|stack|\.ts:/i);
      const health = await (await fetch(`${base}/health`)).json();
      expect(health).toMatchObject({ status: 'down', database: 'down' });
    });

    it('refuses a body that is not JSON without a 500', async () => {
      const response = await fetch(`${url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${keys.investigator.secret}` },
        body: '{"query": ',
      });
      expect(response.status).toBeLessThan(500);
      const body = await response.json();
      expect(body.errors[0].extensions.code).toBe('BAD_USER_INPUT');
    });

    it('refuses a body over 256 KiB with 413, declared or streamed, and keeps the connection usable', async () => {
      const big = JSON.stringify({ query: `{ tip { height } } # ${'x'.repeat(300 * 1024)}` });
      const headers = {
        'content-type': 'application/json',
        authorization: `Bearer ${keys.investigator.secret}`,
      };
      const declared = await fetch(`${url}/graphql`, { method: 'POST', headers, body: big });
      // Streamed in chunks without a content-length: refused once the count passes the limit.
      const chunks = new TextEncoder().encode(big);
      const streamed = await fetch(`${url}/graphql`, {
        method: 'POST',
        headers,
        duplex: 'half',
        body: new ReadableStream({
          start(controller) {
            for (let at = 0; at < chunks.length; at += 16 * 1024)
              controller.enqueue(chunks.slice(at, at + 16 * 1024));
            controller.close();
          },
        }),
      } as RequestInit);
      for (const response of [declared, streamed]) {
        expect(response.status).toBe(413);
        const body = await response.json();
        expect(body.errors[0]).toMatchObject({
          message: `request body larger than ${256 * 1024} bytes`,
          extensions: { code: 'BAD_USER_INPUT' },
        });
      }
      expect((await gql('{ tip { height } }')).data.tip.height).toBe(truth.tip.height);
    });
  });

  describe('fund tracing', () => {
    const TRACE = `query Trace($input: TraceInput!) { trace(input: $input) {
      summary { sourceValue reachedValue unspentValue feeValue cutOffValue }
      nodes { id kind hop time } edges { time } truncated } }`;
    const figures = (data: GqlResponse['data']) => {
      const s = data.trace.summary as Record<string, string>;
      const [source, ...ends] = [s.sourceValue, s.reachedValue, s.unspentValue, s.feeValue, s.cutOffValue];
      // Every satoshi of the source ends somewhere, exactly.
      expect(ends.reduce((a, b) => a + BigInt(b!), 0n)).toBe(BigInt(source!));
      return BigInt(source!);
    };
    const payoutsOf = (slug: string) => truth.payouts.filter((payout) => payout.pool === slug);
    const payoutSum = (payouts: GroundTruth['payouts']) =>
      payouts.reduce((sum, payout) => sum + BigInt(payout.value), 0n);

    it('traces from every payout of a pool, or those in a window, as the scenario paid them', async () => {
      const slug = 'antpool';
      const payouts = payoutsOf(slug);
      const all = await gql(TRACE, { input: { from: { payoutsOfPool: slug }, maxHops: 1 } });
      expect(all.errors).toBeUndefined();
      expect(figures(all.data)).toBe(payoutSum(payouts));
      const recipients = new Set(payouts.map((payout) => `address:${payout.recipient}`));
      const sources = all.data.trace.nodes.filter((node: { hop: number }) => node.hop === 0);
      expect(new Set(sources.map((node: { id: string }) => node.id))).toEqual(recipients);

      // From one payout block (ISO-8601, inclusive) to a later one (unix seconds, exclusive).
      const times = [...new Set(payouts.map((payout) => blockTime.get(payout.height)!))].sort(
        (a, b) => a - b,
      );
      const [fromTime, toTime] = [times[1]!, times[times.length - 2]!];
      const inside = payouts.filter((payout) => {
        const time = blockTime.get(payout.height)!;
        return time >= fromTime && time < toTime;
      });
      expect(inside.length).toBeGreaterThan(0);
      expect(inside.length).toBeLessThan(payouts.length);
      const windowed = await gql(TRACE, {
        input: {
          from: { payoutsOfPool: slug },
          maxHops: 3,
          fromTime: new Date(fromTime * 1000).toISOString(),
          toTime,
        },
      });
      expect(windowed.errors).toBeUndefined();
      expect(figures(windowed.data)).toBe(payoutSum(inside));
      for (const node of windowed.data.trace.nodes.filter((n: { kind: string }) => n.kind === 'TX')) {
        const time = Date.parse(node.time) / 1000;
        expect(time >= fromTime && time < toTime, node.id).toBe(true);
      }

      // A window without a payout: an empty answer, not an error.
      const empty = await gql(TRACE, {
        input: { from: { payoutsOfPool: slug }, fromTime: toTime, toTime },
      });
      expect(empty.errors).toBeUndefined();
      expect(empty.data.trace).toEqual({
        summary: { sourceValue: '0', reachedValue: '0', unspentValue: '0', feeValue: '0', cutOffValue: '0' },
        nodes: [],
        edges: [],
        truncated: false,
      });
    });

    it('refuses an unknown pool and a reversed window with BAD_USER_INPUT', async () => {
      for (const [input, reason] of [
        [{ from: { payoutsOfPool: 'no-such-pool' } }, /unknown pool "no-such-pool"/],
        [
          {
            from: { payoutsOfPool: 'antpool' },
            fromTime: '2024-03-10T00:00:00Z',
            toTime: '2024-03-09T00:00:00Z',
          },
          /fromTime must not be after toTime/,
        ],
      ] as const) {
        const result = await gql(TRACE, { input });
        expect(result.status).toBeLessThan(500);
        expect(result.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
        expect(result.errors?.[0]?.message).toMatch(reason);
      }
    });
  });

  describe('batching', () => {
    let generous: string;
    beforeAll(async () => {
      generous = await startServer({ API_MAX_COST: 1_000_000 });
    });

    it('sends as many queries for 50 blocks as for 5', async () => {
      // From the middle of the chain, where outputs have been spent, so every kind of child is loaded.
      const after = Buffer.from('block:300').toString('base64url');
      const query = `query Q($n: Int, $after: String) { blocks(first: $n, after: $after) { edges { node { height pool { name } reward
        transactions(first: 3) { edges { node { txid fee inputs { prevout { txid n } address value }
          outputs { n value address spentBy { txid } } } } } } } } }`;
      const counts: number[] = [];
      for (const n of [5, 50]) {
        counter.reset();
        const result = await gql(query, { n, after }, { base: generous });
        expect(result.errors).toBeUndefined();
        expect(result.data.blocks.edges).toHaveLength(n);
        counts.push(counter.selects.length);
      }
      // One query per kind of child and level; a kind may split in two when its parents arrive from
      // two queries that finish in different ticks. One query per row would be 50+ here.
      expect(counts[1]! - counts[0]!).toBeLessThanOrEqual(1);
      expect(counts[1]).toBeLessThanOrEqual(12);
    });

    it('sends as many queries for 40 addresses of payouts as for 4', async () => {
      const query = `query Q($n: Int) { payouts(first: $n) { edges { node { value pool { name } block { height }
        recipient { address balance txCount cluster { id size } tags { label } payoutsReceived(first: 2) { edges { node { value } } } } } } } }`;
      const counts: number[] = [];
      for (const n of [4, 40]) {
        counter.reset();
        const result = await gql(query, { n }, { base: generous });
        expect(result.errors).toBeUndefined();
        counts.push(counter.selects.length);
      }
      expect(counts[1]! - counts[0]!).toBeLessThanOrEqual(1);
      expect(counts[1]).toBeLessThanOrEqual(15);
    });
  });

  describe('operations endpoints', () => {
    it('reports health with database and redis status', async () => {
      const body = await (await fetch(`${url}/health`)).json();
      expect(body).toMatchObject({
        status: 'ok',
        network: 'regtest',
        indexed: { height: truth.tip.height, hash: truth.tip.hash },
        database: 'ok',
        redis: 'ok',
      });
    });

    it('exposes Prometheus metrics: requests, latency, indexed height', async () => {
      await gql('{ tip { height } }');
      const response = await fetch(`${url}/metrics`);
      expect(response.headers.get('content-type')).toMatch(/text\/plain/);
      const text = await response.text();
      expect(text).toMatch(/minetrace_api_requests_total\{operation_type="query",outcome="OK"\} \d+/);
      expect(text).toMatch(/minetrace_api_request_duration_seconds_bucket/);
      expect(text).toContain(`minetrace_indexer_height ${truth.tip.height}`);
      expect(text).toMatch(/minetrace_reorgs_total \d+/);
    });

    it('serves GraphiQL to browsers at /', async () => {
      const page = await fetch(`${url}/`, { headers: { accept: 'text/html' } });
      expect(page.status).toBe(200);
      expect(await page.text()).toMatch(/graphiql/i);
      expect((await fetch(`${url}/`, { headers: { accept: 'application/json' } })).status).toBe(404);
    });
  });
});
