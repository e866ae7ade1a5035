import { NonRetryableError, RetryableError } from '../errors.js';

/** The database could not be reached (refused, reset, timed out); trying later may work. */
export class DbUnavailableError extends RetryableError {
  override name = 'DbUnavailableError';
}

/** A migration failed; the database stays at the last migration that succeeded. */
export class MigrationError extends NonRetryableError {
  override name = 'MigrationError';
}

/** The schema is behind the code: `minetrace migrate` has not been run against this database. */
export class SchemaOutdatedError extends NonRetryableError {
  override name = 'SchemaOutdatedError';
}

const UNAVAILABLE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENOTFOUND',
  '57P03',
]);

/** Translates a driver error into the error tree; anything unknown is rethrown as it is. */
export function parseDbError(err: unknown): Error {
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && UNAVAILABLE_CODES.has(code)) {
    return new DbUnavailableError(`database unavailable (${code})`, { cause: err });
  }
  if (err instanceof AggregateError && err.errors.some((inner) => UNAVAILABLE_CODES.has(inner?.code))) {
    return new DbUnavailableError('database unavailable', { cause: err });
  }
  return err instanceof Error ? err : new Error(String(err));
}
