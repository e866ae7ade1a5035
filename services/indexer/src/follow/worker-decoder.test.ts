import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { hashToHex } from '@minetrace/shared';
import { type BlockRows, decodeBlock } from '@minetrace/shared/chain';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeFetchedInSteps, type FetchedBlock } from './fetched-block.js';
import { DecodeWorkerError, MalformedBlockError } from './follow.errors.js';
import { type BlockDecoder, createWorkerDecoder } from './worker-decoder.js';

const FIXTURE = new URL('../../../../test/fixtures/blocks/block413567.raw', import.meta.url);
const raw = readFileSync(FIXTURE);
const expected = decodeBlock(raw, 'main');
const block: FetchedBlock = { height: 413_567, hash: hashToHex(expected.header.hash), raw };

/** Every Buffer the rows hold: each must still be a Buffer after crossing threads. */
function buffersOf(rows: BlockRows): unknown[] {
  const { header, coinbase } = rows;
  return [
    header.hash,
    header.prevHash,
    header.merkleRoot,
    coinbase.scriptSig,
    ...rows.txs.flatMap((tx) => [tx.txid, ...tx.inputs.map((input) => input.prevTxid)]),
  ];
}

/** What decoding on the main thread throws for `fetched`. */
function mainThreadError(fetched: FetchedBlock): unknown {
  try {
    const steps = decodeFetchedInSteps(fetched, 'main');
    while (steps.next().done !== true);
  } catch (err) {
    return err;
  }
  throw new Error('expected the block to be refused');
}

describe('createWorkerDecoder', () => {
  let decoder: BlockDecoder;
  beforeAll(() => {
    decoder = createWorkerDecoder();
  });
  afterAll(async () => {
    await decoder?.close();
  });

  it('decodes in another thread into the rows the main thread decodes, hashes as Buffers', async () => {
    const [rows, again] = await Promise.all([decoder.decode(block, 'main'), decoder.decode(block, 'main')]);
    expect(rows).toEqual(expected);
    expect(again).toEqual(expected);
    const buffers = buffersOf(rows);
    expect(buffers.length).toBeGreaterThan(4 * rows.txs.length);
    expect(buffers.every((b) => Buffer.isBuffer(b))).toBe(true);
    expect(rows.txs[1]!.txid.toString('hex')).toBe(expected.txs[1]!.txid.toString('hex'));
  });

  it('refuses bytes that do not decode, or another block than asked for, as the main thread does', async () => {
    const truncated = { ...block, raw: raw.subarray(0, 5_000) };
    const wrongHash = { ...block, hash: '00'.repeat(32) };
    for (const fetched of [truncated, wrongHash]) {
      const err = await decoder.decode(fetched, 'main').catch((e: unknown) => e);
      const main = mainThreadError(fetched) as MalformedBlockError;
      expect(err).toBeInstanceOf(MalformedBlockError);
      expect((err as MalformedBlockError).message).toBe(main.message);
      expect((err as MalformedBlockError).details).toEqual(main.details);
    }
    // A refused block does not stop the thread.
    expect((await decoder.decode(block, 'main')).txs).toHaveLength(expected.txs.length);
  });

  it('once closed, fails the decodes still waiting and every later one', async () => {
    const closing = createWorkerDecoder();
    const waiting = closing.decode(block, 'main').catch((err: unknown) => err);
    await closing.close();
    expect(await waiting).toBeInstanceOf(DecodeWorkerError);
    await expect(closing.decode(block, 'main')).rejects.toThrow(/closed/);
  });

  it('keeps a process with nothing else to wait for alive until its decode answers', () => {
    // Only the decode is pending: were the thread not referenced meanwhile, the process would exit
    // before printing.
    const script = `
      import { readFileSync } from 'node:fs';
      import { createWorkerDecoder } from ${JSON.stringify(new URL('./worker-decoder.ts', import.meta.url).href)};
      const raw = readFileSync(${JSON.stringify(fileURLToPath(FIXTURE))});
      createWorkerDecoder().decode({ height: 413567, hash: ${JSON.stringify(block.hash)}, raw }, 'main')
        .then((rows) => console.log('decoded', rows.txs.length));`;
    const child = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      cwd: fileURLToPath(new URL('../..', import.meta.url)),
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(child.stderr).toBe('');
    expect(child.stdout.trim()).toBe(`decoded ${expected.txs.length}`);
  });
});
