import { type Logger, pino } from 'pino';

export type { Logger };

/**
 * One JSON logger per process; components take `logger.child({ component })`.
 * Fields are snake_case (`height`, `block_hash`, `duration_ms`).
 */
export function createLogger(options: { level?: string; name?: string } = {}): Logger {
  return pino({
    name: options.name ?? 'minetrace',
    level: options.level ?? 'info',
    base: undefined,
  });
}
