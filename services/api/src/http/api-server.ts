import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Config } from '@minetrace/shared/config';
import type { Db } from '@minetrace/shared/db';
import type { Logger } from '@minetrace/shared/log';
import { Redis } from 'ioredis';
import { type Authenticator, createAuthenticator } from '../auth/authenticator.js';
import { exportFlowGraph } from '../export/index.js';
import { createAuditWriter } from '../graphql/audit-writer.js';
import { createGraphqlHandler } from '../graphql/graphql-handler.js';
import {
  DEFAULT_SCREEN_SETTINGS,
  loadScreenRules,
  type ScreenSettings,
} from '../investigate/screen/index.js';
import { createJobResultRoute, JOB_RESULT_PATH } from '../jobs/job-result.route.js';
import type { JobService } from '../jobs/job-service.js';
import { createRateLimiter } from '../limits/rate-limiter.js';
import { createApiMetrics } from '../metrics/api-metrics.js';
import { graphViewerRoutes } from '../web/graph-viewer.route.js';
import { CHAINALYSIS_ADDRESS_PATH, createChainalysisRoute } from './chainalysis.route.js';
import { buildHealthReport, type NodeStatusProvider } from './health.route.js';
import { SCREEN_BATCH_PATH, screenBatchUpload } from './screen-batch.route.js';
import { TAGS_IMPORT_PATH, tagsImportUpload } from './tags-import.route.js';
import { createUploadGate } from './upload-gate.js';

/** Settings of the API; those left out take the defaults `loadConfig` documents. */
export type ApiServerConfig = Pick<Config, 'API_HOST' | 'API_PORT'> &
  Partial<
    Pick<
      Config,
      | 'REDIS_URL'
      | 'API_AUTH'
      | 'API_RATE_LIMIT_PER_MINUTE'
      | 'API_MAX_COST'
      | 'API_MAX_DEPTH'
      | 'API_MAX_PAGE'
      | 'SCREEN_MAX_HOPS'
      | 'SCREEN_RULES_FILE'
    >
  >;

/** How long `listen()` waits for Redis before serving without it. */
const REDIS_READY_WAIT_MS = 2000;

export interface ApiServerDeps {
  db: Db;
  config: ApiServerConfig;
  logger: Logger;
  /** Where `/health` learns the node's height; omitted: `node` is null. */
  nodeStatus?: NodeStatusProvider;
  /** Prefix of the rate-limit keys in Redis. @defaultValue `minetrace:rl` */
  rateLimitKeyPrefix?: string;
  /** More Prometheus text appended to `/metrics` (e.g. the follower's, when it runs in this process). */
  extraMetrics?: () => string | Promise<string>;
  /**
   * The job system: GraphQL's job mutations enqueue through it and `GET /jobs/{id}/result` serves
   * results from `dataDir` (`MINETRACE_DATA_DIR`). Omitted: the job mutations answer that jobs are
   * unavailable.
   */
  jobs?: { service: JobService; dataDir: string };
  /** Largest body of the upload routes (`/api/v1/tags/import`, `/api/v1/jobs/screen-batch`). @defaultValue `MAX_UPLOAD_BYTES` (64 MiB) */
  maxUploadBytes?: number;
  /** false: plain JSON operations go through yoga's HTTP layer too (`GraphqlHandlerDeps.jsonFastPath`). */
  jsonFastPath?: boolean;
  /** What executes operations (`GraphqlHandlerDeps.executor`). */
  executor?: 'graphql-js' | 'yoga';
}

/** A route handler: answers the request or returns false to fall through to 404. */
export type RouteHandler = (
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
) => Promise<boolean | undefined>;

/** The API's HTTP server; the API only reads the database. */
export interface ApiServer {
  readonly server: Server;
  /** Adds a handler for `METHOD /path` (exact match); later routes (GraphQL) plug in here. */
  route(method: string, path: string, handler: RouteHandler): void;
  /** Binds `API_HOST:API_PORT`; resolves to the URL it listens on (the real port when API_PORT is 0). */
  listen(): Promise<string>;
  /**
   * How callers get in, for the start-up line: keys required, or (no key configured) open to
   * loopback clients only.
   */
  describeAccess(): Promise<string>;
  close(): Promise<void>;
}

export function createApiServer(deps: ApiServerDeps): ApiServer {
  const logger = deps.logger.child({ component: 'api' });
  const routes = new Map<string, RouteHandler>();
  const config = deps.config;
  const redis =
    config.REDIS_URL === undefined
      ? undefined
      : new Redis(config.REDIS_URL, {
          maxRetriesPerRequest: 1,
          enableOfflineQueue: false,
          lazyConnect: false,
        });
  // Redis down is reported by /health and covered by the in-process limiter; log it once per outage.
  let redisDown = false;
  redis?.on('error', (err) => {
    if (!redisDown) logger.warn({ err }, 'redis unreachable; rate limits fall back to this process');
    redisDown = true;
  });
  redis?.on('ready', () => {
    redisDown = false;
  });
  const authenticator: Authenticator = createAuthenticator(deps.db, config.API_AUTH ?? 'auto');
  const metrics = createApiMetrics({ db: deps.db, nodeStatus: deps.nodeStatus });
  const screen: ScreenSettings = {
    rules: loadScreenRules(config.SCREEN_RULES_FILE),
    maxHops: config.SCREEN_MAX_HOPS ?? DEFAULT_SCREEN_SETTINGS.maxHops,
  };
  const chainalysis = createChainalysisRoute({ db: deps.db, authenticator, screen });
  // GraphQL and the upload routes share one budget per caller.
  const rateLimiter = createRateLimiter({
    redis,
    keyPrefix: deps.rateLimitKeyPrefix,
    perMinute: config.API_RATE_LIMIT_PER_MINUTE ?? 600,
  });
  const limits = {
    maxCost: config.API_MAX_COST ?? 10_000,
    maxDepth: config.API_MAX_DEPTH ?? 12,
    maxPage: config.API_MAX_PAGE ?? 100,
  };
  const auditWriter = createAuditWriter(deps.db, (err) =>
    logger.error({ err }, 'could not write the audit log'),
  );
  const graphql = createGraphqlHandler({
    db: deps.db,
    logger: deps.logger,
    authenticator,
    auditWriter,
    metrics,
    rateLimiter,
    jobs: deps.jobs?.service,
    screen,
    limits,
    ...(deps.jsonFastPath === undefined ? {} : { jsonFastPath: deps.jsonFastPath }),
    ...(deps.executor === undefined ? {} : { executor: deps.executor }),
  });
  const uploads = createUploadGate({
    db: deps.db,
    logger: deps.logger,
    authenticator,
    rateLimiter,
    auditWriter,
    metrics,
    limits,
    jobs: deps.jobs?.service ?? null,
    screen,
    maxBytes: deps.maxUploadBytes,
  });

  const jobResult: RouteHandler | undefined =
    deps.jobs === undefined
      ? undefined
      : createJobResultRoute({ db: deps.db, authenticator, dataDir: deps.jobs.dataDir });
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const handler =
      routes.get(`${req.method} ${url.pathname}`) ??
      (req.method === 'GET' && JOB_RESULT_PATH.test(url.pathname) ? jobResult : undefined) ??
      (req.method === 'GET' && CHAINALYSIS_ADDRESS_PATH.test(url.pathname) ? chainalysis : undefined);
    const handled = handler === undefined ? Promise.resolve(false) : handler(req, res, url);
    handled
      .then((done) => {
        if (done === false) sendJson(res, 404, { error: 'not found' });
      })
      .catch((err: unknown) => {
        logger.error({ err, path: url.pathname }, 'request failed');
        if (!res.headersSent) sendJson(res, 500, { error: 'internal error' });
        else res.end();
      });
  });

  const api: ApiServer = {
    server,
    route(method, path, handler) {
      routes.set(`${method.toUpperCase()} ${path}`, handler);
    },
    async listen() {
      // Counting the first requests in this process while Redis is still connecting would give every
      // key a second budget; wait for it briefly, then serve with the in-process fallback.
      if (redis !== undefined && redis.status !== 'ready') {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, REDIS_READY_WAIT_MS);
          redis.once('ready', () => {
            clearTimeout(timer);
            resolve();
          });
        });
      }
      return new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(deps.config.API_PORT, deps.config.API_HOST, () => {
          server.off('error', reject);
          const { port } = server.address() as AddressInfo;
          const host = deps.config.API_HOST.includes(':')
            ? `[${deps.config.API_HOST}]`
            : deps.config.API_HOST;
          resolve(`http://${host}:${port}`);
        });
      });
    },
    async describeAccess() {
      if (await authenticator.isOpen()) {
        return 'no API key configured: the API is open to localhost only (create one with `minetrace keys create`)';
      }
      return 'API keys required (Authorization: Bearer <key>)';
    },
    async close() {
      await new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
      });
      redis?.disconnect();
    },
  };

  api.route('GET', '/health', async (_req, res) => {
    sendJson(res, 200, await buildHealthReport(deps.db, deps.nodeStatus, redis));
    return true;
  });
  api.route('GET', '/metrics', async (_req, res) => {
    const extra = (await deps.extraMetrics?.()) ?? '';
    const text = `${await metrics.render()}${extra}`;
    res.writeHead(200, { 'content-type': metrics.registry.contentType });
    res.end(text);
    return true;
  });
  const serveGraphql: RouteHandler = async (req, res) => {
    await graphql.handle(req, res);
    return true;
  };
  api.route('GET', '/graphql', serveGraphql);
  api.route('POST', '/graphql', serveGraphql);
  api.route('GET', '/', (req, res) => graphql.graphiql(req, res));
  api.route('POST', TAGS_IMPORT_PATH, uploads.handler(tagsImportUpload));
  api.route('POST', SCREEN_BATCH_PATH, uploads.handler(screenBatchUpload));
  for (const viewer of graphViewerRoutes({
    authenticator,
    render: (graph, format, options) =>
      exportFlowGraph(graph, format as Parameters<typeof exportFlowGraph>[1], options),
  })) {
    api.route(viewer.method, viewer.path, viewer.handler);
  }
  return api;
}

/** Writes a JSON reply; bigints (amounts) are written as decimal strings so no precision is lost. */
export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body, (_key, value) => (typeof value === 'bigint' ? value.toString() : value));
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' });
  res.end(text);
}
