import { createHash } from 'node:crypto';
import * as bitcoin from 'bitcoinjs-lib';
import { describe, expect, it } from 'vitest';
import { NonRetryableError } from '../errors.js';
import {
  decodeBlock,
  decodeBlockInSteps,
  decodeBlockTxids,
  decodeBlockWtxids,
  decodeTransaction,
} from './block-decoder.js';
import { DecodeError } from './decode-error.js';
import { block413567, blockFilterRows } from './fixtures.testing.js';
import type { BlockRows } from './types.js';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const rev = (b: Uint8Array) => Buffer.from(b).reverse();
const dsha = (b: Uint8Array) => createHash('sha256').update(createHash('sha256').update(b).digest()).digest();

/** Merkle root (internal order) computed independently, the textbook way. */
function merkleRoot(hashes: Buffer[]): Buffer {
  let level = hashes;
  while (level.length > 1) {
    const next: Buffer[] = [];
    for (let i = 0; i < level.length; i += 2) {
      next.push(dsha(Buffer.concat([level[i]!, level[i + 1] ?? level[i]!])));
    }
    level = next;
  }
  return level[0]!;
}

function varint(n: number): Buffer {
  if (n < 0xfd) return Buffer.from([n]);
  const b = Buffer.alloc(3);
  b[0] = 0xfd;
  b.writeUInt16LE(n, 1);
  return b;
}

/** A block from a header template and raw txs, with the merkle root set unless `root` is given. */
function buildBlock(header: Buffer, txs: Buffer[], root?: Buffer): Buffer {
  const h = Buffer.from(header.subarray(0, 80));
  (root ?? merkleRoot(txs.map((t) => dsha(t)))).copy(h, 36);
  return Buffer.concat([h, varint(txs.length), ...txs]);
}

/** The script of the coinbase's first output, as bitcoinjs-lib reads it (to find it in the bytes). */
const firstCoinbaseScript = (raw: Buffer) =>
  Buffer.from(bitcoin.Block.fromBuffer(raw).transactions![0]!.outs[0]!.script);

/** Compares every row against bitcoinjs-lib's decoding of the same bytes. */
function expectMatchesBitcoinjs(rows: BlockRows, raw: Buffer, network: bitcoin.Network): void {
  const block = bitcoin.Block.fromBuffer(raw);
  const txs = block.transactions!;
  expect(hex(rows.header.hash)).toBe(block.getId());
  expect(hex(rows.header.prevHash)).toBe(hex(rev(block.prevHash!)));
  expect(hex(rows.header.merkleRoot)).toBe(hex(rev(block.merkleRoot!)));
  expect([rows.header.version, rows.header.time, rows.header.bits, rows.header.nonce]).toEqual([
    block.version,
    block.timestamp,
    block.bits,
    block.nonce,
  ]);
  expect(rows.size).toBe(raw.length);
  expect(rows.weight).toBe(block.weight());
  expect(rows.txs.length).toBe(txs.length);
  const wtxids = decodeBlockWtxids(raw);
  rows.txs.forEach((row, i) => {
    const tx = txs[i]!;
    expect(hex(row.txid)).toBe(tx.getId());
    // bitcoinjs reports the coinbase's wtxid as zeros (its BIP141 commitment value); Core's
    // `hash` field, like minetrace, gives the coinbase's real witness hash.
    if (i > 0) expect(hex(wtxids[i]!)).toBe(hex(rev(tx.getHash(true))));
    else if (!tx.hasWitnesses()) expect(wtxids[i]).toEqual(row.txid);
    expect([row.idx, row.size, row.weight, row.vsize, row.version, row.locktime, row.isCoinbase]).toEqual([
      i,
      tx.byteLength(),
      tx.weight(),
      tx.virtualSize(),
      tx.version,
      tx.locktime,
      i === 0,
    ]);
    expect(row.inputs.map((x) => [hex(x.prevTxid), x.prevVout, x.sequence])).toEqual(
      tx.ins.map((x) => [hex(rev(x.hash)), x.index, x.sequence]),
    );
    expect(row.outputs.length).toBe(tx.outs.length);
    row.outputs.forEach((out, n) => {
      const o = tx.outs[n]!;
      let address: string | null = null;
      try {
        address = bitcoin.address.fromOutputScript(o.script, network);
      } catch {
        address = null;
      }
      expect(out.n).toBe(n);
      expect(out.value).toBe(BigInt(o.value));
      // bitcoinjs has no address for P2PK; minetrace gives the key's P2PKH address there.
      if (out.scriptType !== 'pubkey') expect(out.address).toBe(address);
    });
  });
}

describe('block 413567 (mainnet, F2Pool)', () => {
  const raw = block413567();
  const rows = decodeBlock(raw, 'main');

  it('has the known hash and 1557 transactions', () => {
    expect(hex(rows.header.hash)).toBe('0000000000000000025aff8be8a55df8f89c77296db6198f272d6577325d4069');
    expect(rows.txs.length).toBe(1557);
    expect(rows.network).toBe('main');
  });

  it('reads the coinbase: height, tags and the 25.31310238 BTC payout', () => {
    expect(rows.coinbase.height).toBe(413567);
    expect(rows.coinbase.tag).toContain('七彩神仙鱼');
    expect(rows.coinbase.tag).toContain('🐟');
    expect(rows.coinbase.tag).toContain('Mined by chenguanghai');
    expect(rows.coinbase.witnessCommitment).toBeNull();
    const cb = rows.txs[0]!;
    expect(cb.isCoinbase).toBe(true);
    expect(cb.inputs).toEqual([
      { prevTxid: Buffer.alloc(32), prevVout: 0xffffffff, sequence: expect.any(Number) },
    ]);
    expect(cb.outputs[0]).toMatchObject({
      value: 2531310238n,
      scriptType: 'pubkeyhash',
      address: '1KFHE7w8BhaENAswwryaoccDb6qcT6DbYY',
    });
    expect(rows.txs.slice(1).every((t) => !t.isCoinbase)).toBe(true);
  });

  it('matches bitcoinjs-lib on every txid, input, output value and address', () => {
    expectMatchesBitcoinjs(rows, raw, bitcoin.networks.bitcoin);
  });

  it('decodeBlockTxids gives the same txids', () => {
    expect(decodeBlockTxids(raw).map(hex)).toEqual(rows.txs.map((t) => hex(t.txid)));
  });

  it('decodes in steps to the same rows, pausing after every txsPerStep transactions', () => {
    const steps = decodeBlockInSteps(raw, 'main', 200);
    let pauses = 0;
    let step = steps.next();
    while (step.done !== true) {
      pauses += 1;
      step = steps.next();
    }
    // 1557 transactions: a pause after the 200th, 400th, ... 1400th.
    expect(pauses).toBe(7);
    expect(step.value).toEqual(rows);
  });

  it('decoding in steps throws what decodeBlock throws, from the step that meets it', () => {
    const bad = Buffer.from(raw);
    const value = bad.indexOf(firstCoinbaseScript(raw)) - 9;
    bad[value] = bad[value]! ^ 1;
    const steps = decodeBlockInSteps(bad, 'main', 1000);
    expect(steps.next().done).toBe(false);
    // The merkle root is checked once every transaction is read: in the last step.
    expect(() => steps.next()).toThrow(/merkle root does not match/);
  });

  it('decodes a transaction on its own to the same row', () => {
    const first = rows.txs[1]!;
    const start = raw.indexOf(firstCoinbaseScript(raw)) + 25 + 4; // after the coinbase
    const tx = decodeTransaction(raw.subarray(start, start + first.size), 'main');
    expect(tx).toEqual({ ...first, idx: 0 });
  });
});

describe('testnet blocks of blockfilters.json', () => {
  const rows = blockFilterRows();

  it.each(rows.map((r) => [r.height, r.note, r] as const))('block %i %s', (_height, _note, row) => {
    const decoded = decodeBlock(row.block, 'test');
    expect(hex(decoded.header.hash)).toBe(row.hash);
    expectMatchesBitcoinjs(decoded, row.block, bitcoin.networks.testnet);
    expect(decodeBlockTxids(row.block).map(hex)).toEqual(decoded.txs.map((t) => hex(t.txid)));
  });

  it('the witness block commits to the decoded wtxids', () => {
    const row = rows.find((r) => r.note.includes('witness'));
    if (!row) throw new Error('blockfilters.json has no witness block');
    const decoded = decodeBlock(row.block, 'test');
    const decodedWtxids = decodeBlockWtxids(row.block);
    expect(decodedWtxids.some((w, i) => !w.equals(decoded.txs[i]!.txid))).toBe(true);
    // BIP141: the coinbase's wtxid counts as zero; the reserved value is its witness item.
    const wtxids = decodedWtxids.map((w, i) => (i === 0 ? Buffer.alloc(32) : rev(w)));
    const reserved = Buffer.alloc(32);
    const commitment = dsha(Buffer.concat([merkleRoot(wtxids), reserved]));
    expect(hex(decoded.coinbase.witnessCommitment!)).toBe(hex(commitment));
  });
});

describe('malformed blocks throw DecodeError naming the offset', () => {
  const witnessBlock = blockFilterRows().find((r) => r.note.includes('witness'))!.block;
  const raw = block413567();
  const rows = decodeBlock(raw, 'main');

  function decodeError(bytes: Buffer): DecodeError {
    let caught: unknown;
    try {
      decodeBlock(bytes, 'main');
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(DecodeError);
    expect(caught).toBeInstanceOf(NonRetryableError);
    // The txid fast path must reject the same bytes.
    expect(() => decodeBlockTxids(bytes)).toThrow(DecodeError);
    return caught as DecodeError;
  }

  it('every truncation of a segwit block', () => {
    for (let len = 0; len < witnessBlock.length; len++) {
      const err = decodeError(witnessBlock.subarray(0, len));
      expect(err.offset).toBeLessThanOrEqual(len);
      expect(err.message).toMatch(/truncated|exceeds the bytes left/);
    }
  });

  it('truncation inside the real block', () => {
    const err = decodeError(raw.subarray(0, raw.length - 1));
    expect(err.message).toMatch(/truncated locktime at byte offset/);
    expect(err.offset).toBe(raw.length - 4);
  });

  it('trailing bytes', () => {
    const err = decodeError(Buffer.concat([raw, Buffer.from([0])]));
    expect(err.message).toBe(`1 trailing bytes after the last transaction at byte offset ${raw.length}`);
    expect(err.offset).toBe(raw.length);
  });

  it('non-canonical and oversized varints', () => {
    const body = witnessBlock.subarray(81); // after the 1-byte tx count
    const header = witnessBlock.subarray(0, 80);
    const count = witnessBlock[80]!;
    const nonCanonical = decodeError(Buffer.concat([header, Buffer.from([0xfd, count, 0]), body]));
    expect(nonCanonical.message).toMatch(/non-canonical varint for transaction count/);
    expect(nonCanonical.offset).toBe(80);
    const huge = decodeError(Buffer.concat([header, Buffer.from([0xff, 1, 0, 0, 0, 0, 0, 0, 0]), body]));
    expect(huge.message).toMatch(/non-canonical/);
    const tooBig = decodeError(Buffer.concat([header, Buffer.from([0xfe, 0, 0, 0, 0x10]), body]));
    expect(tooBig.message).toMatch(/exceeds 33554432/);
    expect(tooBig.offset).toBe(80);
  });

  it('counts larger than the bytes left', () => {
    const header = raw.subarray(0, 80);
    const txCount = decodeError(Buffer.concat([header, Buffer.from([0xfe, 0, 0, 1, 0]), raw.subarray(83)]));
    expect(txCount.message).toMatch(/transaction count 65536 exceeds the bytes left/);
    // Genesis: the coinbase's input count follows the 1-byte tx count and the 4-byte version.
    const inputs = Buffer.from(blockFilterRows()[0]!.block);
    expect(inputs[85]).toBe(1);
    inputs[85] = 0xfc;
    const inErr = decodeError(inputs);
    expect(inErr.message).toMatch(/input count 252 exceeds the bytes left/);
    expect(inErr.offset).toBe(86);
    const outputs = Buffer.from(blockFilterRows()[0]!.block);
    const outCount = 85 + 1 + 36 + 1 + 0x4d + 4;
    expect(outputs[outCount]).toBe(1);
    outputs[outCount] = 0xfd;
    outputs[outCount + 1] = 0xff;
    outputs[outCount + 2] = 0x00;
    const outErr = decodeError(outputs);
    expect(outErr.message).toMatch(/output count 255 exceeds the bytes left/);
  });

  it('merkle root mismatch', () => {
    const bad = Buffer.from(raw);
    // The coinbase's first output value: changes a txid, not the layout.
    const value = bad.indexOf(firstCoinbaseScript(raw)) - 9;
    expect(bad.readBigUInt64LE(value)).toBe(2531310238n);
    bad[value] = bad[value]! ^ 1;
    const err = decodeError(bad);
    expect(err.message).toMatch(/merkle root does not match/);
    expect(err.offset).toBe(36);
  });

  it('a duplicated transaction that keeps the merkle root (CVE-2012-2459)', () => {
    const parts = bitcoin.Block.fromBuffer(raw)
      .transactions!.slice(0, 3)
      .map((t) => Buffer.from(t.toBuffer()));
    const good = buildBlock(raw, parts);
    expect(decodeBlock(good, 'main').txs.map((t) => hex(t.txid))).toEqual(
      rows.txs.slice(0, 3).map((t) => hex(t.txid)),
    );
    const root = merkleRoot(parts.map((t) => dsha(t)));
    // [a, b, c, c] has the same merkle root as [a, b, c].
    const mutated = buildBlock(raw, [...parts, parts[2]!], root);
    expect(decodeError(mutated).message).toMatch(/merkle tree mutated/);
  });

  it('a first transaction that is not a coinbase', () => {
    const tx = Buffer.from(bitcoin.Block.fromBuffer(raw).transactions![1]!.toBuffer());
    const err = decodeError(buildBlock(raw, [tx]));
    expect(err.message).toMatch(/first transaction is not a coinbase at byte offset 81/);
  });

  it('unknown segwit flag and witness flag without witnesses', () => {
    const start = 81;
    const flag = Buffer.from(witnessBlock);
    const segwitTx = flag.indexOf(Buffer.from('0001', 'hex'), start + 4);
    expect(segwitTx).toBe(start + 4);
    flag[segwitTx + 1] = 2;
    expect(decodeError(flag).message).toMatch(/unknown transaction flag 2 at byte offset 86/);
  });

  it('a witness serialization whose witnesses are all empty, and a transaction with trailing bytes', () => {
    const tx = Buffer.from(bitcoin.Block.fromBuffer(raw).transactions![1]!.toBuffer());
    expect(hex(decodeTransaction(tx, 'main').txid)).toBe(hex(rows.txs[1]!.txid));
    const inputs = rows.txs[1]!.inputs.length;
    // version, marker+flag, body, one empty witness per input, locktime
    const segwit = Buffer.concat([
      tx.subarray(0, 4),
      Buffer.from([0, 1]),
      tx.subarray(4, tx.length - 4),
      Buffer.alloc(inputs),
      tx.subarray(tx.length - 4),
    ]);
    expect(() => decodeTransaction(segwit, 'main')).toThrow(/every witness is empty at byte offset 0/);
    expect(() => decodeTransaction(Buffer.concat([tx, Buffer.from([0])]), 'main')).toThrow(
      new RegExp(`1 trailing bytes after the transaction at byte offset ${tx.length}`),
    );
  });

  it('never anything but rows or DecodeError for corrupted bytes', () => {
    let seed = 7;
    const rand = (n: number) => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed % n;
    };
    for (const [source, runs] of [
      [witnessBlock, 300],
      [raw, 30],
    ] as const) {
      for (let k = 0; k < runs; k++) {
        const bytes = Buffer.from(source);
        for (let j = 0; j < 1 + rand(3); j++) bytes[rand(bytes.length)] = rand(256);
        try {
          decodeBlock(bytes, 'main');
        } catch (err) {
          expect(err).toBeInstanceOf(DecodeError);
        }
      }
    }
    for (let k = 0; k < 100; k++) {
      const noise = Buffer.alloc(rand(400));
      for (let i = 0; i < noise.length; i++) noise[i] = rand(256);
      expect(() => decodeBlock(noise, 'main')).toThrow(DecodeError);
    }
  });
});
