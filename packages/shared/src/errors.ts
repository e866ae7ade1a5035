/**
 * The project's error tree. Every error that crosses a module boundary is one of these,
 * with the original error as `cause`, so that callers decide by class (retry or not)
 * and logs keep the chain.
 */
export class BaseError extends Error {
  override name = 'BaseError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** A failure that may succeed if tried again later (node warming up, connection refused, 503). */
export class RetryableError extends BaseError {
  override name = 'RetryableError';
}

/** A failure that will fail the same way again (bad input, wrong network, corrupt data). */
export class NonRetryableError extends BaseError {
  override name = 'NonRetryableError';
}

/** Process exit code for a crash that a supervisor should restart (EX_TEMPFAIL). */
export const EXIT_RETRYABLE = 75;
