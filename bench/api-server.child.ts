/**
 * Child process of `api.bench.ts`: serves the API over HTTP on a free loopback port, so that the
 * load generator (autocannon, the raw-SQL floor) does not share the server's event loop.
 * Sends `{ type: 'ready', url }` once listening; stops on `{ type: 'stop' }`.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { createApiServer } from '@minetrace/api';
import { openPostgres } from '@minetrace/shared/db';
import { createLogger } from '@minetrace/shared/log';

export interface ApiChildOptions {
  databaseUrl: string;
  redisUrl?: string;
  rateLimitKeyPrefix: string;
}

export type ApiChildMessage =
  | { type: 'ready'; url: string }
  | { type: 'stopped' }
  /**
   * The server's event-loop delay since the last `{ type: 'loop' }` request, in ms, and the CPU time
   * the process used meanwhile (user and system, all its threads), in µs.
   */
  | { type: 'loop'; p50: number; p99: number; max: number; cpuMicros: number; systemMicros: number };

const options = JSON.parse(process.argv[2]!) as ApiChildOptions;
const db = openPostgres(options.databaseUrl);
const server = createApiServer({
  db,
  config: {
    API_HOST: '127.0.0.1',
    API_PORT: 0,
    API_AUTH: 'auto',
    // The bench measures the API, not the limiter's refusals.
    API_RATE_LIMIT_PER_MINUTE: 1_000_000,
    ...(options.redisUrl === undefined ? {} : { REDIS_URL: options.redisUrl }),
  },
  // autocannon drops its requests in flight when a run ends; the server would log each as failed.
  logger: createLogger({ level: 'fatal', name: 'bench-api' }),
  rateLimitKeyPrefix: options.rateLimitKeyPrefix,
});
// How long ready callbacks wait for the event loop: time a request spends outside its handler.
const loopDelay = monitorEventLoopDelay({ resolution: 5 });
loopDelay.enable();
let cpuSince = process.cpuUsage();
const url = await server.listen();
process.send!({ type: 'ready', url } satisfies ApiChildMessage);
process.on('message', (message: { type: string }) => {
  if (message.type === 'loop') {
    const ms = (ns: number) => ns / 1e6;
    const cpu = process.cpuUsage(cpuSince);
    cpuSince = process.cpuUsage();
    process.send!({
      type: 'loop',
      p50: ms(loopDelay.percentile(50)),
      p99: ms(loopDelay.percentile(99)),
      max: ms(loopDelay.max),
      cpuMicros: cpu.user + cpu.system,
      systemMicros: cpu.system,
    } satisfies ApiChildMessage);
    loopDelay.reset();
    return;
  }
  if (message.type !== 'stop') return;
  void (async () => {
    await server.close();
    // Requests already accepted finish before their connections to Postgres go.
    await new Promise((resolve) => setTimeout(resolve, 1000));
    await db.destroy();
    process.send!({ type: 'stopped' } satisfies ApiChildMessage);
    process.exit(0);
  })();
});
