import { NonRetryableError } from '../errors.js';

/**
 * Bytes that are not a well-formed block or transaction: truncated data, trailing bytes, a
 * non-canonical or oversized varint, a count larger than the remaining bytes allow, a first
 * transaction that is not a coinbase, or a merkle root that does not match the txids.
 * Decoding is all or nothing: when this is thrown no rows were produced.
 */
export class DecodeError extends NonRetryableError {
  override name = 'DecodeError';
  /** Byte offset into the input where decoding failed. */
  readonly offset: number;

  constructor(message: string, offset: number, options?: { cause?: unknown }) {
    super(`${message} at byte offset ${offset}`, options);
    this.offset = offset;
  }
}
