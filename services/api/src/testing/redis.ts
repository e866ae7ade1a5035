import { Redis } from 'ioredis';

/** A connected Redis client for a test; fails saying how to start Redis when there is none. */
export async function connectTestRedis(url: string): Promise<Redis> {
  const redis = new Redis(url, {
    lazyConnect: true,
    maxRetriesPerRequest: 1,
    enableOfflineQueue: false,
  });
  redis.on('error', () => {});
  try {
    await redis.connect();
    await redis.ping();
  } catch (err) {
    redis.disconnect();
    throw new Error(
      `Redis is not reachable at ${url} (${(err as Error).message}); start it (redis-server, or ` +
        '`docker compose -f infra/compose.yml up -d redis`) or point TEST_REDIS_URL at one',
      { cause: err },
    );
  }
  return redis;
}

/**
 * Deletes the keys a test wrote under `prefix` and disconnects: the end of a test that used
 * `connectTestRedis`. Nothing to do when the client was never made.
 */
export async function closeTestRedis(redis: Redis | undefined, prefix: string): Promise<void> {
  if (redis === undefined) return;
  const stale = await redis.keys(`${prefix}*`);
  if (stale.length > 0) await redis.del(...stale);
  redis.disconnect();
}
