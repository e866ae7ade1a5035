import { hashToHex } from '@minetrace/shared';
import { type BlockRows, decodeBlockInSteps, type Network } from '@minetrace/shared/chain';
import { MalformedBlockError } from './follow.errors.js';

/** A block as the node served it. */
export interface FetchedBlock {
  height: number;
  /** Display hex, as the node named it. */
  hash: string;
  raw: Buffer;
}

/**
 * Transactions decoded per step of `decodeFetchedInSteps` (about a millisecond of work): an answer of
 * the batch being written waits for the step under way before its next statement goes.
 */
const DECODE_STEP_TXS = 50;
/**
 * Decodes a block the node served, checking that it is the block asked for
 * (`MalformedBlockError` otherwise), pausing after every `txsPerStep` transactions
 * (`decodeBlockInSteps`).
 */
export function* decodeFetchedInSteps(
  fetched: FetchedBlock,
  network: Network,
  txsPerStep = DECODE_STEP_TXS,
): Generator<void, BlockRows, void> {
  const { height, hash, raw } = fetched;
  let rows: BlockRows;
  try {
    rows = yield* decodeBlockInSteps(raw, network, txsPerStep);
  } catch (err) {
    throw new MalformedBlockError(
      `the node served block ${hash} at height ${height} as ${raw.length} bytes that do not decode: ${err instanceof Error ? err.message : String(err)}`,
      { height, blockHash: hash },
      { cause: err },
    );
  }
  const decoded = hashToHex(rows.header.hash);
  if (decoded !== hash) {
    throw new MalformedBlockError(
      `the node served block ${decoded} when asked for ${hash} at height ${height}`,
      {
        height,
        blockHash: hash,
      },
    );
  }
  return rows;
}
