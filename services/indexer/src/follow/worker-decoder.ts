import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { asBuffer, type BlockRows, type Network } from '@minetrace/shared/chain';
import type { DecodeReply, DecodeRequest } from './decode-worker.js';
import type { FetchedBlock } from './fetched-block.js';
import { DecodeWorkerError, MalformedBlockError } from './follow.errors.js';

/** Decodes fetched blocks somewhere other than the calling thread. */
export interface BlockDecoder {
  /** The block's rows; rejects as `decodeFetchedInSteps` would (`MalformedBlockError`). */
  decode(block: FetchedBlock, network: Network): Promise<BlockRows>;
  /** Stops the thread; decodes still waiting reject. */
  close(): Promise<void>;
}

/**
 * A worker thread decoding blocks for the main thread (`INDEX_DECODE_WORKER=on`), in the order they
 * are posted.
 *
 * Where it pays (`npm run bench -- decode`): receiving a decoded block from another thread costs the
 * main thread about 40% of decoding it, and all threads together about twice the decoding. So it
 * frees the main thread only where cores are idle. On 2 cores, where the indexer's main thread and
 * Postgres already share them, a backfill of 60 mainnet-like blocks (`npm run bench -- ingest` with
 * `BENCH_DECODE_WORKER=1`) ran 17% slower with it (4,907 and 4,947 tx/s against 6,004 and 5,911,
 * alternating) and peaked 200 to 370 MiB higher: it is off by default.
 *
 * The sources are TypeScript run through tsx's loader (`bin/minetrace.js`); a worker does not inherit
 * loader hooks registered in-process, so its entry registers tsx first when it is a `.ts` file.
 */
export function createWorkerDecoder(): BlockDecoder {
  const ts = import.meta.url.endsWith('.ts');
  const entry = new URL(`./decode-worker${ts ? '.ts' : '.js'}`, import.meta.url);
  const source = ts
    ? `import(${JSON.stringify(tsxApi())}).then((tsx) => { tsx.register(); return import(${JSON.stringify(entry.href)}); });`
    : `import(${JSON.stringify(entry.href)});`;
  const worker = new Worker(source, { eval: true });
  // The thread keeps the process alive only while a decode is waiting: a decoder left open must not.
  worker.unref();
  const waiting = new Map<number, { resolve: (rows: BlockRows) => void; reject: (err: Error) => void }>();
  let nextId = 0;
  let stopped: DecodeWorkerError | null = null;
  const stop = (err: DecodeWorkerError) => {
    stopped ??= err;
    for (const { reject } of waiting.values()) reject(stopped);
    waiting.clear();
    worker.unref();
  };
  worker.on('message', (reply: DecodeReply) => {
    const pending = waiting.get(reply.id);
    if (pending === undefined) return;
    waiting.delete(reply.id);
    if (waiting.size === 0) worker.unref();
    if ('rows' in reply) pending.resolve(asBuffers(reply.rows));
    else if ('malformed' in reply) {
      const { message, height, blockHash } = reply.malformed;
      pending.reject(new MalformedBlockError(message, { height, blockHash }));
    } else pending.reject(new DecodeWorkerError(`the decoding worker failed: ${reply.failed}`));
  });
  worker.on('error', (err) =>
    stop(new DecodeWorkerError(`the decoding worker failed: ${err.message}`, { cause: err })),
  );
  worker.on('exit', (code) => stop(new DecodeWorkerError(`the decoding worker exited (code ${code})`)));
  return {
    decode(block, network) {
      if (stopped !== null) return Promise.reject(stopped);
      const id = nextId++;
      return new Promise<BlockRows>((resolve, reject) => {
        if (waiting.size === 0) worker.ref();
        waiting.set(id, { resolve, reject });
        const request: DecodeRequest = {
          id,
          height: block.height,
          hash: block.hash,
          raw: block.raw,
          network,
        };
        worker.postMessage(request);
      });
    },
    async close() {
      stop(new DecodeWorkerError('the decoding worker was closed'));
      await worker.terminate();
    },
  };
}

/** tsx's ESM API, by file URL (a worker's eval'd entry resolves nothing relative to this package). */
function tsxApi(): string {
  return pathToFileURL(
    createRequire(import.meta.url)
      .resolve('tsx/esm/api')
      .replace(/\.cjs$/, '.mjs'),
  ).href;
}

/**
 * Buffers arrive from another thread as plain Uint8Arrays (views of one copy of the block's bytes, and
 * of the hashes computed from them): each becomes a Buffer over the same memory again.
 */
function asBuffers(rows: BlockRows): BlockRows {
  const { header, coinbase } = rows;
  header.hash = asBuffer(header.hash);
  header.prevHash = asBuffer(header.prevHash);
  header.merkleRoot = asBuffer(header.merkleRoot);
  coinbase.scriptSig = asBuffer(coinbase.scriptSig);
  if (coinbase.witnessCommitment !== null) coinbase.witnessCommitment = asBuffer(coinbase.witnessCommitment);
  for (const tx of rows.txs) {
    tx.txid = asBuffer(tx.txid);
    for (const input of tx.inputs) input.prevTxid = asBuffer(input.prevTxid);
  }
  return rows;
}
