import { NonRetryableError } from '@minetrace/shared';

/**
 * The block does not extend the indexed tip (its parent is not our tip, or its height is not
 * tip + 1). Nothing was written. The follower treats this as a reorg or a gap, never as data.
 */
export class BlockNotContiguousError extends NonRetryableError {
  override name = 'BlockNotContiguousError';
  constructor(
    message: string,
    readonly details: {
      tipHeight: number | null;
      tipHash: string | null;
      blockHash: string;
      prevHash: string;
    },
  ) {
    super(message);
  }
}

/** The block (or node) belongs to another network than the one this database indexes. */
export class NetworkMismatchError extends NonRetryableError {
  override name = 'NetworkMismatchError';
}

/** The rollback cannot be done as asked (no indexed block at the fork point). Nothing was written. */
export class RollbackError extends NonRetryableError {
  override name = 'RollbackError';
}
