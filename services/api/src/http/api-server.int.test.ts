import { createTestDatabase, type TestDatabase } from '@minetrace/shared/db/testing';
import { createLogger } from '@minetrace/shared/log';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type ApiServer, createApiServer } from './api-server.js';

const TIP_HASH = '0f9188f13cb7b2c71f2a335e3a4fc328bf5beb436012afca590b1a11466e2206';

describe('API server over HTTP', () => {
  let test: TestDatabase;
  let api: ApiServer;
  let url: string;
  let nodeHeight: number | null = null;

  beforeAll(async () => {
    test = await createTestDatabase('postgres');
    api = createApiServer({
      db: test.db,
      config: { API_HOST: '127.0.0.1', API_PORT: 0 },
      logger: createLogger({ level: 'silent' }),
      nodeStatus: () => (nodeHeight === null ? null : { height: nodeHeight }),
    });
    url = await api.listen();
  });
  afterAll(async () => {
    await api?.close();
    await test?.close();
  });
  beforeEach(async () => {
    nodeHeight = null;
    await test.db.deleteFrom('chain_state').execute();
  });

  it('listens on the port it was given, or a free one for 0', () => {
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(Number(new URL(url).port)).toBeGreaterThan(0);
  });

  it('reports an empty database', async () => {
    const response = await fetch(`${url}/health`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/application\/json/);
    expect(await response.json()).toEqual({
      status: 'empty',
      network: null,
      indexed: null,
      node: null,
      lag: null,
      database: 'ok',
      redis: 'absent',
    });
  });

  it('reports the indexed tip, the node height and the lag between them', async () => {
    await test.db
      .insertInto('chain_state')
      .values({ network: 'regtest', tip_height: 120, tip_hash: Buffer.from(TIP_HASH, 'hex') })
      .execute();
    nodeHeight = 125;
    expect(await (await fetch(`${url}/health`)).json()).toEqual({
      status: 'syncing',
      network: 'regtest',
      indexed: { height: 120, hash: TIP_HASH },
      node: { height: 125 },
      lag: 5,
      database: 'ok',
      redis: 'absent',
    });
    nodeHeight = 120;
    expect(await (await fetch(`${url}/health`)).json()).toMatchObject({ status: 'ok', lag: 0 });
  });

  it('answers 404 for anything else', async () => {
    expect((await fetch(`${url}/`)).status).toBe(404);
    expect((await fetch(`${url}/health`, { method: 'POST' })).status).toBe(404);
  });

  it('serves routes added later', async () => {
    api.route('GET', '/extra', async (_req, res) => {
      res.end('extra');
      return true;
    });
    expect(await (await fetch(`${url}/extra`)).text()).toBe('extra');
  });
});
