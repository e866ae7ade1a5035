import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createDevnetChain, type GroundTruth, runScenario } from '@minetrace/devnet';
import { applyBlock, syncPools } from '@minetrace/indexer';
import { decodeBlock } from '@minetrace/shared/chain';
import { createTestDatabase, type TestDatabase } from '@minetrace/shared/db/testing';
import { loadPools } from '@minetrace/shared/pools';
import { storeTags } from '@minetrace/shared/tags';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { main } from '../main.js';

/** The command in this process, with its stdout, stderr and exit code. */
async function runHere(
  args: string[],
  env: Record<string, string>,
): Promise<{ code: number; stdout: string; stderr: string }> {
  for (const [name, value] of Object.entries(env)) vi.stubEnv(name, value);
  let stdout = '';
  let stderr = '';
  const stdoutSpy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    stdout += String(chunk);
    return true;
  });
  const stderrSpy = vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
    stderr += String(chunk);
    return true;
  });
  const before = process.exitCode;
  try {
    await main(['node', 'minetrace', ...args]);
    return { code: Number(process.exitCode ?? 0), stdout, stderr };
  } finally {
    process.exitCode = before;
    stdoutSpy.mockRestore();
    stderrSpy.mockRestore();
    vi.unstubAllEnvs();
  }
}

describe('minetrace screen on the indexed demo chain', () => {
  let test: TestDatabase;
  let truth: GroundTruth;
  let env: Record<string, string>;
  let dir: string;

  beforeAll(async () => {
    test = await createTestDatabase('postgres');
    const chain = createDevnetChain();
    truth = runScenario('demo', chain);
    const pools = loadPools();
    await syncPools(test.db, pools);
    for (let height = 0; height <= chain.tipHeight(); height++) {
      const rows = decodeBlock(chain.getBlock(chain.hashAtHeight(height)!)!.raw, 'regtest');
      await applyBlock(test.db, rows, pools, { height });
    }
    await storeTags(test.db, truth.tags, null);
    env = { DATABASE_URL: test.url!, LOG_LEVEL: 'silent', SCREEN_MAX_HOPS: '3' };
    dir = await mkdtemp(path.join(tmpdir(), 'minetrace-screen-'));
  }, 300_000);

  afterAll(async () => {
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
});
