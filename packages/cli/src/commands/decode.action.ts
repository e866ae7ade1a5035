// The work of `minetrace decode`, loaded only when the command runs (see decode.command.ts).
import { readFileSync } from 'node:fs';
import { hashToHex, NonRetryableError } from '@minetrace/shared';
import { type BlockRows, decodeBlock } from '@minetrace/shared/chain';
import { loadConfig } from '@minetrace/shared/config';
import { identifyPool, loadPools } from '@minetrace/shared/pools';
import type { DecodeOptions } from './decode.command.js';

/** The decode input could not be read, or is not hex when `--hex` says it is. */
export class DecodeInputError extends NonRetryableError {
  override name = 'DecodeInputError';
}

/** Output is flushed in chunks of about this many characters: one write per line is the slow part. */
const CHUNK_CHARS = 1 << 20;

/** `minetrace decode`: reads, decodes and prints the block (see `registerDecode`). */
export async function decodeAction(file: string, options: DecodeOptions): Promise<void> {
  const bytes = parseInput(await readInput(file), options.hex === true);
  const rows = decodeBlock(bytes, options.network);
  const config = loadConfig(process.env);
  const pools = loadPools({ extraFiles: config.MINETRACE_POOLS });
  const match = identifyPool(
    { tag: rows.coinbase.tag, addresses: rows.txs[0]!.outputs.map((o) => o.address) },
    pools,
  );
  await writeLines(formatBlock(rows, match.pool?.name ?? null));
}

async function readInput(file: string): Promise<Buffer> {
  try {
    if (file !== '-') return readFileSync(file);
    const chunks: Buffer[] = [];
    for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks);
  } catch (err) {
    throw new DecodeInputError(`cannot read ${file === '-' ? 'stdin' : file}: ${(err as Error).message}`, {
      cause: err,
    });
  }
}

function parseInput(input: Buffer, hex: boolean): Buffer {
  if (!hex) return input;
  // Whitespace anywhere is dropped, so wrapped dumps (`xxd -p`) work as well as one long line.
  const text = input.toString('latin1').replace(/\s+/g, '');
  if (text.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(text)) {
    throw new DecodeInputError('--hex input is not an even-length hex string');
  }
  return Buffer.from(text, 'hex');
}

/** The JSON lines of a block, grouped into chunks of about CHUNK_CHARS characters. */
export function formatBlock(rows: BlockRows, pool: string | null): string[] {
  const chunks: string[] = [];
  let chunk = '';
  for (const tx of rows.txs) {
    let line = `{"txid":"${hashToHex(tx.txid)}"`;
    if (tx.isCoinbase) {
      const { height, tag } = rows.coinbase;
      line += `,"coinbase":${JSON.stringify({ height, tag, pool })}`;
    }
    line += ',"inputs":[';
    for (let i = 0; i < tx.inputs.length; i++) {
      const input = tx.inputs[i]!;
      line += `${i === 0 ? '' : ','}{"txid":"${hashToHex(input.prevTxid)}","n":${input.prevVout}}`;
    }
    line += '],"outputs":[';
    for (let i = 0; i < tx.outputs.length; i++) {
      const out = tx.outputs[i]!;
      const address = out.address === null ? 'null' : `"${out.address}"`;
      // Values fit a JSON number exactly: 21e14 satoshis is below 2^53.
      line += `${i === 0 ? '' : ','}{"n":${out.n},"value":${out.value},"type":"${out.scriptType}","address":${address}}`;
    }
    chunk += `${line}]}\n`;
    if (chunk.length >= CHUNK_CHARS) {
      chunks.push(chunk);
      chunk = '';
    }
  }
  if (chunk.length > 0) chunks.push(chunk);
  return chunks;
}

/** Writes the chunks in order; a reader that goes away early (`| head`) ends the output quietly. */
async function writeLines(chunks: string[]): Promise<void> {
  let closed = false;
  const onError = (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') closed = true;
  };
  // Left installed: the stream may report the broken pipe after the last write has returned.
  process.stdout.on('error', onError);
  for (const chunk of chunks) {
    if (closed) return;
    await new Promise<void>((resolve, reject) => {
      process.stdout.write(chunk, (err) => {
        if (err && (err as NodeJS.ErrnoException).code !== 'EPIPE') reject(err);
        else resolve();
      });
    });
  }
}
