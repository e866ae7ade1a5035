import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { NonRetryableError } from '@minetrace/shared';
import { PoolDefinitionError } from '@minetrace/shared/pools';
import { Command } from 'commander';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { registerPools } from './pools.command.js';

const dir = mkdtempSync(join(tmpdir(), 'minetrace-pools-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
afterEach(() => {
  vi.unstubAllEnvs();
  vi.restoreAllMocks();
});

/** Runs `minetrace pools …` in process and returns what it printed on stdout. */
async function run(args: string[], minetracePools?: string): Promise<string> {
  vi.stubEnv('MINETRACE_POOLS', minetracePools ?? '');
  let out = '';
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    out += String(chunk);
    return true;
  });
  const program = new Command('minetrace').exitOverride();
  registerPools(program);
  await program.parseAsync(['pools', ...args], { from: 'user' });
  return out;
}

const extra = join(dir, 'acme-hash.json');
writeFileSync(extra, JSON.stringify({ id: 9001, name: 'Acme Hash', tags: ['/acme/'], addresses: [] }));

describe('minetrace pools', () => {
  it('prints a table of id, slug, name, tag and address counts and source', async () => {
    const out = await run([]);
    const lines = out.split('\n');
    expect(lines[0]).toMatch(/^\s*id\s+slug\s+name\s+tags\s+addresses\s+source$/);
    const f2pool = lines.find((line) => /\bf2pool\b/.test(line));
    expect(f2pool?.trim().split(/\s+/)).toEqual(['22', 'f2pool', 'F2Pool', '3', '4', 'dataset']);
  });

  it('shows pools from MINETRACE_POOLS with their file as source', async () => {
    const out = await run([], extra);
    const row = out.split('\n').find((line) => line.includes('acme-hash'));
    expect(row?.trim().split(/\s{2,}/)).toEqual(['9001', 'acme-hash', 'Acme Hash', '1', '0', extra]);
  });

  it('prints every definition and the fingerprint with --json', async () => {
    const parsed = JSON.parse(await run(['--json'], extra)) as {
      fingerprint: string;
      pools: { id: number; slug: string; source: string; tags: string[] }[];
    };
    expect(parsed.fingerprint).toMatch(/^[0-9a-f]{64}$/);
    expect(parsed.pools.find((pool) => pool.id === 22)).toMatchObject({ slug: 'f2pool', source: 'dataset' });
    expect(parsed.pools.find((pool) => pool.id === 9001)).toMatchObject({ tags: ['/acme/'], source: extra });
  });

  it('refuses an invalid extra file with an error naming file and field (exit 1 in main)', async () => {
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, JSON.stringify([{ id: 5, name: 'x', tags: [], addresses: [3] }]));
    const failure = run([], bad);
    await expect(failure).rejects.toBeInstanceOf(PoolDefinitionError);
    await expect(failure).rejects.toBeInstanceOf(NonRetryableError);
    await expect(failure).rejects.toThrow(`${bad}: [0].addresses[0]: expected string`);
  });

  it('prints the refusal on stderr and exits 1 when run as the CLI', () => {
    const bad = join(dir, 'missing-name.json');
    writeFileSync(bad, JSON.stringify({ id: 5, tags: [], addresses: [] }));
    const bin = fileURLToPath(new URL('../../bin/minetrace.js', import.meta.url));
    const result = spawnSync(process.execPath, [bin, 'pools'], {
      env: { ...process.env, MINETRACE_POOLS: bad },
      encoding: 'utf8',
    });
    expect(result.stderr).toBe(`minetrace: ${bad}: name: required\n`);
    expect(result.stdout).toBe('');
    expect(result.status).toBe(1);
  });
});
