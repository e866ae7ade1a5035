import { mkdtemp, rm } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { createTestDatabase, type TestDatabase } from '@minetrace/shared/db/testing';
import { createLogger } from '@minetrace/shared/log';
import { listTags } from '@minetrace/shared/tags';
import { BIP173, SAMPLE_TAGS_CSV as CSV, F2POOL, OFAC } from '@minetrace/shared/tags/testing';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiKey } from '../auth/api-key.repository.js';
import { createApiJobHandlers } from '../jobs/api-job-handlers.js';
import { createJobRegistry } from '../jobs/job-runner.js';
import { createJobSystem, type JobSystem } from '../jobs/job-system.js';
import { type ApiServer, createApiServer } from './api-server.js';
import { MAX_UPLOAD_BYTES } from './upload-gate.js';

interface Answer {
  status: number;
  body: {
    error?: { code: string; message: string; problems?: Array<{ at: string; message: string }> };
  } & Record<string, unknown>;
}

describe('upload routes: tag files and screening batches above the GraphQL body limit', () => {
  let test: TestDatabase;
  let system: JobSystem;
  let server: ApiServer;
  let url: string;
  let dataDir: string;
  const keys = { admin: '', investigator: '', screener: '' };

  const post = async (
    route: string,
    body: string,
    key: string | null,
    headers: Record<string, string> = {},
  ): Promise<Answer> => {
    const response = await fetch(`${url}${route}`, {
      method: 'POST',
      headers: {
        'content-type': 'text/plain; charset=utf-8',
        ...(key === null ? {} : { authorization: `Bearer ${key}` }),
        ...headers,
      },
      body,
    });
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    return { status: response.status, body: (await response.json()) as Answer['body'] };
  };
  const jobCount = async () =>
    Number(
      (await test.db.selectFrom('jobs').select(sql<bigint>`count(*)`.as('n')).executeTakeFirstOrThrow()).n,
    );

  beforeAll(async () => {
    test = await createTestDatabase('postgres');
    dataDir = await mkdtemp(path.join(tmpdir(), 'minetrace-uploads-'));
    const logger = createLogger({ level: 'silent' });
    system = createJobSystem({
      db: test.db,
      config: {
        REDIS_URL: undefined,
        MINETRACE_DATA_DIR: dataDir,
        JOB_RESULT_TTL: 3600,
        JOB_CONCURRENCY: 1,
        JOB_MAX_ATTEMPTS: 2,
      },
      logger,
    });
    await system.startWorker(createJobRegistry(createApiJobHandlers({ db: test.db })));
    server = createApiServer({
      db: test.db,
      config: { API_HOST: '127.0.0.1', API_PORT: 0 },
      logger,
      jobs: { service: system.service, dataDir },
    });
    url = await server.listen();
    for (const role of ['admin', 'investigator', 'screener'] as const) {
      keys[role] = (await createApiKey(test.db, { name: `${role} desk`, role })).secret;
    }
  });

  afterAll(async () => {
    await server?.close();
    await system?.close();
    await test?.close();
    if (dataDir !== undefined) await rm(dataDir, { recursive: true, force: true });
  });

  it('imports a tag file as importTags does, once, under the key’s name, and records the upload', async () => {
    const first = await post('/api/v1/tags/import?format=csv', CSV, keys.admin);
    expect(first).toEqual({
      status: 200,
      body: { read: 3, inserted: 3, updated: 0, unchanged: 0, skipped: 0, problems: [] },
    });
    const again = await post('/api/v1/tags/import?format=csv&skipInvalid=false', CSV, keys.admin);
    expect(again.body).toMatchObject({ inserted: 0, unchanged: 3 });
    const rows = await listTags(test.db);
    expect(rows.map((row) => [row.address, row.label, row.confidence, row.created_by])).toEqual([
      [OFAC, 'Lazarus Group', 0.6, 'admin desk'],
      [F2POOL, 'Example Exchange', 0.5, 'admin desk'],
      [BIP173, 'Example Exchange', 0.5, 'admin desk'],
    ]);
    // The same file through GraphQL's importTags answers the same (the rows are there already).
    const graphql = await fetch(`${url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${keys.admin}` },
      body: JSON.stringify({
        query:
          'mutation I($c: String!) { importTags(format: CSV, content: $c) { read inserted updated unchanged skipped problems { at message } } }',
        variables: { c: CSV },
      }),
    });
    expect(((await graphql.json()) as { data: { importTags: unknown } }).data.importTags).toEqual(again.body);

    const audit = await test.db
      .selectFrom('audit_log')
      .selectAll()
      .where('operation_type', '=', 'upload')
      .orderBy('id')
      .execute();
    expect(audit.map((row) => [row.operation_name, row.outcome])).toEqual([
      ['importTags', 'OK'],
      ['importTags', 'OK'],
    ]);
    expect(audit[0]!.variables_hash).toMatch(/^[0-9a-f]{64}$/);
    expect(audit[0]!.variables_hash).toBe(audit[1]!.variables_hash);
  });

  it('refuses a tag file with problems, importing nothing and listing every problem; --skip-invalid imports the rest', async () => {
    await test.db.deleteFrom('tags').execute();
    const bad = `${CSV}\nnot-an-address-at-all,X,exchange,s,0.5\n${F2POOL},Y,exchange,s,maybe\n`;
    const refused = await post('/api/v1/tags/import?format=csv', bad, keys.admin);
    expect(refused.status).toBe(400);
    expect(refused.body.error).toMatchObject({
      code: 'BAD_USER_INPUT',
      message: '2 problem(s) in the csv file, nothing imported',
    });
    expect(refused.body.error!.problems!.map((p) => p.at)).toEqual([
      'line 5 (address)',
      'line 6 (confidence)',
    ]);
    expect(refused.body.error!.problems![0]!.message).toMatch(/invalid address "not-an-address-at-all"/);
    expect(await listTags(test.db)).toEqual([]);

    const skipped = await post('/api/v1/tags/import?format=csv&skipInvalid=true', bad, keys.admin);
    expect(skipped.status).toBe(200);
    expect(skipped.body).toMatchObject({ read: 3, inserted: 3, skipped: 2 });
    expect(await listTags(test.db)).toHaveLength(3);
  });

  it('lets only the roles of the mutation in, with the same codes as GraphQL', async () => {
    const investigator = await post('/api/v1/tags/import?format=csv', CSV, keys.investigator);
    expect(investigator.status).toBe(403);
    expect(investigator.body.error).toEqual({
      code: 'FORBIDDEN',
      message: 'importTags needs the admin role',
      role: 'investigator',
    });
    // Keys exist, so the open localhost mode is over: no key is no entry.
    const anonymous = await post('/api/v1/jobs/screen-batch', F2POOL, null);
    expect(anonymous.status).toBe(401);
    expect(anonymous.body.error!.code).toBe('UNAUTHENTICATED');
    const unknown = await post('/api/v1/jobs/screen-batch', F2POOL, 'mtk_not-a-key');
    expect(unknown.status).toBe(401);
    expect(unknown.body.error).toEqual({ code: 'UNAUTHENTICATED', message: 'unknown or revoked API key' });

    const format = await post('/api/v1/tags/import?format=xml', CSV, keys.admin);
    expect(format.status).toBe(400);
    expect(format.body.error).toEqual({
      code: 'BAD_USER_INPUT',
      message: 'format must be one of tagpack, ofac, csv, got "xml"',
    });
    const noFormat = await post('/api/v1/tags/import', CSV, keys.admin);
    expect(noFormat.body.error!.message).toMatch(/format parameter is required/);
    const skip = await post('/api/v1/tags/import?format=csv&skipInvalid=yes', CSV, keys.admin);
    expect(skip.body.error!.message).toBe('skipInvalid must be true or false, got "yes"');
    const json = await post('/api/v1/tags/import?format=csv', '{}', keys.admin, {
      'content-type': 'application/json',
    });
    expect(json.status).toBe(415);
    expect(json.body.error!.code).toBe('BAD_USER_INPUT');
    const binary = await fetch(`${url}/api/v1/tags/import?format=csv`, {
      method: 'POST',
      headers: { 'content-type': 'text/plain', authorization: `Bearer ${keys.admin}` },
      body: new Uint8Array([0xff, 0xfe, 0x41]),
    });
    expect(binary.status).toBe(400);
    expect(await binary.json()).toEqual({
      error: { code: 'BAD_USER_INPUT', message: 'the body is not UTF-8 text' },
    });
  });

  it('queues a screening batch as enqueueScreenBatch does, for a screener, and answers the job', async () => {
    const list = `# to check\n${F2POOL}\n\n${BIP173.toUpperCase()}   # upper case, as some lists write it\n${F2POOL}\n`;
    const queued = await post('/api/v1/jobs/screen-batch', list, keys.screener);
    expect(queued.status).toBe(202);
    expect(queued.body).toMatchObject({ kind: 'SCREEN_BATCH', state: 'QUEUED', error: null, attempts: 0 });
    const id = BigInt(queued.body.id as string);
    const row = await test.db.selectFrom('jobs').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
    expect(row.payload).toEqual({ type: 'screen.batch', addresses: [F2POOL, BIP173, F2POOL] });
    const owner = await test.db
      .selectFrom('api_keys')
      .select('name')
      .where('id', '=', row.api_key_id!)
      .executeTakeFirstOrThrow();
    expect(owner.name).toBe('screener desk');

    // The job runs in this process's worker; the screener follows it through GraphQL, as the CLI does.
    let job: { state: string; result: { data: string; downloadUrl: string } | null } | undefined;
    for (let i = 0; i < 100 && job?.state !== 'COMPLETED'; i++) {
      const response = await fetch(`${url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${keys.screener}` },
        body: JSON.stringify({
          query: 'query J($id: ID!) { job(id: $id) { state result { data downloadUrl } } }',
          variables: { id: String(id) },
        }),
      });
      job = ((await response.json()) as { data: { job: typeof job } }).data.job;
      if (job?.state !== 'COMPLETED') await sleep(100);
    }
    expect(job?.state).toBe('COMPLETED');
    expect(JSON.parse(job!.result!.data)).toMatchObject({ screened: 2, invalid: 0 });
    const file = await fetch(`${url}${job!.result!.downloadUrl}`, {
      headers: { authorization: `Bearer ${keys.screener}` },
    });
    const screened = (await file.text())
      .trim()
      .split('\n')
      .map((line) => (JSON.parse(line) as { address: string }).address);
    expect(screened).toEqual([F2POOL, BIP173]);
  });

  it('refuses invalid addresses naming each line, and an empty list, queueing nothing', async () => {
    const before = await jobCount();
    const refused = await post(
      '/api/v1/jobs/screen-batch',
      `${F2POOL}\nnot-an-address\n# fine\n1BoatSLRHtKNngkdXEeobR76b53LETtpyX\n`,
      keys.investigator,
    );
    expect(refused.status).toBe(400);
    expect(refused.body.error).toMatchObject({
      code: 'BAD_USER_INPUT',
      message: '2 invalid address(es), nothing queued',
    });
    expect(refused.body.error!.problems!.map((p) => p.at)).toEqual(['line 2', 'line 4']);
    expect(refused.body.error!.problems![0]!.message).toMatch(/^invalid address "not-an-address": /);
    const empty = await post('/api/v1/jobs/screen-batch', '# nothing\n\n', keys.investigator);
    expect(empty.status).toBe(400);
    expect(empty.body.error!.message).toMatch(/names no address/);
    expect(await jobCount()).toBe(before);
  });

  it('refuses a body above the limit with 413 before reading it, and keeps serving', async () => {
    const oversize = 'x'.repeat(MAX_UPLOAD_BYTES + 1);
    const refused = await post('/api/v1/tags/import?format=ofac', oversize, keys.admin);
    expect(refused.status).toBe(413);
    expect(refused.body.error).toEqual({
      code: 'BAD_USER_INPUT',
      message: `request body larger than ${MAX_UPLOAD_BYTES} bytes`,
    });
    expect((await post('/api/v1/tags/import?format=csv', CSV, keys.admin)).status).toBe(200);
  });

  it('counts a streamed body without a length and refuses it at the configured limit', async () => {
    const small = createApiServer({
      db: test.db,
      config: { API_HOST: '127.0.0.1', API_PORT: 0 },
      logger: createLogger({ level: 'silent' }),
      jobs: { service: system.service, dataDir },
      maxUploadBytes: 1000,
    });
    const smallUrl = new URL(await small.listen());
    try {
      const answer = await new Promise<{ status: number; body: string }>((resolve, reject) => {
        const req = httpRequest(
          {
            host: smallUrl.hostname,
            port: smallUrl.port,
            method: 'POST',
            path: '/api/v1/jobs/screen-batch',
            headers: { 'content-type': 'text/plain', authorization: `Bearer ${keys.screener}` },
          },
          (res) => {
            let body = '';
            res.on('data', (chunk: Buffer) => {
              body += chunk.toString();
            });
            res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
          },
        );
        req.on('error', reject);
        // Chunked: no content-length, so the limit is found while reading.
        for (let i = 0; i < 50; i++) req.write(`${F2POOL}\n`);
        req.end();
      });
      expect(answer.status).toBe(413);
      expect(JSON.parse(answer.body)).toEqual({
        error: { code: 'BAD_USER_INPUT', message: 'request body larger than 1000 bytes' },
      });
      const fits = await fetch(`${smallUrl.origin}/api/v1/jobs/screen-batch`, {
        method: 'POST',
        headers: { 'content-type': 'text/plain', authorization: `Bearer ${keys.screener}` },
        body: `${F2POOL}\n`,
      });
      expect(fits.status).toBe(202);
    } finally {
      await small.close();
    }
  });

  it('takes uploads from the same rate budget as GraphQL operations', async () => {
    const limited = createApiServer({
      db: test.db,
      config: { API_HOST: '127.0.0.1', API_PORT: 0, API_RATE_LIMIT_PER_MINUTE: 2 },
      logger: createLogger({ level: 'silent' }),
      jobs: { service: system.service, dataDir },
    });
    const limitedUrl = await limited.listen();
    try {
      const headers = { authorization: `Bearer ${keys.admin}` };
      const graphql = await fetch(`${limitedUrl}/graphql`, {
        method: 'POST',
        headers: { ...headers, 'content-type': 'application/json' },
        body: JSON.stringify({ query: '{ tip { height } }' }),
      });
      expect(graphql.status).toBe(200);
      const upload = () =>
        fetch(`${limitedUrl}/api/v1/tags/import?format=csv`, {
          method: 'POST',
          headers: { ...headers, 'content-type': 'text/plain' },
          body: CSV,
        });
      expect((await upload()).status).toBe(200);
      const refused = await upload();
      expect(refused.status).toBe(429);
      expect(refused.headers.get('retry-after')).toMatch(/^\d+$/);
      expect(((await refused.json()) as Answer['body']).error!.code).toBe('RATE_LIMITED');
    } finally {
      await limited.close();
    }
  });
});
