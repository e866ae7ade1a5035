import { NonRetryableError, RetryableError } from '@minetrace/shared';

/**
 * The node served bytes for a block that do not decode, or that hash to another block than the
 * one asked for. Nothing was written; the follower keeps its tip and asks again later.
 */
export class MalformedBlockError extends RetryableError {
  override name = 'MalformedBlockError';
  constructor(
    message: string,
    readonly details: { height: number; blockHash: string },
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/**
 * No indexed block is on the node's best chain (different genesis, or a fork below everything
 * indexed). Nothing is rolled back; the follower waits and checks again, and an operator must
 * point it at the right node or database.
 */
export class ChainDivergedError extends RetryableError {
  override name = 'ChainDivergedError';
}

/** The node's best chain moved while the follower was reading it; the next round starts over. */
export class ChainMovedError extends RetryableError {
  override name = 'ChainMovedError';
}

/** `run` was called twice on one follower. */
export class FollowerStateError extends NonRetryableError {
  override name = 'FollowerStateError';
}

/**
 * The node's best chain ends below the indexed tip, on our chain, while it is still syncing
 * (initial block download, or headers ahead of blocks): it is behind, not reorganized, so nothing
 * is rolled back and the follower waits for it.
 */
export class NodeBehindError extends RetryableError {
  override name = 'NodeBehindError';
}

/**
 * A backfill range that cannot be applied as asked: not a valid range, past the node's tip, or
 * starting above the indexed tip + 1 (blocks are only written on the tip). Nothing was written.
 */
export class BackfillRangeError extends NonRetryableError {
  override name = 'BackfillRangeError';
}

/** The thread decoding blocks for a backfill stopped or failed outside any block's decoding. */
export class DecodeWorkerError extends RetryableError {
  override name = 'DecodeWorkerError';
}
