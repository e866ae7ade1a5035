import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { findApiKey } from '@minetrace/api';
import { createTestDatabase, type TestDatabase } from '@minetrace/shared/db/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const BIN = fileURLToPath(new URL('../../bin/minetrace.js', import.meta.url));

function run(
  args: string[],
  env: Record<string, string>,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [BIN, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...env },
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
  });
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  return new Promise((resolve) => child.on('exit', (code) => resolve({ code, stdout, stderr })));
}

describe('minetrace keys', () => {
  let test: TestDatabase;
  let env: Record<string, string>;
  beforeAll(async () => {
    test = await createTestDatabase('postgres');
    env = { DATABASE_URL: test.url!, LOG_LEVEL: 'silent' };
  });
  afterAll(async () => {
    await test?.close();
  });

  it('creates a key, prints it once, lists it without the secret, and revokes it', async () => {
    const created = await run(['keys', 'create', '--role', 'screener', '--name', 'compliance desk'], env);
    expect(created.code).toBe(0);
    const secret = created.stdout.trim();
    expect(secret).toMatch(/^mtk_[A-Za-z0-9_-]{43}$/);
    expect(created.stderr).toMatch(/shown only now/);
    const key = await findApiKey(test.db, secret);
    expect(key).toMatchObject({ name: 'compliance desk', role: 'screener' });

    const listed = await run(['keys', 'list'], env);
    expect(listed.stdout).toContain('compliance desk');
    expect(listed.stdout).not.toContain(secret);

    const revoked = await run(['keys', 'revoke', String(key!.id)], env);
    expect(revoked.code).toBe(0);
    expect(await findApiKey(test.db, secret)).toBeUndefined();
  });

  it('refuses an unknown role with the list of roles', async () => {
    const result = await run(['keys', 'create', '--role', 'root', '--name', 'x'], env);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/investigator, screener, admin/);
  });
});
