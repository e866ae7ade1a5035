import { NonRetryableError, RetryableError } from '@minetrace/shared';

/** The node answered a call with a JSON-RPC error (`-5` not found, `-8` bad parameter, …). */
export class RpcError extends NonRetryableError {
  override name = 'RpcError';
  constructor(
    readonly code: number,
    message: string,
    readonly method: string,
  ) {
    super(`${method}: ${message} (code ${code})`);
  }
}

/**
 * The node cannot answer now: warming up (`-28`), work queue full (HTTP 503), connection refused
 * or reset, timed out. The sync loop waits and tries again; it never fails for these.
 */
export class RpcUnavailableError extends RetryableError {
  override name = 'RpcUnavailableError';
  constructor(
    message: string,
    readonly details: { code?: number; status?: number } = {},
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** Credentials refused (HTTP 401/403) or missing: retrying with the same settings cannot help. */
export class RpcAuthError extends NonRetryableError {
  override name = 'RpcAuthError';
}

/** The reply was not bitcoind's JSON-RPC shape (wrong URL, a proxy's error page, …). */
export class RpcProtocolError extends NonRetryableError {
  override name = 'RpcProtocolError';
}
