import { createApiKey, createApiServer, findApiKey } from '@minetrace/api';
import { createTestDatabase, type TestDatabase } from '@minetrace/shared/db/testing';
import { createLogger } from '@minetrace/shared/log';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { databaseEnv, runBinary, runHere, serverEnv } from '../cli.testing.js';

describe('minetrace keys', () => {
  let test: TestDatabase;
  let env: Record<string, string>;
  beforeAll(async () => {
    test = await createTestDatabase('postgres');
    env = databaseEnv(test.url!);
  });
  afterAll(async () => {
    await test?.close();
  });

  it('creates a key, prints it once, lists it without the secret, and revokes it', async () => {
    const created = await runBinary(
      ['keys', 'create', '--role', 'screener', '--name', 'compliance desk'],
      env,
    );
    expect(created.code).toBe(0);
    const secret = created.stdout.trim();
    expect(secret).toMatch(/^mtk_[A-Za-z0-9_-]{43}$/);
    expect(created.stderr).toMatch(/shown only now/);
    const key = await findApiKey(test.db, secret);
    expect(key).toMatchObject({ name: 'compliance desk', role: 'screener' });

    const listed = await runBinary(['keys', 'list'], env);
    expect(listed.stdout).toContain('compliance desk');
    expect(listed.stdout).not.toContain(secret);

    const revoked = await runBinary(['keys', 'revoke', String(key!.id)], env);
    expect(revoked.code).toBe(0);
    expect(await findApiKey(test.db, secret)).toBeUndefined();
  });

  it('refuses an unknown role with the list of roles', async () => {
    const result = await runBinary(['keys', 'create', '--role', 'root', '--name', 'x'], env);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/investigator, screener, admin/);
  });

  it('creates, lists and revokes keys on the server named by MINETRACE_API_URL, as here', async () => {
    const server = createApiServer({
      db: test.db,
      config: { API_HOST: '127.0.0.1', API_PORT: 0 },
      logger: createLogger({ level: 'silent' }),
    });
    try {
      const admin = await createApiKey(test.db, { name: 'key desk', role: 'admin' });
      const remote = serverEnv(await server.listen(), admin.secret);
      const created = await runHere(
        ['keys', 'create', '--role', 'investigator', '--name', ' analyst 7 '],
        remote,
      );
      expect(created.code).toBe(0);
      const secret = created.stdout.trim();
      expect(created.stdout).toBe(`${secret}\n`);
      expect(secret).toMatch(/^mtk_[A-Za-z0-9_-]{43}$/);
      const key = await findApiKey(test.db, secret);
      expect(key).toMatchObject({ name: 'analyst 7', role: 'investigator' });
      expect(created.stderr).toBe(
        `minetrace: created key ${key!.id} 'analyst 7' (investigator); it is shown only now, store it safely:\n`,
      );

      const listed = await runHere(['keys', 'list'], remote);
      expect(listed).toEqual(await runHere(['keys', 'list'], env));
      expect(listed.stdout).toContain(`${key!.id}\t${secret.slice(0, 10)}…\tinvestigator\tanalyst 7\t`);

      // The new key may not make keys: that takes the admin role.
      const forbidden = await runHere(['keys', 'create', '--role', 'admin', '--name', 'x'], {
        ...remote,
        MINETRACE_API_KEY: secret,
      });
      expect(forbidden.code).toBe(1);
      expect(forbidden.stderr).toMatch(
        /refused the new key: createApiKey needs the admin role \(MINETRACE_API_KEY/,
      );

      const revoked = await runHere(['keys', 'revoke', String(key!.id)], remote);
      expect(revoked).toEqual({ code: 0, stdout: `minetrace: revoked key ${key!.id}\n`, stderr: '' });
      expect(await findApiKey(test.db, secret)).toBeUndefined();
      const again = await runHere(['keys', 'revoke', String(key!.id)], remote);
      expect(again.stderr).toBe(`minetrace: no active key ${key!.id}\n`);

      const unknown = await runHere(['keys', 'create', '--role', 'screener', '--name', 'y'], {
        ...remote,
        MINETRACE_API_KEY: secret,
      });
      expect(unknown.code).toBe(1);
      expect(unknown.stdout).toBe('');
      expect(unknown.stderr).toBe(
        `minetrace: ${remote.MINETRACE_API_URL} refused the new key: unknown or revoked API key ` +
          '(check MINETRACE_API_KEY: the server does not know it, or it was revoked)\n',
      );
    } finally {
      await server.close();
    }
  });
});
