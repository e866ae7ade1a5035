/**
 * Decoding block 413567 (999,887 bytes, 1557 txs, 3581 outputs) repeatedly:
 *   (1) minetrace txids only (merkle root checked), and without the merkle check for reference
 *   (2) minetrace full rows, every output's type and address
 *   (a) bitcoinjs-lib Block.fromBuffer + getId() of each tx
 *   (b) (a) + address.fromOutputScript of each output
 *   (c) one-shot sha256d of each tx's bytes: the floor, every txid has to be hashed
 *   (3) (2)'s rows serialized by V8's serializer, the structured clone with which a worker thread
 *       would hand them over: what the sending thread pays
 *   (4) (2)'s rows posted to a MessagePort and received (`receiveMessageOnPort`): both threads' cost,
 *       so (4) - (3) is what the receiving thread pays
 * Goals: (1) within 1.5x of (c); (2) at least 3x faster than (b).
 * (3) and (4) decide whether decoding in a worker thread pays: the main thread would pay (4) - (3)
 * instead of (2) per block, and every core together (2) + (4).
 * Runs are interleaved; each figure is the best round (the cost without interference from other
 * processes), with the median beside it. Ratios use the best rounds.
 */
import { hash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { serialize } from 'node:v8';
import { MessageChannel, receiveMessageOnPort } from 'node:worker_threads';
import { decodeBlock, decodeBlockTxids } from '@minetrace/shared/chain';
import * as bitcoin from 'bitcoinjs-lib';

const BLOCK = fileURLToPath(new URL('../test/fixtures/blocks/block413567.raw', import.meta.url));
const ROUNDS = 15;
const ROUND_MS = 60;

interface Case {
  label: string;
  fn: () => unknown;
}

function median(values: number[]): number {
  const sorted = [...values].sort((x, y) => x - y);
  return sorted[sorted.length >> 1]!;
}

export async function run(): Promise<void> {
  const raw = readFileSync(BLOCK);
  const parsed = bitcoin.Block.fromBuffer(raw);
  const txCount = parsed.transactions!.length;
  // Tx boundaries from bitcoinjs, so the floor does not depend on minetrace's parser.
  const slices: Buffer[] = [];
  let offset = raw.length - parsed.transactions!.reduce((sum, tx) => sum + tx.byteLength(), 0);
  for (const tx of parsed.transactions!) {
    slices.push(raw.subarray(offset, offset + tx.byteLength()));
    offset += tx.byteLength();
  }

  const decoded = decodeBlock(raw, 'main');
  const channel = new MessageChannel();
  const cases: Case[] = [
    { label: '(1) minetrace txids', fn: () => decodeBlockTxids(raw) },
    { label: '    same, no merkle check', fn: () => decodeBlockTxids(raw, { checkMerkle: false }) },
    { label: '(2) minetrace full rows', fn: () => decodeBlock(raw, 'main') },
    {
      label: '(a) bitcoinjs + getId',
      fn: () => {
        for (const tx of bitcoin.Block.fromBuffer(raw).transactions!) tx.getId();
      },
    },
    {
      label: '(b) (a) + fromOutputScript',
      fn: () => {
        for (const tx of bitcoin.Block.fromBuffer(raw).transactions!) {
          tx.getId();
          for (const out of tx.outs) {
            try {
              bitcoin.address.fromOutputScript(out.script);
            } catch {
              // nulldata and nonstandard scripts have no address
            }
          }
        }
      },
    },
    {
      label: '(c) sha256d of each tx',
      fn: () => {
        for (const s of slices) hash('sha256', hash('sha256', s, 'buffer'), 'buffer');
      },
    },
    { label: '(3) (2) serialized', fn: () => serialize(decoded) },
    {
      label: '(4) (2) posted and received',
      fn: () => {
        channel.port1.postMessage(decoded);
        receiveMessageOnPort(channel.port2);
      },
    },
  ];

  const samples = cases.map(() => [] as number[]);
  for (const c of cases) for (let i = 0; i < 3; i++) c.fn();
  for (let round = 0; round < ROUNDS; round++) {
    cases.forEach((c, k) => {
      let reps = 0;
      const start = performance.now();
      let elapsed = 0;
      while (elapsed < ROUND_MS) {
        c.fn();
        reps++;
        elapsed = performance.now() - start;
      }
      samples[k]!.push(elapsed / reps);
    });
  }

  const ms = samples.map((s) => Math.min(...s));
  const mb = raw.length / 1e6;
  const rows = cases.map((c, k) => [
    c.label,
    ms[k]!.toFixed(2),
    median(samples[k]!).toFixed(2),
    (mb / (ms[k]! / 1000)).toFixed(1),
    Math.round(txCount / (ms[k]! / 1000)).toLocaleString('en-US'),
  ]);
  const header = ['case', 'ms/block', 'median ms', 'MB/s', 'tx/s'];
  const widths = header.map((h, col) => Math.max(h.length, ...rows.map((r) => r[col]!.length)));
  const line = (cells: string[]) =>
    cells
      .map((cell, col) => (col === 0 ? cell.padEnd(widths[col]!) : cell.padStart(widths[col]!)))
      .join('  ');
  process.stdout.write(`block 413567: ${raw.length} bytes, ${txCount} txs, best of ${ROUNDS} rounds\n`);
  process.stdout.write(`${line(header)}\n${rows.map(line).join('\n')}\n`);

  const [txids, , full, , viaBitcoinjs, floor, sent, handedOver] = ms as [
    number,
    number,
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  const ratio1 = txids / floor;
  const ratio2 = viaBitcoinjs / full;
  process.stdout.write(
    `\ngoal (1) <= 1.5x of (c): ${ratio1.toFixed(2)}x ${ratio1 <= 1.5 ? 'met' : 'missed'}` +
      ` (without the merkle check: ${(ms[1]! / floor).toFixed(2)}x)\n` +
      `goal (2) >= 3x faster than (b): ${ratio2.toFixed(1)}x ${ratio2 >= 3 ? 'met' : 'missed'}\n`,
  );
  const received = handedOver - sent;
  process.stdout.write(
    `\ndecoding in a worker thread: the main thread would pay ${received.toFixed(2)} ms to receive a block ` +
      `instead of ${full.toFixed(2)} ms to decode it (${((received / full) * 100).toFixed(0)}%), ` +
      `and all threads together ${(full + handedOver).toFixed(2)} ms (${((full + handedOver) / full).toFixed(2)}x)\n`,
  );
}
