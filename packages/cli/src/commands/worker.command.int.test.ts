import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { closeTestRedis, connectTestRedis } from '@minetrace/api/testing';
import { createDevnetChain, createWallet, type DevnetNode, startDevnetNode } from '@minetrace/devnet';
import { createTestDatabase, type TestDatabase } from '@minetrace/shared/db/testing';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const BIN = fileURLToPath(new URL('../../bin/minetrace.js', import.meta.url));
const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

interface Running {
  child: ChildProcess;
  output: () => string;
  exit: Promise<number | null>;
}

function start(args: string[], env: Record<string, string>): Running {
  let output = '';
  const child = spawn(process.execPath, [BIN, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...env },
  });
  child.stdout?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  const exit = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, output: () => output, exit };
}

async function waitFor(what: string, check: () => Promise<boolean> | boolean, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe('minetrace index --from/--to and minetrace worker', () => {
  let test: TestDatabase;
  let node: DevnetNode;
  let redis: Redis;
  let dataDir: string;
  let env: Record<string, string>;
  const prefix = `minetrace-test-cli-${randomUUID()}`;
  const children: ChildProcess[] = [];
  const chain = createDevnetChain();
  const miner = createWallet('worker-command', { chain }).newAddress('p2wpkh', 'miner');
  chain.generateToAddress(45, miner.address);

  beforeAll(async () => {
    redis = await connectTestRedis(REDIS_URL);
    test = await createTestDatabase('postgres');
    node = await startDevnetNode({ chain, zmqEndpoint: null });
    dataDir = await mkdtemp(path.join(tmpdir(), 'minetrace-cli-jobs-'));
    env = {
      DATABASE_URL: test.url!,
      BITCOIND_RPC_URL: node.rpcUrl,
      MINETRACE_DATA_DIR: dataDir,
      JOB_QUEUE_PREFIX: prefix,
      LOG_LEVEL: 'silent',
    };
  });

  afterAll(async () => {
    for (const child of children) child.kill('SIGKILL');
    await node?.stop();
    await closeTestRedis(redis, prefix);
    await test?.close();
    if (dataDir !== undefined) await rm(dataDir, { recursive: true, force: true });
  });

  const tip = async () =>
    (await test.db.selectFrom('chain_state').select('tip_height').executeTakeFirst())?.tip_height ?? null;

  it('queues chunks in Redis that a worker process indexes in height order', async () => {
    // Heights 0..29 in chunks of 10: three jobs.
    const queued = start(['index', '--from', '0', '--to', '29', '--chunk', '10', '--detach'], {
      ...env,
      REDIS_URL,
    });
    expect(await queued.exit).toBe(0);
    expect(queued.output()).toMatch(/queued 3 backfill job\(s\) for heights 0 to 29/);
    const jobs = await test.db.selectFrom('jobs').selectAll().orderBy('id').execute();
    expect(jobs.map((job) => job.payload)).toEqual([
      { type: 'index.backfill', from: 0, to: 9 },
      { type: 'index.backfill', from: 10, to: 19 },
      { type: 'index.backfill', from: 20, to: 29 },
    ]);
    expect(await tip()).toBeNull();

    const worker = start(['worker'], { ...env, REDIS_URL });
    children.push(worker.child);
    await waitFor('the worker to index height 29', async () => (await tip()) === 29);
    // A job is marked completed after its last batch commits: the tip can be seen first.
    await waitFor('the last job to be marked completed', async () => {
      const states = await test.db.selectFrom('jobs').select('state').execute();
      return states.every((job) => job.state !== 'queued' && job.state !== 'running');
    });
    const done = await test.db.selectFrom('jobs').selectAll().orderBy('id').execute();
    expect(done.map((job) => [job.state, Number(job.progress_done), Number(job.progress_total)])).toEqual([
      ['completed', 10, 10],
      ['completed', 10, 10],
      ['completed', 10, 10],
    ]);
    const hashes = await test.db.selectFrom('blocks').select(['height', 'hash']).orderBy('height').execute();
    expect(hashes).toHaveLength(30);
    for (const row of hashes) expect(row.hash.toString('hex')).toBe(chain.hashAtHeight(row.height));

    const listed = start(['jobs', 'list', '--kind', 'index.backfill'], env);
    expect(await listed.exit).toBe(0);
    expect(
      listed
        .output()
        .trim()
        .split('\n')
        .map((line) => line.split('\t')[0]),
    ).toEqual([...done].reverse().map((job) => `job ${job.id} index.backfill completed 100% 10/10`));
    const waited = start(['jobs', 'wait', String(done[0]!.id)], env);
    expect(await waited.exit).toBe(0);

    worker.child.kill('SIGTERM');
    expect(await worker.exit).toBe(0);
    expect(worker.output()).toMatch(/worker running 2 job\(s\) at a time/);
  }, 120_000);

  it('runs the backfill in its own process without REDIS_URL, and leaves the follower mode alone', async () => {
    const run = start(['index', '--from', '30', '--to', '45', '--chunk', '8'], { ...env, REDIS_URL: '' });
    expect(await run.exit).toBe(0);
    expect(run.output()).toMatch(/queued 2 backfill job\(s\) for heights 30 to 45: .*running here/);
    expect(run.output()).toMatch(/indexed heights 30 to 45/);
    expect(await tip()).toBe(45);

    const refused = start(['index', '--from', '50', '--to', '40'], env);
    expect(await refused.exit).toBe(1);
    expect(refused.output()).toMatch(/--from 50 is above --to 40/);

    // Plain `index` still follows the node: it reports following, then stops on SIGTERM.
    const follower = start(['index'], { ...env, LOG_LEVEL: 'warn' });
    children.push(follower.child);
    await waitFor('the follower to start', () => follower.output().includes('following'));
    follower.child.kill('SIGTERM');
    expect(await follower.exit).toBe(0);
  }, 120_000);

  it('screens a file as one screen.batch job with --job', async () => {
    const file = path.join(dataDir, 'addresses.txt');
    // The miner's address twice (screened once) and a comment line.
    await writeFile(file, `# to screen\n${miner.address}\n${miner.address}\n`);
    const run = start(['screen', '--file', file, '--job'], { ...env, REDIS_URL: '' });
    expect(await run.exit).toBe(0);
    expect(run.output()).toMatch(/queued screen job \d+ for 2 address\(es\) \(running here\)/);
    const summary = JSON.parse(run.output().trim().split('\n').at(-1)!);
    expect(summary).toMatchObject({ screened: 1, invalid: 0 });
    const job = await test.db
      .selectFrom('jobs')
      .selectAll()
      .where('kind', '=', 'screen.batch')
      .executeTakeFirstOrThrow();
    expect(job).toMatchObject({ state: 'completed', progress_percent: 100 });
  }, 120_000);
});
