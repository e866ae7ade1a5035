import { mkdtemp, readFile, realpath, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { type ApiServer, createApiKey, createApiServer, type JobSystem } from '@minetrace/api';
import { indexDemoChain } from '@minetrace/api/testing';
import type { GroundTruth } from '@minetrace/devnet';
import { loadConfig } from '@minetrace/shared/config';
import { createTestDatabase, type TestDatabase } from '@minetrace/shared/db/testing';
import { createLogger } from '@minetrace/shared/log';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runHere, serverEnv } from '../cli.testing.js';
import { startJobSystem } from './worker.action.js';

describe('minetrace screen on the indexed demo chain', () => {
  let test: TestDatabase;
  let truth: GroundTruth;
  let env: Record<string, string>;
  let dir: string;
  /** A server on the same database, and what `minetrace screen` needs to use it instead. */
  let jobs: JobSystem;
  let server: ApiServer;
  let remoteEnv: Record<string, string>;
  let adminKey: string;

  beforeAll(async () => {
    test = await createTestDatabase('postgres');
    truth = await indexDemoChain(test.db);
    dir = await mkdtemp(path.join(tmpdir(), 'minetrace-screen-'));
    env = {
      DATABASE_URL: test.url!,
      LOG_LEVEL: 'silent',
      SCREEN_MAX_HOPS: '3',
      MINETRACE_DATA_DIR: path.join(dir, 'here'),
      MINETRACE_API_URL: '',
      REDIS_URL: '',
    };
    const serverDir = path.join(dir, 'server');
    const logger = createLogger({ level: 'silent' });
    jobs = await startJobSystem({
      db: test.db,
      config: loadConfig({ ...env, MINETRACE_DATA_DIR: serverDir }),
      logger,
      worker: true,
      rpc: undefined,
    });
    server = createApiServer({
      db: test.db,
      config: { API_HOST: '127.0.0.1', API_PORT: 0, SCREEN_MAX_HOPS: 3 },
      logger,
      jobs: { service: jobs.service, dataDir: serverDir },
    });
    const { secret } = await createApiKey(test.db, { name: 'screening desk', role: 'screener' });
    adminKey = (await createApiKey(test.db, { name: 'operations', role: 'admin' })).secret;
    remoteEnv = { ...env, ...serverEnv(await server.listen(), secret) };
  }, 300_000);

  afterAll(async () => {
    await server?.close();
    await jobs?.close();
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
    await test?.close();
  });

  it('exits 1 on a SEVERE address and prints a table with the reason', async () => {
    const address = truth.suspectFlow!.sanctionedAddress;
    const result = await runHere(['screen', address], env);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(1);
    const lines = result.stdout.split('\n');
    expect(lines[0]).toMatch(/^ADDRESS\s+RISK\s+CLUSTER$/);
    expect(lines[1]).toMatch(new RegExp(`^${address}\\s+SEVERE\\s`));
    expect(result.stdout).toContain('DIRECT_TAG: tagged sanctioned "Demo suspect" by demo sanctions list');
  });

  it('exits 0 on a clean address', async () => {
    const miner = truth.payouts.find((p) => p.entity.startsWith('miner-'))!.recipient;
    const result = await runHere(['screen', '--json', miner], env);
    expect(result.code).toBe(0);
    const [screened] = JSON.parse(result.stdout) as Array<{ address: string; risk: string }>;
    expect(screened).toMatchObject({ address: miner, risk: 'NONE' });
  });

  it('reads --file, keeps the order, and reports the exposure in JSON with the exit code its level implies', async () => {
    const exposure = truth.suspectFlow!.exposure[0]!;
    const miner = truth.payouts.find((p) => p.entity.startsWith('miner-'))!.recipient;
    const file = path.join(dir, 'addresses.txt');
    await writeFile(file, `# to check\n${exposure.address}\n\n${miner}  # a miner\n`);
    const result = await runHere(['screen', '--json', '--file', file], env);
    const screened = JSON.parse(result.stdout) as Array<{
      address: string;
      risk: string;
      reasons: Array<{ kind: string; hops: number; shareNumerator: string; shareDenominator: string }>;
    }>;
    expect(screened.map((s) => s.address)).toEqual([exposure.address, miner]);
    const found = screened[0]!.reasons.find((r) => r.kind === 'INDIRECT_EXPOSURE')!;
    expect(found.hops).toBe(exposure.hops);
    expect({ numerator: found.shareNumerator, denominator: found.shareDenominator }).toEqual(exposure.share);
    // docs/screening.md: exposure to a SEVERE category is HIGH from 25% (exit 1), MEDIUM from 5%.
    const share = Number(exposure.share.numerator) / Number(exposure.share.denominator);
    const risk = share >= 0.25 ? 'HIGH' : share >= 0.05 ? 'MEDIUM' : 'LOW';
    expect(screened[0]!.risk).toBe(risk);
    expect(result.code).toBe(risk === 'HIGH' ? 1 : 0);
  });

  it('refuses an invalid address, naming it, and screens nothing', async () => {
    const result = await runHere(['screen', truth.suspectFlow!.sanctionedAddress, 'bcrt1notanaddress'], env);
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(/1 invalid address\(es\), nothing screened: "bcrt1notanaddress"/);
  });

  it('screens on the server named by MINETRACE_API_URL: the same table, JSON and exit code as here', async () => {
    const miner = truth.payouts.find((p) => p.entity.startsWith('miner-'))!.recipient;
    const args = [
      'screen',
      truth.suspectFlow!.sanctionedAddress,
      truth.suspectFlow!.exposure[0]!.address,
      miner,
    ];
    for (const output of [[], ['--json']]) {
      const here = await runHere([...args, ...output], env);
      const there = await runHere([...args, ...output], remoteEnv);
      expect(there.stderr).toBe('');
      expect(there).toEqual(here);
      expect(there.code).toBe(1);
    }
    const invalid = ['screen', miner, 'bcrt1notanaddress'];
    expect(await runHere(invalid, remoteEnv)).toEqual(await runHere(invalid, env));
  });

  it('--job on the server: uploads the batch, follows it, downloads the same result file and prints the same summary', async () => {
    const exposure = truth.suspectFlow!.exposure[0]!.address;
    const miner = truth.payouts.find((p) => p.entity.startsWith('miner-'))!.recipient;
    const file = path.join(dir, 'batch.txt');
    await writeFile(
      file,
      `# to check\n${truth.suspectFlow!.sanctionedAddress}\n${exposure}\n\n${miner}  # a miner\n`,
    );
    const here = await runHere(['screen', '--job', '--file', file], env);
    expect(here.code).toBe(0);
    const localFile = /^minetrace: results: (.+)$/m.exec(here.stdout)![1]!;

    const cwd = await realpath(await mkdtemp(path.join(dir, 'cwd-')));
    const before = process.cwd();
    process.chdir(cwd);
    try {
      const there = await runHere(['screen', '--job', '--file', file], remoteEnv);
      expect(there.code).toBe(0);
      const id = /^minetrace: queued screen job (\d+) for 3 address\(es\) on http:/m.exec(there.stdout)![1]!;
      // Not a terminal: one line when the job finished, as `minetrace jobs wait` prints it.
      expect(there.stderr).toBe(`minetrace: job ${id} screen.batch completed 100% 3/3\n`);
      const downloaded = path.join(cwd, `job-${id}-screen-batch.jsonl`);
      expect(there.stdout).toContain(`minetrace: results: ${downloaded}\n`);
      expect(await readFile(downloaded, 'utf8')).toBe(await readFile(localFile, 'utf8'));
      const summary = (run: { stdout: string }) => run.stdout.trim().split('\n').at(-1);
      expect(summary(there)).toBe(summary(here));
      expect(JSON.parse(summary(there)!)).toMatchObject({ screened: 3, invalid: 0 });

      // A file of the job's name is never overwritten: the command says where the result is instead.
      const last = await test.db
        .selectFrom('jobs')
        .select('id')
        .orderBy('id', 'desc')
        .executeTakeFirstOrThrow();
      const taken = path.join(cwd, `job-${last.id + 1n}-screen-batch.jsonl`);
      await writeFile(taken, 'mine\n');
      const again = await runHere(['screen', '--job', '--file', file], remoteEnv);
      expect(again.code).toBe(0);
      expect(again.stdout).toContain(
        `minetrace: results: ${remoteEnv.MINETRACE_API_URL}/jobs/${last.id + 1n}/result (not downloaded: ${taken} exists)\n`,
      );
      expect(await readFile(taken, 'utf8')).toBe('mine\n');
    } finally {
      process.chdir(before);
    }
  });

  it('lists, follows and cancels jobs on the server as here', async () => {
    const admin = { ...remoteEnv, MINETRACE_API_KEY: adminKey };
    const list = ['jobs', 'list', '--kind', 'screen.batch', '--state', 'completed', '--limit', '150'];
    const listed = await runHere(list, admin);
    expect(listed.stderr).toBe('');
    expect(listed.stdout.trim().split('\n').length).toBeGreaterThanOrEqual(2);
    expect(listed).toEqual(await runHere(list, env));
    const id = /^job (\d+) /.exec(listed.stdout)![1]!;
    for (const args of [
      ['jobs', 'wait', id],
      ['jobs', 'cancel', id],
    ]) {
      const there = await runHere(args, admin);
      expect(there).toEqual(await runHere(args, env));
      expect(there.stdout).toBe(`minetrace: job ${id} screen.batch completed 100% 3/3\n`);
    }
    // The screener's key sees only the jobs it queued: not the one queued here.
    const local = await test.db
      .selectFrom('jobs')
      .select('id')
      .where('api_key_id', 'is', null)
      .where('kind', '=', 'screen.batch')
      .executeTakeFirstOrThrow();
    const hidden = await runHere(['jobs', 'wait', String(local.id)], remoteEnv);
    expect(hidden).toEqual({ code: 1, stdout: '', stderr: 'minetrace: some of these jobs do not exist\n' });
  });

  it('refuses a key the server does not know, saying so, and screens nothing', async () => {
    const miner = truth.payouts.find((p) => p.entity.startsWith('miner-'))!.recipient;
    for (const args of [
      ['screen', miner],
      ['screen', '--job', miner],
    ]) {
      const result = await runHere(args, { ...remoteEnv, MINETRACE_API_KEY: 'mtk_not-a-key' });
      expect(result.code).toBe(1);
      expect(result.stdout).toBe('');
      expect(result.stderr).toBe(
        `minetrace: ${remoteEnv.MINETRACE_API_URL} refused ${args.includes('--job') ? 'the screening batch' : 'the screening'}: ` +
          'unknown or revoked API key (check MINETRACE_API_KEY: the server does not know it, or it was revoked)\n',
      );
    }
  });
});
