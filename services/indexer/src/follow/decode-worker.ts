/**
 * Entry of the decoding worker thread (`createWorkerDecoder`): decodes the blocks the main thread
 * posts and posts their rows back, or the error that refused them.
 */
import { parentPort } from 'node:worker_threads';
import { asBuffer, type BlockRows, type Network } from '@minetrace/shared/chain';
import { decodeFetchedInSteps } from './fetched-block.js';
import { MalformedBlockError } from './follow.errors.js';

/** A block to decode, as the main thread posts it. */
export interface DecodeRequest {
  id: number;
  height: number;
  hash: string;
  raw: Uint8Array;
  network: Network;
}

/** The answer to a `DecodeRequest`: its rows, or why the block does not decode. */
export type DecodeReply =
  | { id: number; rows: BlockRows }
  | { id: number; malformed: { message: string; height: number; blockHash: string } }
  | { id: number; failed: string };

const port = parentPort;
if (port !== null) {
  port.on('message', (request: DecodeRequest) => {
    const { id, height, hash, network } = request;
    const raw = asBuffer(request.raw);
    let reply: DecodeReply;
    try {
      const steps = decodeFetchedInSteps({ height, hash, raw }, network, Number.POSITIVE_INFINITY);
      let step = steps.next();
      while (step.done !== true) step = steps.next();
      reply = { id, rows: step.value };
    } catch (err) {
      reply =
        err instanceof MalformedBlockError
          ? { id, malformed: { message: err.message, height, blockHash: hash } }
          : { id, failed: err instanceof Error ? (err.stack ?? err.message) : String(err) };
    }
    port.postMessage(reply);
  });
}
