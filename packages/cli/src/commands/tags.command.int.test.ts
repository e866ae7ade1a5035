import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createApiKey, createApiServer } from '@minetrace/api';
import { createTestDatabase, type TestDatabase } from '@minetrace/shared/db/testing';
import { createLogger } from '@minetrace/shared/log';
import { listTags } from '@minetrace/shared/tags';
import { BIP173, SAMPLE_TAGS_CSV as CSV, F2POOL, OFAC } from '@minetrace/shared/tags/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { databaseEnv, runBinary, runHere, serverEnv } from '../cli.testing.js';

const OFAC_LIST = fileURLToPath(
  new URL('../../../../test/fixtures/ofac/sanctioned_addresses_XBT.txt', import.meta.url),
);

// Each run spawns the CLI, which loads its TypeScript sources through tsx: seconds per process.
const CLI_TEST_TIMEOUT = 180_000;

describe('minetrace tags', () => {
  let test: TestDatabase;
  let other: TestDatabase;
  let env: Record<string, string>;
  let dir: string;
  beforeAll(async () => {
    test = await createTestDatabase('postgres');
    other = await createTestDatabase('postgres');
    env = databaseEnv(test.url!);
    dir = await mkdtemp(path.join(tmpdir(), 'minetrace-tags-'));
  }, 60_000);
  afterAll(async () => {
    await test?.close();
    await other?.close();
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  });

  it(
    'imports a CSV by its extension, and a second import changes nothing',
    async () => {
      const file = path.join(dir, 'tags.csv');
      await writeFile(file, CSV);
      const first = await runBinary(['tags', 'import', file], env);
      expect(first.stderr).toBe('');
      expect(first.code).toBe(0);
      expect(first.stdout).toBe(
        'minetrace: read 3 tags from tags.csv (csv): 3 new, 0 updated, 0 unchanged, 0 skipped\n',
      );
      const second = await runBinary(['tags', 'import', file], env);
      expect(second.stdout).toBe(
        'minetrace: read 3 tags from tags.csv (csv): 0 new, 0 updated, 3 unchanged, 0 skipped\n',
      );
      expect(
        (await listTags(test.db)).map((row) => [row.address, row.label, row.confidence, row.created_by]),
      ).toEqual([
        [OFAC, 'Lazarus Group', 0.6, 'cli'],
        [F2POOL, 'Example Exchange', 0.5, 'cli'],
        [BIP173, 'Example Exchange', 0.5, 'cli'],
      ]);
    },
    CLI_TEST_TIMEOUT,
  );

  it(
    'refuses a file with problems, naming each line, and imports the rest with --skip-invalid',
    async () => {
      await test.db.deleteFrom('tags').execute();
      const file = path.join(dir, 'bad.csv');
      await writeFile(file, `${CSV}\nnot-an-address-at-all,X,exchange,s,0.5\n${F2POOL},Y,exchange,s,maybe\n`);
      const refused = await runBinary(['tags', 'import', file], env);
      expect(refused.code).toBe(1);
      expect(refused.stderr).toMatch(/2 problem\(s\) in the csv file, nothing imported/);
      expect(refused.stderr).toMatch(/line 5 \(address\): invalid address "not-an-address-at-all"/);
      expect(refused.stderr).toMatch(/line 6 \(confidence\): unknown confidence "maybe"/);
      expect(await listTags(test.db)).toEqual([]);

      const skipped = await runBinary(['tags', 'import', file, '--skip-invalid'], env);
      expect(skipped.code).toBe(0);
      expect(skipped.stderr).toMatch(/skipped 2 invalid entries/);
      expect(skipped.stdout).toMatch(/3 new, 0 updated, 0 unchanged, 2 skipped/);
      expect(await listTags(test.db)).toHaveLength(3);
    },
    CLI_TEST_TIMEOUT,
  );

  it(
    'imports the OFAC SDN list (.txt) as sanctioned tags, skipping its one non-Bitcoin line',
    async () => {
      const result = await runBinary(['tags', 'import', OFAC_LIST, '--skip-invalid'], env);
      expect(result.code).toBe(0);
      expect(result.stderr).toMatch(/line 355: invalid address "TUCsTq7TofTCJRRoHk6RvhMoS2mJLm5Yzq"/);
      // 435 lines - 1 Tron address = 434.
      expect(result.stdout).toMatch(/read 434 tags .*\(ofac\): 434 new, 0 updated, 0 unchanged, 1 skipped/);
      expect(await listTags(test.db, { category: 'sanctioned' })).toHaveLength(434);
    },
    CLI_TEST_TIMEOUT,
  );

  it(
    'exports TagPack YAML that imports into another database as the same rows',
    async () => {
      const exported = await runBinary(['tags', 'export', '--category', 'exchange'], env);
      expect(exported.code).toBe(0);
      expect(exported.stdout).toMatch(/^title: minetrace tags$/m);
      const file = path.join(dir, 'export.yaml');
      await writeFile(file, exported.stdout);
      const imported = await runBinary(['tags', 'import', file], { ...env, DATABASE_URL: other.url! });
      expect(imported.code).toBe(0);
      expect(imported.stdout).toMatch(/read 2 tags from export.yaml \(tagpack\): 2 new/);
      const strip = (rows: Awaited<ReturnType<typeof listTags>>) =>
        rows.map(({ id: _id, created_at: _at, tagpack: _pack, ...rest }) => rest);
      expect(strip(await listTags(other.db))).toEqual(
        strip(await listTags(test.db, { category: 'exchange' })),
      );
    },
    CLI_TEST_TIMEOUT,
  );

  it(
    'asks for --format when the extension says nothing',
    async () => {
      const file = path.join(dir, 'tags.data');
      await writeFile(file, CSV);
      const result = await runBinary(['tags', 'import', file], env);
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(/pass --format tagpack\|ofac\|csv/);
      const withFormat = await runBinary(['tags', 'import', file, '--format', 'csv'], env);
      expect(withFormat.code).toBe(0);
    },
    CLI_TEST_TIMEOUT,
  );

  it('imports through MINETRACE_API_URL with the same summary and rows as here; a bad file imports nothing', async () => {
    const here = await createTestDatabase('postgres');
    const served = await createTestDatabase('postgres');
    const server = createApiServer({
      db: served.db,
      config: { API_HOST: '127.0.0.1', API_PORT: 0 },
      logger: createLogger({ level: 'silent' }),
    });
    try {
      const admin = await createApiKey(served.db, { name: 'tag desk', role: 'admin' });
      const investigator = await createApiKey(served.db, { name: 'analyst', role: 'investigator' });
      const remote = serverEnv(await server.listen(), admin.secret);
      const file = path.join(dir, 'remote.csv');
      await writeFile(file, CSV);
      const bad = path.join(dir, 'remote-bad.csv');
      await writeFile(bad, `${CSV}\nnot-an-address-at-all,X,exchange,s,0.5\n${F2POOL},Y,exchange,s,maybe\n`);

      const refusedHere = await runHere(['tags', 'import', bad], { ...env, DATABASE_URL: here.url! });
      const refused = await runHere(['tags', 'import', bad], remote);
      expect(refused.code).toBe(1);
      expect(refused.stdout).toBe('');
      // The same problems, line by line, as the local import lists them.
      expect(refused.stderr).toBe(
        refusedHere.stderr.replace(
          'minetrace: ',
          `minetrace: ${remote.MINETRACE_API_URL} refused the tag import: `,
        ),
      );
      expect(await listTags(served.db)).toEqual([]);

      for (const run of [1, 2]) {
        const local = await runHere(['tags', 'import', file], { ...env, DATABASE_URL: here.url! });
        const there = await runHere(['tags', 'import', file], remote);
        expect(there).toEqual(local);
        expect(there.stdout).toMatch(
          run === 1 ? /: 3 new, 0 updated, 0 unchanged/ : /: 0 new, 0 updated, 3 unchanged/,
        );
      }
      const skipped = await runHere(['tags', 'import', bad, '--skip-invalid'], remote);
      expect(skipped).toEqual(
        await runHere(['tags', 'import', bad, '--skip-invalid'], { ...env, DATABASE_URL: here.url! }),
      );
      // The same rows, except who imported them: the key's name there, `cli` here.
      const rows = async (db: TestDatabase['db']) =>
        (await listTags(db)).map(({ id: _id, created_at: _at, created_by, ...rest }) => ({
          ...rest,
          created_by,
        }));
      expect((await rows(served.db)).map((row) => ({ ...row, created_by: 'cli' }))).toEqual(
        await rows(here.db),
      );
      expect(new Set((await rows(served.db)).map((row) => row.created_by))).toEqual(new Set(['tag desk']));

      const forbidden = await runHere(['tags', 'import', file], {
        ...remote,
        MINETRACE_API_KEY: investigator.secret,
      });
      expect(forbidden.code).toBe(1);
      expect(forbidden.stderr).toBe(
        `minetrace: ${remote.MINETRACE_API_URL} refused the tag import: importTags needs the admin role ` +
          '(MINETRACE_API_KEY has another role: use a key with the role needed)\n',
      );
    } finally {
      await server.close();
      await here.close();
      await served.close();
    }
  });
});
