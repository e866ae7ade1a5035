/**
 * Child process of `mainnet-like-devnet.ts`: builds the mainnet-like chain and serves it as a
 * devnet node, so that the chain's memory and CPU stay out of the measured indexer process.
 * Messages from the parent: `{ type: 'mine' }` builds the next block and submits it, answering with
 * the wall-clock time the node had connected it (and queued its ZMQ notifications).
 */
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createDevnetChain, createMainnetLikeGenerator, startDevnetNode } from '@minetrace/devnet';

export interface ChildOptions {
  seed: string;
  blocks: number;
  txsPerBlock: number;
  /** Replay serialized blocks from a file keyed by seed and sizes (written on the first run). */
  cache: boolean;
}

export type ChildMessage =
  | {
      type: 'ready';
      rpcUrl: string;
      restUrl: string;
      zmqUrl: string;
      preludeHeight: number;
      tipHeight: number;
      txs: number;
      inputs: number;
      outputs: number;
      bytes: number;
      buildMs: number;
      fromCache: boolean;
    }
  | { type: 'mined'; height: number; hash: string; txCount: number; publishedAt: number };

const options = JSON.parse(process.argv[2]!) as ChildOptions;
const send = (message: ChildMessage) => process.send!(message);
const wallNow = () => performance.timeOrigin + performance.now();

const chain = createDevnetChain();
const started = performance.now();
const cacheFile = path.join(
  tmpdir(),
  'minetrace-bench',
  `mainnet-like-v1-${options.seed}-${options.blocks}x${options.txsPerBlock}.blocks`,
);
let fromCache = false;
let generator: ReturnType<typeof createMainnetLikeGenerator> | undefined;
let summary = { preludeHeight: 0, txs: 0, inputs: 0, outputs: 0, bytes: 0 };

if (options.cache && existsSync(cacheFile)) {
  // Layout: a JSON summary line, then [u32 length][block] for heights 1..tip.
  const data = readFileSync(cacheFile);
  const newline = data.indexOf(10);
  summary = JSON.parse(data.subarray(0, newline).toString('utf8'));
  for (let pos = newline + 1; pos < data.length; ) {
    const length = data.readUInt32LE(pos);
    const reason = chain.submitBlock(data.subarray(pos + 4, pos + 4 + length));
    if (reason !== null) throw new Error(`cached block refused: ${reason}`);
    pos += 4 + length;
  }
  fromCache = true;
} else {
  generator = createMainnetLikeGenerator(chain, { seed: options.seed, txsPerBlock: options.txsPerBlock });
  for (let i = 0; i < options.blocks; i++) generator.mineNext();
  const stats = generator.stats();
  summary = {
    preludeHeight: stats.preludeHeight,
    txs: stats.txs,
    inputs: stats.inputs,
    outputs: stats.outputs,
    bytes: stats.bytes,
  };
  if (options.cache) {
    const parts: Buffer[] = [Buffer.from(`${JSON.stringify(summary)}\n`)];
    for (let h = 1; h <= chain.tipHeight(); h++) {
      const raw = chain.getBlock(chain.hashAtHeight(h)!)!.raw;
      const length = Buffer.alloc(4);
      length.writeUInt32LE(raw.length);
      parts.push(length, raw);
    }
    mkdirSync(path.dirname(cacheFile), { recursive: true });
    writeFileSync(`${cacheFile}.tmp`, Buffer.concat(parts));
    renameSync(`${cacheFile}.tmp`, cacheFile);
  }
}
const buildMs = performance.now() - started;

const node = await startDevnetNode({ chain });
send({
  type: 'ready',
  rpcUrl: node.rpcUrl,
  restUrl: node.restUrl,
  zmqUrl: node.zmqUrl!,
  tipHeight: chain.tipHeight(),
  buildMs,
  fromCache,
  ...summary,
});

process.on('message', (message: { type: 'mine' } | { type: 'stop' }) => {
  if (message.type === 'stop') {
    void node.stop().then(() => process.exit(0));
    return;
  }
  if (generator === undefined) throw new Error('a chain replayed from the cache cannot mine more blocks');
  const block = generator.buildNext();
  generator.submit(block.raw);
  send({
    type: 'mined',
    height: block.height,
    hash: block.hash,
    txCount: block.txCount,
    publishedAt: wallNow(),
  });
});
process.on('disconnect', () => process.exit(0));
