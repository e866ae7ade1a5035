import type { Redis } from 'ioredis';
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';

/** Per-caller operation budget over a fixed one-minute window. */
export interface RateLimiter {
  /** Where counts live: `redis` (shared by every API process) or `memory` (this process). */
  readonly backend: 'redis' | 'memory';
  /** Takes one operation from `caller`'s budget. */
  consume(caller: string): Promise<{ allowed: true } | { allowed: false; retryAfterMs: number }>;
}

export interface RateLimiterOptions {
  /** Redis client; absent: counts are kept in this process. */
  redis?: Redis;
  /** Prefix of the Redis keys (tests use a unique one per run). @defaultValue `minetrace:rl` */
  keyPrefix?: string;
  perMinute: number;
}

/**
 * Counts operations per caller in Redis, so that every API process shares a key's budget. While
 * Redis is unreachable the in-process counter stands in (insurance), so an outage of Redis slows
 * no request and opens no unlimited window.
 */
export function createRateLimiter(options: RateLimiterOptions): RateLimiter {
  const keyPrefix = options.keyPrefix ?? 'minetrace:rl';
  const memory = new RateLimiterMemory({ keyPrefix, points: options.perMinute, duration: 60 });
  const limiter =
    options.redis === undefined
      ? memory
      : new RateLimiterRedis({
          storeClient: options.redis,
          keyPrefix,
          points: options.perMinute,
          duration: 60,
          insuranceLimiter: memory,
        });
  return {
    backend: options.redis === undefined ? 'memory' : 'redis',
    async consume(caller) {
      try {
        await limiter.consume(caller, 1);
        return { allowed: true };
      } catch (err) {
        if (err instanceof RateLimiterRes) return { allowed: false, retryAfterMs: err.msBeforeNext };
        throw err;
      }
    },
  };
}
