import { randomUUID } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  createDevnetChain,
  createWallet,
  type DevnetNode,
  type OwnedAddress,
  startDevnetNode,
} from '@minetrace/devnet';
import {
  BitcoindRpcClient,
  createClusterRebuildHandler,
  createIndexBackfillHandler,
} from '@minetrace/indexer';
import type { Db } from '@minetrace/shared/db';
import { createTestDatabase, type TestDatabase } from '@minetrace/shared/db/testing';
import { createLogger } from '@minetrace/shared/log';
import { loadPools } from '@minetrace/shared/pools';
import { strFromU8, unzipSync } from 'fflate';
import type { Redis } from 'ioredis';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiKey } from '../auth/api-key.repository.js';
import { type ApiServer, createApiServer } from '../http/api-server.js';
import { closeTestRedis, connectTestRedis } from '../testing/index.js';
import { createApiJobHandlers } from './api-job-handlers.js';
import {
  createStepsHandler,
  createWorkerChildPeer,
  FAST_JOB_TIMINGS,
  startWorkerChild,
  stepLine,
  type WorkerChild,
  waitUntil,
} from './job.testing.js';
import { createJobRegistry, type JobRegistry } from './job-runner.js';
import { createJobSystem, type JobSystem } from './job-system.js';

const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const FINALITY_DEPTH = 6;
const logger = createLogger({ level: process.env.TEST_LOG_LEVEL === 'debug' ? 'debug' : 'silent' });

/**
 * A devnet chain of 110 matured blocks, a funding block, then two multi-input spends: tx1 spends
 * from A and B, tx2 from C and D. Common-input ownership therefore joins A with B and C with D, and
 * nothing joins the two pairs. FINALITY_DEPTH blocks follow so that both spends are final.
 */
const chain = createDevnetChain();
const wallet = createWallet('job-system', { chain });
const miner = wallet.newAddress('p2wpkh', 'miner');
chain.generateToAddress(110, miner.address);
const names = ['A', 'B', 'C', 'D'] as const;
const owned = Object.fromEntries(names.map((name) => [name, wallet.newAddress('p2wpkh', name)])) as Record<
  (typeof names)[number],
  OwnedAddress
>;
const funding = wallet.send({
  from: { label: 'miner' },
  to: names.map((name) => ({ address: owned[name].address, value: 100_000_000n })),
  fee: 10_000n,
});
chain.sendRawTransaction(funding.raw);
chain.mine({ coinbaseOutputs: miner.address });
const sink = wallet.newAddress('p2wpkh', 'sink');
const spendTxids: string[] = [];
for (const pair of [
  ['A', 'B'],
  ['C', 'D'],
] as const) {
  const coins = pair.map((name) => wallet.listUnspent({ label: name })[0]!);
  const tx = wallet.send({ from: coins, to: [{ address: sink.address, value: 150_000_000n }], fee: 5_000n });
  chain.sendRawTransaction(tx.raw);
  chain.mine({ coinbaseOutputs: miner.address });
  spendTxids.push(tx.txid);
}
chain.generateToAddress(FINALITY_DEPTH, miner.address);
const TIP = chain.tipHeight();

const jobRow = (db: Db, id: bigint) =>
  db.selectFrom('jobs').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
const resultRows = (db: Db, id: bigint) =>
  db.selectFrom('job_results').selectAll().where('job_id', '=', id).execute();

const JOB_FIELDS =
  'id kind state progress { percent done total message } result { data downloadUrl contentType bytes expiresAt } error attempts createdAt startedAt finishedAt';

describe('batch jobs on BullMQ (real Redis) with results in Postgres, over the HTTP API', () => {
  let test: TestDatabase;
  let db: Db;
  let redis: Redis;
  let node: DevnetNode;
  let dataDir: string;
  let system: JobSystem;
  let registry: JobRegistry;
  let server: ApiServer;
  let url: string;
  const prefix = `minetrace-test-jobs-${randomUUID()}`;
  const keys = {} as Record<'admin' | 'investigator' | 'other', string>;
  const steps: Array<{ jobId: bigint; step: number }> = [];
  const systems: JobSystem[] = [];
  const children: WorkerChild[] = [];

  async function gql(
    query: string,
    variables: Record<string, unknown> = {},
    key: string | null = keys.admin,
  ) {
    const response = await fetch(`${url}/graphql`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        ...(key === null ? {} : { authorization: `Bearer ${key}` }),
      },
      body: JSON.stringify({ query, variables }),
    });
    return (await response.json()) as {
      // biome-ignore lint/suspicious/noExplicitAny: GraphQL answers are checked field by field
      data?: any;
      errors?: Array<{ message: string; extensions: { code: string } }>;
    };
  }

  const jobOverHttp = async (id: string, key: string | null = keys.admin) => {
    const answer = await gql(`query Job($id: ID!) { job(id: $id) { ${JOB_FIELDS} } }`, { id }, key);
    expect(answer.errors).toBeUndefined();
    return answer.data.job;
  };
  const finishedOverHttp = (id: string) =>
    waitUntil(
      `job ${id} to finish`,
      () => jobOverHttp(id),
      (job) => ['COMPLETED', 'FAILED', 'CANCELLED'].includes(job?.state),
    );

  beforeAll(async () => {
    redis = await connectTestRedis(REDIS_URL);
    test = await createTestDatabase('postgres');
    db = test.db;
    node = await startDevnetNode({ chain, zmqEndpoint: null });
    dataDir = await mkdtemp(path.join(tmpdir(), 'minetrace-jobs-'));
    const rpc = new BitcoindRpcClient({ url: node.rpcUrl });
    system = createJobSystem({
      db,
      config: {
        REDIS_URL,
        MINETRACE_DATA_DIR: dataDir,
        JOB_RESULT_TTL: 3600,
        JOB_CONCURRENCY: 2,
        JOB_MAX_ATTEMPTS: 4,
      },
      logger,
      redisPrefix: prefix,
      timings: FAST_JOB_TIMINGS,
    });
    systems.push(system);
    registry = createJobRegistry([
      createIndexBackfillHandler({
        db,
        rpc,
        pools: loadPools(),
        derive: { payoutMaxHops: 3, finalityDepth: FINALITY_DEPTH },
        batchBlocks: 16,
        waitMs: 100,
      }) as never,
      createClusterRebuildHandler({ db, finalityDepth: FINALITY_DEPTH }) as never,
      ...createApiJobHandlers({ db }),
      createStepsHandler({ onStep: (jobId, step) => steps.push({ jobId, step }) }) as never,
    ]);
    await system.startWorker(registry);
    server = createApiServer({
      db,
      config: { API_HOST: '127.0.0.1', API_PORT: 0 },
      logger,
      jobs: { service: system.service, dataDir },
    });
    url = await server.listen();
    keys.admin = (await createApiKey(db, { name: 'admin', role: 'admin' })).secret;
    keys.investigator = (await createApiKey(db, { name: 'investigator', role: 'investigator' })).secret;
    keys.other = (await createApiKey(db, { name: 'other', role: 'investigator' })).secret;
  });

  afterAll(async () => {
    for (const child of children) await child.kill();
    await server?.close();
    for (const one of systems) await one.close();
    await node?.stop();
    await closeTestRedis(redis, prefix);
    await test?.close();
    if (dataDir !== undefined) await rm(dataDir, { recursive: true, force: true });
  });

  it('backfills the chain in two chunks queued out of order, strictly in height order', async () => {
    const backfill =
      'mutation B($from: Int!, $to: Int!) { enqueueIndexBackfill(from: $from, to: $to) { id state } }';
    // The upper chunk first: it must wait for the lower one, whatever worker takes it.
    const upper = await gql(backfill, { from: 60, to: TIP });
    expect(upper.errors).toBeUndefined();
    expect(upper.data.enqueueIndexBackfill.state).toBe('QUEUED');
    const lower = await gql(backfill, { from: 0, to: 59 });
    const upperJob = await finishedOverHttp(upper.data.enqueueIndexBackfill.id);
    const lowerJob = await finishedOverHttp(lower.data.enqueueIndexBackfill.id);

    expect(lowerJob.state).toBe('COMPLETED');
    expect(upperJob.state).toBe('COMPLETED');
    expect(new Date(upperJob.finishedAt).getTime()).toBeGreaterThanOrEqual(
      new Date(lowerJob.finishedAt).getTime(),
    );
    // Heights 0..59 are 60 blocks; 60..TIP are TIP - 59.
    expect(lowerJob.progress).toEqual({ percent: 100, done: 60, total: 60, message: expect.any(String) });
    expect(upperJob.progress).toMatchObject({ percent: 100, done: TIP - 59, total: TIP - 59 });
    expect(JSON.parse(lowerJob.result.data)).toMatchObject({ from: 0, to: 59, applied: 60 });
    expect(JSON.parse(upperJob.result.data)).toMatchObject({ from: 60, to: TIP, applied: TIP - 59 });
    expect(lowerJob.result.downloadUrl).toBeNull();

    const state = await db.selectFrom('chain_state').selectAll().executeTakeFirstOrThrow();
    expect(state.tip_height).toBe(TIP);
    const blocks = await db.selectFrom('blocks').select(['height', 'hash']).orderBy('height').execute();
    expect(blocks.map((b) => b.height)).toEqual(Array.from({ length: TIP + 1 }, (_, h) => h));
    for (const block of blocks) expect(block.hash.toString('hex')).toBe(chain.hashAtHeight(block.height));
    // Every tx of the node's chain, once: 1 coinbase per block plus funding, tx1 and tx2.
    const txs = await db.selectFrom('txs').select(sql<bigint>`count(*)`.as('n')).executeTakeFirstOrThrow();
    expect(Number(txs.n)).toBe(TIP + 1 + 3);
  });

  it('rebuilds the clusters to the partition the blocks themselves produced', async () => {
    const clusterOf = async () => {
      const rows = await db
        .selectFrom('addresses as a')
        .leftJoin('address_clusters as ac', 'ac.address_id', 'a.id')
        .select(['a.address', 'ac.cluster_id'])
        .where(
          'a.address',
          'in',
          names.map((n) => owned[n].address),
        )
        .execute();
      return Object.fromEntries(rows.map((row) => [row.address, row.cluster_id]));
    };
    const before = await clusterOf();
    const enqueued = await gql('mutation { enqueueClusterRebuild { id kind state } }');
    expect(enqueued.data.enqueueClusterRebuild).toMatchObject({ kind: 'CLUSTER_REBUILD', state: 'QUEUED' });
    const job = await finishedOverHttp(enqueued.data.enqueueClusterRebuild.id);
    expect(job.state).toBe('COMPLETED');
    // Final blocks are heights 0..TIP-FINALITY_DEPTH; the two spends make one merge each.
    expect(JSON.parse(job.result.data)).toEqual({
      blocks: TIP - FINALITY_DEPTH + 1,
      merges: 2,
      clusteredHeight: TIP - FINALITY_DEPTH,
    });
    const after = await clusterOf();
    const [a, b, c, d] = names.map((n) => after[owned[n].address]);
    expect(a).not.toBeNull();
    expect(a).toBe(b);
    expect(c).toBe(d);
    expect(a).not.toBe(c);
    // Same partition as the incremental clustering of the backfill (ids may differ, groups may not).
    const [a0, b0, c0, d0] = names.map((n) => before[owned[n].address]);
    expect(a0).toBe(b0);
    expect(c0).toBe(d0);
    expect(a0).not.toBe(c0);

    // The JSON result downloads with the same key auth: the owner's key, 404 for another key, 401 without.
    const download = await fetch(`${url}/jobs/${job.id}/result`, {
      headers: { authorization: `Bearer ${keys.admin}` },
    });
    expect(download.status).toBe(200);
    expect(await download.json()).toEqual(JSON.parse(job.result.data));
    expect(
      (
        await fetch(`${url}/jobs/${job.id}/result`, {
          headers: { authorization: `Bearer ${keys.investigator}` },
        })
      ).status,
    ).toBe(404);
    expect((await fetch(`${url}/jobs/${job.id}/result`)).status).toBe(401);
  });

  it('exports a trace as a file and a paths query as a CSV archive, downloaded with the key', async () => {
    const mutation =
      'mutation E($input: FlowgraphExportInput!) { enqueueFlowgraphExport(input: $input) { id kind state } }';
    const trace = await gql(
      mutation,
      { input: { from: { addresses: [owned.A.address] }, maxHops: 2, format: 'GRAPHML', policy: 'POISON' } },
      keys.investigator,
    );
    expect(trace.errors).toBeUndefined();
    const job = await finishedOverHttp(trace.data.enqueueFlowgraphExport.id);
    expect(job).toMatchObject({ kind: 'FLOWGRAPH_EXPORT', state: 'COMPLETED' });
    expect(job.result.downloadUrl).toBe(`/jobs/${job.id}/result`);
    expect(job.result.contentType).toBe('application/graphml+xml');
    const response = await fetch(`${url}${job.result.downloadUrl}`, {
      headers: { authorization: `Bearer ${keys.investigator}` },
    });
    expect(response.status).toBe(200);
    const body = await response.text();
    expect(Buffer.byteLength(body)).toBe(job.result.bytes);
    // A's coin went into tx1 (spent with B's), which paid the sink.
    expect(body).toContain('<graphml');
    expect(body).toContain(spendTxids[0]);
    expect(body).toContain(sink.address);
    expect(body).not.toContain(spendTxids[1]);
    expect(JSON.parse(job.result.data)).toMatchObject({ format: 'graphml', files: ['flow-graph.graphml'] });

    const paths = await gql(
      mutation,
      {
        input: {
          from: { addresses: [owned.C.address] },
          to: { addresses: [sink.address] },
          maxHops: 2,
          format: 'CSV',
        },
      },
      keys.investigator,
    );
    expect(paths.errors).toBeUndefined();
    const pathsJob = await finishedOverHttp(paths.data.enqueueFlowgraphExport.id);
    expect(pathsJob.state).toBe('COMPLETED');
    expect(pathsJob.result.contentType).toBe('application/zip');
    const zip = await fetch(`${url}${pathsJob.result.downloadUrl}`, {
      headers: { authorization: `Bearer ${keys.investigator}` },
    });
    const tables = unzipSync(new Uint8Array(await zip.arrayBuffer()));
    expect(Object.keys(tables).sort()).toEqual(['edges.csv', 'nodes.csv']);
    // C reached the sink through tx2 only.
    const nodes = strFromU8(tables['nodes.csv']!);
    expect(nodes).toContain(spendTxids[1]);
    expect(nodes).not.toContain(spendTxids[0]);

    // A request the trace engine refuses never becomes a job.
    const refused = await gql(
      mutation,
      { input: { from: { addresses: [owned.A.address] }, maxHops: 0, format: 'DOT' } },
      keys.investigator,
    );
    expect(refused.errors?.[0]?.extensions.code).toBe('BAD_USER_INPUT');
  });

  it('refuses bad input and other roles clearly, and stores nothing', async () => {
    const count = async () =>
      Number((await db.selectFrom('jobs').select(sql<bigint>`count(*)`.as('n')).executeTakeFirstOrThrow()).n);
    const before = await count();
    const inverted = await gql('mutation { enqueueIndexBackfill(from: 10, to: 5) { id } }');
    expect(inverted.errors?.[0]?.extensions.code).toBe('BAD_USER_INPUT');
    expect(inverted.errors?.[0]?.message).toContain('from must not be above to');
    const empty = await gql('mutation { enqueueScreenBatch(addresses: []) { id } }', {}, keys.investigator);
    expect(empty.errors?.[0]?.extensions.code).toBe('BAD_USER_INPUT');
    const forbidden = await gql('mutation { enqueueClusterRebuild { id } }', {}, keys.investigator);
    expect(forbidden.errors?.[0]?.extensions.code).toBe('FORBIDDEN');
    expect(await count()).toBe(before);
  });

  it('screens a batch of addresses into a JSON Lines file, duplicates once', async () => {
    const enqueued = await gql(
      'mutation S($a: [String!]!) { enqueueScreenBatch(addresses: $a) { id kind } }',
      { a: [owned.A.address, owned.B.address, owned.A.address] },
      keys.investigator,
    );
    expect(enqueued.errors).toBeUndefined();
    const job = await finishedOverHttp(enqueued.data.enqueueScreenBatch.id);
    expect(job.state).toBe('COMPLETED');
    // Three given, two distinct; nothing is tagged in this database, so both are NONE.
    expect(JSON.parse(job.result.data)).toEqual({
      screened: 2,
      byRisk: { SEVERE: 0, HIGH: 0, MEDIUM: 0, LOW: 0, NONE: 2 },
      invalid: 0,
      invalidAddresses: [],
    });
    expect(job.progress).toMatchObject({ percent: 100, done: 2, total: 2 });
    const response = await fetch(`${url}${job.result.downloadUrl}`, {
      headers: { authorization: `Bearer ${keys.investigator}` },
    });
    const lines = (await response.text())
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    expect(lines.map((line) => line.address)).toEqual([owned.A.address, owned.B.address]);
    // tx1 spent from A and B together: one cluster of (at least) the two.
    expect(lines[0].cluster.id).toBe(lines[1].cluster.id);

    const bad = await gql(
      'mutation S($a: [String!]!) { enqueueScreenBatch(addresses: $a) { id } }',
      { a: [owned.A.address, 'not-an-address'] },
      keys.investigator,
    );
    expect(bad.errors?.[0]?.extensions.code).toBe('BAD_USER_INPUT');
    expect(bad.errors?.[0]?.message).toContain('not-an-address');
  });

  it('fails at once a job no handler can run, saying why, without retrying', async () => {
    const job = await system.service.enqueueCustom('test.missing', {});
    const row = await waitUntil(
      'the job to fail',
      () => jobRow(db, job.id),
      (r) => r.state === 'failed',
    );
    expect(row.error).toBe('no handler for job kind test.missing in this worker');
    expect(row.attempts).toBe(1);
    expect(await resultRows(db, job.id)).toHaveLength(0);
  });

  it('retries a transient error with backoff, then keeps the one result file', async () => {
    const job = await system.service.enqueueCustom('test.steps', { steps: 5, stepMs: 0, failRuns: 2 });
    const done = await waitUntil(
      'test.steps to complete',
      () => jobRow(db, job.id),
      (row) => row.state === 'completed',
    );
    // Two transient failures, then the third run succeeds.
    expect(done.attempts).toBe(3);
    expect(done.error).toBeNull();
    expect(done.progress_percent).toBe(100);
    const results = await resultRows(db, job.id);
    expect(results).toHaveLength(1);
    expect(results[0]!.data).toEqual({ steps: 5, run: 3 });
    const expected = [1, 2, 3, 4, 5].map((i) => `${stepLine(job.id, i)}\n`).join('');
    expect(Number(results[0]!.bytes)).toBe(Buffer.byteLength(expected));
    // A custom kind is not in the GraphQL enum, but its file downloads like any other (CLI jobs: admin).
    const response = await fetch(`${url}/jobs/${job.id}/result`, {
      headers: { authorization: `Bearer ${keys.admin}` },
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/plain');
    expect(await response.text()).toBe(expected);
    // Expiry is now + JOB_RESULT_TTL (3600 s), within the test's run time.
    const ttl = (results[0]!.expires_at.getTime() - results[0]!.created_at.getTime()) / 1000;
    expect(ttl).toBe(3600);
  });

  it('cancels a running job: it stops, and no result or file is kept', async () => {
    const job = await system.service.enqueueCustom('test.steps', { steps: 2000, stepMs: 10 });
    await waitUntil(
      'the job to run a few steps',
      async () => steps.filter((s) => s.jobId === job.id).length,
      (n) => n >= 5,
    );
    const cancelled = await system.service.cancel(job.id);
    expect(cancelled?.state).toBe('cancelled');
    const stepsAtCancel = steps.filter((s) => s.jobId === job.id).length;
    // The worker checks every 100 ms (cancelPollMs) and stops at the next step: 10 ms each.
    await new Promise((resolve) => setTimeout(resolve, 800));
    const stepsLater = steps.filter((s) => s.jobId === job.id).length;
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(steps.filter((s) => s.jobId === job.id).length).toBe(stepsLater);
    expect(stepsLater).toBeLessThan(stepsAtCancel + 40);
    expect((await jobRow(db, job.id)).state).toBe('cancelled');
    expect(await resultRows(db, job.id)).toHaveLength(0);
    const files = (await readdir(path.join(dataDir, 'jobs'))).filter((name) => name.startsWith(`${job.id}-`));
    expect(files).toEqual([]);
  });

  it('cancels a queued job over GraphQL; it never runs', async () => {
    // Heights above the node's tip: the job waits, queued, for the node.
    const enqueued = await gql('mutation { enqueueIndexBackfill(from: 5000, to: 5001) { id } }');
    const id = enqueued.data.enqueueIndexBackfill.id;
    await new Promise((resolve) => setTimeout(resolve, 300));
    // It looks again every 100 ms (waitMs): RUNNING while it looks, QUEUED in between; never done.
    const waiting = await jobOverHttp(id);
    expect(['QUEUED', 'RUNNING']).toContain(waiting.state);
    expect(waiting.attempts).toBeLessThanOrEqual(1);
    const other = await gql('mutation C($id: ID!) { cancelJob(id: $id) { id } }', { id }, keys.other);
    expect(other.errors?.[0]?.extensions.code).toBe('NOT_FOUND');
    const answer = await gql('mutation C($id: ID!) { cancelJob(id: $id) { id state finishedAt } }', { id });
    expect(answer.errors).toBeUndefined();
    expect(answer.data.cancelJob.state).toBe('CANCELLED');
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const job = await jobOverHttp(id);
    expect(job.state).toBe('CANCELLED');
    expect(job.attempts).toBeLessThanOrEqual(1);
    expect(
      (await db.selectFrom('chain_state').select('tip_height').executeTakeFirstOrThrow()).tip_height,
    ).toBe(TIP);
  });

  it('lists jobs by kind and state as a Relay connection, each key seeing its own', async () => {
    const query =
      'query L($kind: JobKind, $state: JobState, $first: Int, $after: String) { jobs(kind: $kind, state: $state, first: $first, after: $after) { edges { cursor node { id kind state } } pageInfo { hasNextPage endCursor } } }';
    const ids: string[] = [];
    let after: string | null = null;
    for (;;) {
      const page = await gql(query, { kind: 'INDEX_BACKFILL', first: 1, after });
      expect(page.errors).toBeUndefined();
      ids.push(...page.data.jobs.edges.map((e: { node: { id: string } }) => e.node.id));
      if (!page.data.jobs.pageInfo.hasNextPage) break;
      after = page.data.jobs.pageInfo.endCursor;
    }
    // Three backfill jobs were enqueued by the admin key: 2 completed, 1 cancelled; newest first.
    expect(ids).toHaveLength(3);
    expect([...ids].sort((x, y) => Number(y) - Number(x))).toEqual(ids);
    const completed = await gql(query, { kind: 'INDEX_BACKFILL', state: 'COMPLETED', first: 10 });
    expect(completed.data.jobs.edges).toHaveLength(2);
    // The investigator enqueued two exports then one screen job (the refused one is not stored), and sees only those, newest first.
    const mine = await gql(query, { first: 10 }, keys.investigator);
    expect(mine.data.jobs.edges.map((e: { node: { kind: string } }) => e.node.kind)).toEqual([
      'SCREEN_BATCH',
      'FLOWGRAPH_EXPORT',
      'FLOWGRAPH_EXPORT',
    ]);
    expect(await jobOverHttp(ids[0]!, keys.investigator)).toBeNull();
  });

  it('a worker killed mid-job leaves it to another worker, which completes it exactly once', async () => {
    const childEnv = {
      DATABASE_URL: test.url!,
      REDIS_URL,
      MINETRACE_DATA_DIR: dataDir,
      JOB_REDIS_PREFIX: `${prefix}-crash`,
    };
    const producer = createWorkerChildPeer(db, childEnv, logger);
    systems.push(producer);
    const child = await startWorkerChild(childEnv);
    children.push(child);

    const STEPS = 40;
    const job = await producer.service.enqueueCustom('test.steps', { steps: STEPS, stepMs: 200 });
    await waitUntil(
      'the child to run 10 steps',
      async () => child.output(),
      (text) => text.includes(`step ${job.id} 10\n`),
      30_000,
    );
    // Progress reaches Postgres after the step itself: kill once the row shows it.
    await waitUntil(
      'the job row to show 10 steps done',
      async () => Number((await jobRow(db, job.id)).progress_done),
      (done) => done >= 10,
      30_000,
    );
    await child.kill();
    const killed = await jobRow(db, job.id);
    expect(killed.state).toBe('running');
    expect(killed.attempts).toBe(1);
    expect(Number(killed.progress_done)).toBeGreaterThanOrEqual(10);
    expect(Number(killed.progress_done)).toBeLessThan(STEPS);
    expect(await resultRows(db, job.id)).toHaveLength(0);

    // Another worker on the same queue takes the job once the dead worker's lock expires.
    await producer.startWorker(createJobRegistry([createStepsHandler() as never]));
    const done = await waitUntil(
      'the job to complete on the second worker',
      () => jobRow(db, job.id),
      (row) => row.state === 'completed',
      30_000,
    );
    expect(done.attempts).toBe(2);
    expect(done.progress_done).toBe(BigInt(STEPS));
    const results = await resultRows(db, job.id);
    expect(results).toHaveLength(1);
    expect(results[0]!.data).toEqual({ steps: STEPS, run: 2 });
    const content = await readFile(path.join(dataDir, 'jobs', results[0]!.file_name!), 'utf8');
    expect(content).toBe(Array.from({ length: STEPS }, (_, i) => `${stepLine(job.id, i + 1)}\n`).join(''));
    // The killed run's partial output never became a result, and the run that finished removed it.
    const files = (await readdir(path.join(dataDir, 'jobs'))).filter((name) => name.startsWith(`${job.id}-`));
    expect(files).toEqual([results[0]!.file_name]);
  }, 120_000);
});

describe('batch jobs in-process (REDIS_URL unset)', () => {
  let test: TestDatabase;
  let dataDir: string;
  const systems: JobSystem[] = [];

  beforeAll(async () => {
    test = await createTestDatabase('postgres');
    dataDir = await mkdtemp(path.join(tmpdir(), 'minetrace-jobs-'));
  });

  afterAll(async () => {
    for (const one of systems) await one.close();
    await test?.close();
    if (dataDir !== undefined) await rm(dataDir, { recursive: true, force: true });
  });

  const inProcess = () => {
    const system = createJobSystem({
      db: test.db,
      config: {
        REDIS_URL: undefined,
        MINETRACE_DATA_DIR: dataDir,
        JOB_RESULT_TTL: 60,
        JOB_CONCURRENCY: 2,
        JOB_MAX_ATTEMPTS: 3,
      },
      logger,
      timings: FAST_JOB_TIMINGS,
    });
    systems.push(system);
    return system;
  };

  it('runs, retries and gives up as the Redis queue does', async () => {
    const system = inProcess();
    expect(system.mode).toBe('in-process');
    await system.startWorker(
      createJobRegistry([
        createStepsHandler() as never,
        createClusterRebuildHandler({ db: test.db, finalityDepth: FINALITY_DEPTH }) as never,
      ]),
    );
    const retried = await system.service.enqueueCustom('test.steps', { steps: 3, stepMs: 0, failRuns: 1 });
    const hopeless = await system.service.enqueueCustom('test.steps', { steps: 3, stepMs: 0, failRuns: 10 });
    const rebuild = await system.service.enqueue({ type: 'cluster.rebuild' });
    const finished = (id: bigint) =>
      waitUntil(
        `job ${id}`,
        () => jobRow(test.db, id),
        (row) => ['completed', 'failed'].includes(row.state),
      );
    expect(await finished(retried.id)).toMatchObject({ state: 'completed', attempts: 2 });
    // JOB_MAX_ATTEMPTS is 3: three transient failures end it.
    const failed = await finished(hopeless.id);
    expect(failed).toMatchObject({ state: 'failed', attempts: 3 });
    expect(failed.error).toMatch(/gave up after 3 runs: transient failure of run 3/);
    // An empty database has no final block: nothing to cluster.
    expect(await finished(rebuild.id)).toMatchObject({ state: 'completed' });
    expect((await resultRows(test.db, rebuild.id))[0]!.data).toEqual({
      blocks: 0,
      merges: 0,
      clusteredHeight: null,
    });
  });

  it('picks up at start the jobs a previous process left queued or running', async () => {
    const first = inProcess();
    // Enqueued by a process that never ran it, and one that died while running.
    const queued = await first.service.enqueueCustom('test.steps', { steps: 2, stepMs: 0 });
    const running = await first.service.enqueueCustom('test.steps', { steps: 2, stepMs: 0 });
    await test.db
      .updateTable('jobs')
      .set({ state: 'running', run_token: 'dead', attempts: 1 })
      .where('id', '=', running.id)
      .execute();
    await first.close();

    const second = inProcess();
    await second.startWorker(createJobRegistry([createStepsHandler() as never]));
    for (const id of [queued.id, running.id]) {
      const row = await waitUntil(
        `job ${id}`,
        () => jobRow(test.db, id),
        (r) => r.state === 'completed',
      );
      expect(row.attempts).toBe(id === running.id ? 2 : 1);
      expect(await resultRows(test.db, id)).toHaveLength(1);
    }
  });
});
