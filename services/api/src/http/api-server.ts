import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Config } from '@minetrace/shared/config';
import type { Db } from '@minetrace/shared/db';
import type { Logger } from '@minetrace/shared/log';
import { buildHealthReport, type NodeStatusProvider } from './health.route.js';

export interface ApiServerDeps {
  db: Db;
  config: Pick<Config, 'API_HOST' | 'API_PORT'>;
  logger: Logger;
  /** Where `/health` learns the node's height; omitted: `node` is null. */
  nodeStatus?: NodeStatusProvider;
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
  close(): Promise<void>;
}

export function createApiServer(deps: ApiServerDeps): ApiServer {
  const logger = deps.logger.child({ component: 'api' });
  const routes = new Map<string, RouteHandler>();

  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const handler = routes.get(`${req.method} ${url.pathname}`);
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
    listen() {
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
    close() {
      return new Promise((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
      });
    },
  };

  api.route('GET', '/health', async (_req, res) => {
    sendJson(res, 200, await buildHealthReport(deps.db, deps.nodeStatus));
    return true;
  });
  return api;
}

/** Writes a JSON reply; bigints (amounts) are written as decimal strings so no precision is lost. */
export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body, (_key, value) => (typeof value === 'bigint' ? value.toString() : value));
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' });
  res.end(text);
}
