import { BaseError } from '@minetrace/shared';

/** bitcoind's RPC error codes (src/rpc/protocol.h) that the devnet answers with. */
export const RPC_CODES = {
  miscError: -1,
  typeError: -3,
  invalidAddressOrKey: -5,
  invalidParameter: -8,
  deserializationError: -22,
  verifyError: -25,
  verifyRejected: -26,
  inWarmup: -28,
  invalidRequest: -32600,
  methodNotFound: -32601,
  invalidParams: -32602,
  parseError: -32700,
} as const;

/** An error answered to the client as `{ code, message }`. */
export class RpcError extends BaseError {
  override name = 'RpcError';
  constructor(
    readonly code: number,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
