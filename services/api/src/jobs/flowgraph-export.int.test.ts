import { randomUUID } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { GroundTruth } from '@minetrace/devnet';
import type { Db } from '@minetrace/shared/db';
import { createTestDatabase, type TestDatabase } from '@minetrace/shared/db/testing';
import { createLogger } from '@minetrace/shared/log';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readExport, total } from '../export/flow-graph-parsers.testing.js';
import { runTrace } from '../investigate/index.js';
import { closeTestRedis, connectTestRedis, indexDemoChain, suspectTraceRequest } from '../testing/index.js';
import { createApiJobHandlers } from './api-job-handlers.js';
import { createWorkerChildPeer, startWorkerChild, type WorkerChild, waitUntil } from './job.testing.js';
import { createJobRegistry } from './job-runner.js';
import { getJobResult } from './job-store.js';
import type { JobSystem } from './job-system.js';

const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const logger = createLogger({ level: process.env.TEST_LOG_LEVEL === 'debug' ? 'debug' : 'silent' });

const jobRow = (db: Db, id: bigint) =>
  db.selectFrom('jobs').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
const resultRows = (db: Db, id: bigint) =>
  db.selectFrom('job_results').selectAll().where('job_id', '=', id).execute();

/**
 * The crash test for a real `flowgraph.export` job: the demo chain indexed into Postgres, a worker in
 * a process of its own (`job-worker.child.ts`) that stops half-way through writing the export's
 * file, SIGKILL there, then a worker in this process on the same BullMQ queue (real Redis).
 */
describe('a flow-graph export whose worker is killed mid-write (BullMQ on Redis, postgres)', () => {
  let test: TestDatabase;
  let redis: Redis;
  let truth: GroundTruth;
  let dataDir: string;
  let producer: JobSystem;
  let child: WorkerChild | undefined;
  const prefix = `minetrace-test-export-crash-${randomUUID()}`;

  beforeAll(async () => {
    redis = await connectTestRedis(REDIS_URL);
    test = await createTestDatabase('postgres');
    dataDir = await mkdtemp(path.join(tmpdir(), 'minetrace-export-crash-'));
    const childEnv = {
      DATABASE_URL: test.url!,
      REDIS_URL,
      MINETRACE_DATA_DIR: dataDir,
      JOB_REDIS_PREFIX: prefix,
    };
    // The worker process starts (a few seconds of module loading) while the chain is indexed.
    [truth, child] = await Promise.all([indexDemoChain(test.db), startWorkerChild(childEnv)]);
    producer = createWorkerChildPeer(test.db, childEnv, logger);
  });

  afterAll(async () => {
    await child?.kill();
    await producer?.close();
    await closeTestRedis(redis, prefix);
    await test?.close();
    if (dataDir !== undefined) await rm(dataDir, { recursive: true, force: true });
  });

  /** The files in the result directory that belong to a job (named `<job id>-<run token>.<ext>`). */
  const filesOf = async (id: bigint) =>
    (await readdir(path.join(dataDir, 'jobs')).catch(() => [] as string[]))
      .filter((name) => name.startsWith(`${id}-`))
      .sort();

  it('is finished once by another worker: one result, one complete file matching the trace', async () => {
    const db = test.db;
    const request = suspectTraceRequest(truth, 'haircut');
    const job = await producer.service.enqueue({
      type: 'flowgraph.export',
      query: {
        type: 'trace',
        request: {
          ...request,
          minValue: request.minValue.toString(),
          from: { addresses: request.from.addresses! },
        },
      },
      format: 'graphml',
      collapseClusters: false,
    });

    // The child stops with half of the file's first chunk written; its progress is in Postgres.
    const paused = await waitUntil(
      'the worker process to stop half-way through the file',
      async () => new RegExp(`^paused ${job.id} (\\d+)$`, 'm').exec(child!.output()),
      (match) => match !== null,
    );
    const written = Number(paused![1]);
    expect(written).toBeGreaterThan(0);
    await waitUntil(
      'the job row to show the file being written',
      () => jobRow(db, job.id),
      (row) => row.progress_message === 'writing graphml',
    );
    const [partial, ...others] = await filesOf(job.id);
    expect(others).toEqual([]);
    expect(partial).toMatch(new RegExp(`^${job.id}-[0-9a-f-]{36}\\.graphml\\.tmp$`));
    expect((await stat(path.join(dataDir, 'jobs', partial!))).size).toBe(written);

    await child!.kill();
    const killed = await jobRow(db, job.id);
    expect(killed).toMatchObject({ state: 'running', attempts: 1, progress_percent: 60 });
    // Nothing of the killed run is a result: no row, so neither GraphQL nor the download route has one.
    expect(await resultRows(db, job.id)).toHaveLength(0);
    expect(await getJobResult(db, job.id)).toBeUndefined();

    // Another worker on the same queue takes the job once the dead worker's lock expires.
    await producer.startWorker(createJobRegistry(createApiJobHandlers({ db })));
    const done = await waitUntil(
      'the job to complete on the second worker',
      () => jobRow(db, job.id),
      (row) => row.state === 'completed' || row.state === 'failed',
    );
    expect(done).toMatchObject({ state: 'completed', attempts: 2, error: null, progress_percent: 100 });
    // Longer than a lock and two stall checks: nothing runs it a third time or adds a result.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(await jobRow(db, job.id)).toMatchObject({ state: 'completed', attempts: 2 });
    const completed = await db
      .selectFrom('jobs')
      .select('id')
      .where('kind', '=', 'flowgraph.export')
      .where('state', '=', 'completed')
      .execute();
    expect(completed.map((row) => row.id)).toEqual([job.id]);
    const results = await resultRows(db, job.id);
    expect(results).toHaveLength(1);
    const result = results[0]!;

    // One file: the finished run's, named by the result row; the killed run's partial file is gone.
    expect(await filesOf(job.id)).toEqual([result.file_name]);
    expect(result.file_name).toMatch(/\.graphml$/);
    expect(result.file_name!.startsWith(partial!.replace(/\.graphml\.tmp$/, ''))).toBe(false);
    const content = await readFile(path.join(dataDir, 'jobs', result.file_name!), 'utf8');
    expect(BigInt(Buffer.byteLength(content))).toBe(result.bytes);
    expect(content.trimEnd().endsWith('</graphml>')).toBe(true);

    // The file parses and holds the trace: its nodes, edges and totals, and the ground truth's reach.
    const trace = await runTrace(db, request);
    const parsed = readExport('graphml', [
      { name: 'flow-graph.graphml', mediaType: 'application/graphml+xml', content },
    ]);
    expect([...parsed.nodes.keys()].sort()).toEqual(trace.nodes.map((node) => node.id).sort());
    expect(parsed.edges).toHaveLength(trace.edges.length);
    expect(total(parsed, 'value')).toBe(trace.edges.reduce((sum, edge) => sum + edge.value, 0n));
    expect(total(parsed, 'tainted_value')).toBe(
      trace.edges.reduce((sum, edge) => sum + edge.taintedValue, 0n),
    );
    const reached = truth.suspectFlow!.trace.byPolicy.haircut.reachedValue;
    expect(parsed.summary.reached_value).toBe(reached);
    const intoDeposits = parsed.edges
      .filter((edge) => truth.suspectFlow!.depositAddresses.includes(edge.target.slice('address:'.length)))
      .reduce((sum, edge) => sum + BigInt(edge.attributes.tainted_value!), 0n);
    expect(intoDeposits).toBe(BigInt(reached));
    expect(result.data).toMatchObject({
      format: 'graphml',
      files: ['flow-graph.graphml'],
      nodes: trace.nodes.length,
      edges: trace.edges.length,
      summary: { reachedValue: reached, sourceValue: truth.suspectFlow!.trace.sourceValue },
    });
  }, 60_000);
});
