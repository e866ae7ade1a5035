import type { Db } from '@minetrace/shared/db';
import { createLogger } from '@minetrace/shared/log';
import {
  type ApiServer,
  type ApiServerConfig,
  type ApiServerDeps,
  createApiServer,
} from '../http/api-server.js';

type Variant = Omit<ApiServerDeps, 'db' | 'config' | 'logger'>;

/** API servers listening on loopback over one database, one per variant, each named by its key. */
export interface ApiServerSet<K extends string> {
  urls: Record<K, string>;
  close(): Promise<void>;
}

/**
 * Starts one silent API server per variant of the same database and limits, for tests comparing
 * the answers of two ways the server can run (the JSON fast path or not, one executor or another).
 */
export async function listenApiServers<K extends string>(
  db: Db,
  config: Partial<ApiServerConfig>,
  variants: Record<K, Variant>,
): Promise<ApiServerSet<K>> {
  const servers: ApiServer[] = [];
  const urls = {} as Record<K, string>;
  for (const name of Object.keys(variants) as K[]) {
    const server = createApiServer({
      db,
      config: { API_HOST: '127.0.0.1', API_PORT: 0, ...config },
      logger: createLogger({ level: 'silent' }),
      ...variants[name],
    });
    servers.push(server);
    urls[name] = await server.listen();
  }
  return {
    urls,
    async close() {
      for (const server of servers) await server.close();
    },
  };
}
