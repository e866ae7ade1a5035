import { hash } from 'node:crypto';
import { coinbaseHeight, coinbaseTag, witnessCommitment } from './coinbase.js';
import { DecodeError } from './decode-error.js';
import { classifyScript, type ScriptInfo } from './script.js';
import { sha256d, sha256dNode, sha256Tail, wordsToDisplayHash } from './sha256.js';
import type { BlockHeaderRow, BlockRows, InputRow, Network, OutputRow, TxRow } from './types.js';

/** Core's MAX_SIZE: no varint in a block or transaction may exceed it. */
const MAX_SIZE = 0x02000000;
const HEADER_SIZE = 80;
/** Smallest possible serialized transaction (one input, one output, empty scripts). */
const MIN_TX_SIZE = 60;
const MIN_INPUT_SIZE = 41;
const MIN_OUTPUT_SIZE = 9;

/** Where the parts of one validated transaction lie in the buffer. */
interface TxSpan {
  start: number;
  /** First byte of the input count (after marker and flag when `segwit`). */
  body: number;
  /** First byte after the outputs (the witness, or the locktime). */
  outputsEnd: number;
  /** First byte of the 4-byte locktime. */
  lock: number;
  end: number;
  segwit: boolean;
}

function newSpan(): TxSpan {
  return { start: 0, body: 0, outputsEnd: 0, lock: 0, end: 0, segwit: false };
}

/** `bytes` as a Buffer over the same memory (bytes from another thread arrive as plain Uint8Arrays). */
export function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

function truncated(what: string, at: number): DecodeError {
  return new DecodeError(`truncated ${what}`, at);
}

/**
 * Reads a CompactSize at `pos` with Core's rules (canonical encoding, at most MAX_SIZE). Returns
 * the value; the caller advances by `varintSize(value)`.
 */
function readVarint(b: Buffer, pos: number, end: number, what: string): number {
  if (pos >= end) throw truncated(what, pos);
  const first = b[pos]!;
  if (first < 0xfd) return first;
  let value: number;
  if (first === 0xfd) {
    if (end - pos < 3) throw truncated(what, pos);
    value = b.readUInt16LE(pos + 1);
    if (value < 0xfd) throw new DecodeError(`non-canonical varint for ${what}`, pos);
  } else if (first === 0xfe) {
    if (end - pos < 5) throw truncated(what, pos);
    value = b.readUInt32LE(pos + 1);
    if (value < 0x10000) throw new DecodeError(`non-canonical varint for ${what}`, pos);
  } else {
    if (end - pos < 9) throw truncated(what, pos);
    const hi = b.readUInt32LE(pos + 5);
    if (hi === 0) throw new DecodeError(`non-canonical varint for ${what}`, pos);
    value = hi * 2 ** 32 + b.readUInt32LE(pos + 1);
  }
  if (value > MAX_SIZE) throw new DecodeError(`varint ${value} for ${what} exceeds ${MAX_SIZE}`, pos);
  return value;
}

function varintSize(value: number): number {
  return value < 0xfd ? 1 : value <= 0xffff ? 3 : value <= 0xffffffff ? 5 : 9;
}

/**
 * Walks one transaction at `pos`, checking every length against `end`, and records its span.
 * Serialization rules are Core's: marker 0 must be followed by flag 1, and a witness
 * serialization must carry at least one non-empty witness.
 */
function scanTx(b: Buffer, pos: number, end: number, span: TxSpan): void {
  span.start = pos;
  if (end - pos < 4) throw truncated('transaction version', pos);
  let p = pos + 4;
  span.segwit = false;
  if (p < end && b[p] === 0) {
    if (p + 1 >= end) throw truncated('transaction flag', p);
    if (b[p + 1] !== 1) throw new DecodeError(`unknown transaction flag ${b[p + 1]}`, p + 1);
    span.segwit = true;
    p += 2;
  }
  span.body = p;
  const nIn = readVarint(b, p, end, 'input count');
  if (nIn === 0) throw new DecodeError('transaction has no inputs', p);
  p += varintSize(nIn);
  if (nIn > (end - p) / MIN_INPUT_SIZE) throw new DecodeError(`input count ${nIn} exceeds the bytes left`, p);
  for (let i = 0; i < nIn; i++) {
    if (end - p < 37) throw truncated('input', p);
    p += 36;
    const len = readVarint(b, p, end, 'scriptSig length');
    p += varintSize(len);
    if (end - p < len + 4) throw truncated('scriptSig', p);
    p += len + 4;
  }
  const nOut = readVarint(b, p, end, 'output count');
  p += varintSize(nOut);
  if (nOut > (end - p) / MIN_OUTPUT_SIZE)
    throw new DecodeError(`output count ${nOut} exceeds the bytes left`, p);
  for (let i = 0; i < nOut; i++) {
    if (end - p < 9) throw truncated('output', p);
    p += 8;
    const len = readVarint(b, p, end, 'output script length');
    p += varintSize(len);
    if (end - p < len) throw truncated('output script', p);
    p += len;
  }
  span.outputsEnd = p;
  if (span.segwit) {
    let nonEmpty = false;
    for (let i = 0; i < nIn; i++) {
      const items = readVarint(b, p, end, 'witness item count');
      p += varintSize(items);
      if (items > end - p) throw new DecodeError(`witness item count ${items} exceeds the bytes left`, p);
      if (items > 0) nonEmpty = true;
      for (let k = 0; k < items; k++) {
        const len = readVarint(b, p, end, 'witness item length');
        p += varintSize(len);
        if (end - p < len) throw truncated('witness item', p);
        p += len;
      }
    }
    if (!nonEmpty) throw new DecodeError('witness flag set but every witness is empty', span.start);
  }
  if (end - p < 4) throw truncated('locktime', p);
  span.lock = p;
  span.end = p + 4;
}

let scratch = Buffer.allocUnsafe(1 << 16);

/**
 * The txid of the tx at `span`, as 8 big-endian words at `at` of `level` (the merkle input),
 * returned in display order. The first SHA-256 runs natively over slices of the block (the
 * whole tx, or for segwit its parts without witness); the second in JS (`sha256Tail`).
 */
function txidInto(b: Buffer, span: TxSpan, level: Int32Array, at: number): Buffer {
  let first: Buffer;
  if (!span.segwit) {
    // A plain Uint8Array view: cheaper to make than a Buffer subarray, and hashing is per tx.
    first = hash(
      'sha256',
      new Uint8Array(b.buffer, b.byteOffset + span.start, span.end - span.start),
      'buffer',
    );
  } else {
    const bodyLen = span.outputsEnd - span.body;
    const len = bodyLen + 8;
    if (scratch.length < len) scratch = Buffer.allocUnsafe(Math.max(len, scratch.length * 2));
    b.copy(scratch, 0, span.start, span.start + 4);
    b.copy(scratch, 4, span.body, span.outputsEnd);
    b.copy(scratch, 4 + bodyLen, span.lock, span.end);
    first = hash('sha256', scratch.subarray(0, len), 'buffer');
  }
  sha256Tail(first, level, at);
  return wordsToDisplayHash(level, at);
}

/**
 * Checks the header's merkle root against the txids (words of internal-order hashes), and
 * rejects Core's CVE-2012-2459 mutation (two identical sibling hashes), which lets a block
 * with duplicated transactions share the merkle root of the valid one.
 */
function checkMerkle(b: Buffer, level: Int32Array, count: number): void {
  let n = count;
  while (n > 1) {
    for (let i = 0; i + 1 < n; i += 2) {
      let same = true;
      for (let k = 0; k < 8; k++) {
        if (level[8 * i + k] !== level[8 * (i + 1) + k]) {
          same = false;
          break;
        }
      }
      if (same) throw new DecodeError(`merkle tree mutated: duplicate transactions ${i} and ${i + 1}`, 36);
    }
    const next = (n + 1) >> 1;
    for (let i = 0; i < next; i++) {
      const left = 16 * i;
      const right = 2 * i + 1 < n ? left + 8 : left;
      sha256dNode(level, left, right, level, 8 * i);
    }
    n = next;
  }
  for (let k = 0; k < 8; k++) {
    if (level[k] !== b.readInt32BE(36 + 4 * k))
      throw new DecodeError('merkle root does not match the txids', 36);
  }
}

function readHeader(b: Buffer): BlockHeaderRow {
  return {
    hash: sha256d(b.subarray(0, HEADER_SIZE)).reverse(),
    version: b.readInt32LE(0),
    prevHash: Buffer.from(b.subarray(4, 36)).reverse(),
    merkleRoot: Buffer.from(b.subarray(36, 68)).reverse(),
    time: b.readUInt32LE(68),
    bits: b.readUInt32LE(72),
    nonce: b.readUInt32LE(76),
  };
}

/** Reads the header and tx count, checking both fit. Returns the count and the first tx's offset. */
function readBlockStart(b: Buffer): { count: number; pos: number } {
  if (b.length < HEADER_SIZE) throw truncated('block header', 0);
  const count = readVarint(b, HEADER_SIZE, b.length, 'transaction count');
  const pos = HEADER_SIZE + varintSize(count);
  if (count === 0) throw new DecodeError('block has no transactions', HEADER_SIZE);
  if (count > (b.length - pos) / MIN_TX_SIZE) {
    throw new DecodeError(`transaction count ${count} exceeds the bytes left`, HEADER_SIZE);
  }
  return { count, pos };
}

function isNullPrevout(b: Buffer, at: number): boolean {
  for (let i = 0; i < 32; i++) if (b[at + i] !== 0) return false;
  return b.readUInt32LE(at + 32) === 0xffffffff;
}

function checkCoinbase(b: Buffer, span: TxSpan): void {
  // The first tx's single input must spend the null prevout (1 = input count varint).
  if (b[span.body] !== 1 || !isNullPrevout(b, span.body + 1)) {
    throw new DecodeError('first transaction is not a coinbase', span.start);
  }
}

/** Options of `decodeBlockTxids`. */
export interface DecodeTxidsOptions {
  /**
   * Check the header's merkle root against the txids. The tree costs about half as much again
   * as hashing the transactions; skip it only for bytes your own node has already validated.
   * @defaultValue true
   */
  checkMerkle?: boolean;
}

/**
 * Walks a block's transactions, checking every length, and returns `perTx` of each (given its span and
 * txid); then checks the txids against the header's merkle root, unless `checkRoot` is false.
 */
function mapBlockTxs<T>(
  bytes: Uint8Array,
  checkRoot: boolean,
  perTx: (b: Buffer, span: TxSpan, txid: Buffer) => T,
): T[] {
  const b = asBuffer(bytes);
  const end = b.length;
  const { count, pos: first } = readBlockStart(b);
  const out: T[] = new Array(count);
  const level = new Int32Array(8 * count);
  const span = newSpan();
  let pos = first;
  for (let i = 0; i < count; i++) {
    scanTx(b, pos, end, span);
    if (i === 0) checkCoinbase(b, span);
    out[i] = perTx(b, span, txidInto(b, span, level, 8 * i));
    pos = span.end;
  }
  if (pos !== end) throw new DecodeError(`${end - pos} trailing bytes after the last transaction`, pos);
  if (checkRoot) checkMerkle(b, level, count);
  return out;
}

/**
 * The txids of a block (display order), checked against the header's merkle root: the fast path
 * for callers that need only txids. Throws `DecodeError` on any malformed input.
 */
export function decodeBlockTxids(bytes: Uint8Array, options: DecodeTxidsOptions = {}): Buffer[] {
  return mapBlockTxs(bytes, options.checkMerkle !== false, (_b, _span, txid) => txid);
}

/** Reads a varint already validated by `scanTx`. */
function varintAt(b: Buffer, pos: number): number {
  const first = b[pos]!;
  if (first < 0xfd) return first;
  if (first === 0xfd) return b.readUInt16LE(pos + 1);
  if (first === 0xfe) return b.readUInt32LE(pos + 1);
  return b.readUInt32LE(pos + 5) * 2 ** 32 + b.readUInt32LE(pos + 1);
}

/** Script type and address per distinct script within one decode: payouts repeat addresses. */
type ScriptCache = Map<string, ScriptInfo>;

/** Builds the row of a transaction whose span `scanTx` has validated. */
function buildTx(
  b: Buffer,
  span: TxSpan,
  idx: number,
  isCoinbase: boolean,
  network: Network,
  cache: ScriptCache,
  txid: Buffer,
): TxRow {
  let p = span.body;
  const nIn = varintAt(b, p);
  p += varintSize(nIn);
  const inputs: InputRow[] = new Array(nIn);
  const prev = Buffer.allocUnsafe(32 * nIn);
  for (let i = 0; i < nIn; i++) {
    const prevTxid = prev.subarray(32 * i, 32 * i + 32);
    for (let k = 0; k < 32; k++) prevTxid[k] = b[p + 31 - k]!;
    const prevVout = b.readUInt32LE(p + 32);
    p += 36;
    const len = varintAt(b, p);
    p += varintSize(len) + len;
    inputs[i] = { prevTxid, prevVout, sequence: b.readUInt32LE(p) };
    p += 4;
  }
  const nOut = varintAt(b, p);
  p += varintSize(nOut);
  const outputs: OutputRow[] = new Array(nOut);
  for (let n = 0; n < nOut; n++) {
    const value = b.readBigUInt64LE(p);
    p += 8;
    const len = varintAt(b, p);
    p += varintSize(len);
    p += len;
    const key = b.toString('latin1', p - len, p);
    let info = cache.get(key);
    if (info === undefined) {
      info = classifyScript(b.subarray(p - len, p), network);
      cache.set(key, info);
    }
    outputs[n] = { n, value, scriptType: info.type, address: info.address };
  }
  const size = span.end - span.start;
  const base = span.segwit ? size - 2 - (span.lock - span.outputsEnd) : size;
  const weight = base * 3 + size;
  return {
    txid,
    idx,
    size,
    vsize: Math.ceil(weight / 4),
    weight,
    version: b.readInt32LE(span.start),
    locktime: b.readUInt32LE(span.lock),
    isCoinbase,
    inputs,
    outputs,
  };
}

/**
 * The wtxids of a block's transactions (display order; the coinbase's is its real witness hash, as
 * Core's `hash` field gives it, not BIP141's zeros), after the same checks as `decodeBlockTxids`.
 * Block rows leave them out: nothing indexed reads them, and for a segwit transaction a wtxid is a
 * second SHA-256d over all its bytes.
 */
export function decodeBlockWtxids(bytes: Uint8Array): Buffer[] {
  return mapBlockTxs(bytes, true, (b, span, txid) =>
    span.segwit ? sha256d(b.subarray(span.start, span.end)).reverse() : txid,
  );
}

/**
 * Decodes a raw block into rows for `network`'s address encodings: header and hash, every
 * transaction with its txid (wtxids: `decodeBlockWtxids`), sizes, inputs and outputs (type and
 * address per output), and the coinbase's BIP34 height, tag and witness commitment. The merkle root
 * is checked against the txids. All or nothing: malformed bytes throw `DecodeError` and yield no rows.
 */
export function decodeBlock(bytes: Uint8Array, network: Network): BlockRows {
  const steps = decodeBlockInSteps(bytes, network, Number.POSITIVE_INFINITY);
  let step = steps.next();
  while (step.done !== true) step = steps.next();
  return step.value;
}

/**
 * `decodeBlock` as a generator that pauses after every `txsPerStep` transactions and returns the
 * block's rows. For a caller sharing its thread with other work: a mainnet block takes about a
 * hundred milliseconds to decode, during which nothing else on the event loop runs (a database
 * answer waits that long before its next statement is sent). Same rows and errors as `decodeBlock`,
 * the errors thrown from the `next()` that meets them.
 */
export function* decodeBlockInSteps(
  bytes: Uint8Array,
  network: Network,
  txsPerStep: number,
): Generator<void, BlockRows, void> {
  const b = asBuffer(bytes);
  const end = b.length;
  const { count, pos: first } = readBlockStart(b);
  const txs: TxRow[] = new Array(count);
  const level = new Int32Array(8 * count);
  const span = newSpan();
  const cache: ScriptCache = new Map();
  let pos = first;
  let weight = (HEADER_SIZE + varintSize(count)) * 4;
  for (let i = 0; i < count; i++) {
    scanTx(b, pos, end, span);
    if (i === 0) checkCoinbase(b, span);
    const tx = buildTx(b, span, i, i === 0, network, cache, txidInto(b, span, level, 8 * i));
    txs[i] = tx;
    weight += tx.weight;
    pos = span.end;
    if ((i + 1) % txsPerStep === 0) yield;
  }
  if (pos !== end) throw new DecodeError(`${end - pos} trailing bytes after the last transaction`, pos);
  checkMerkle(b, level, count);

  const scriptSig = coinbaseScriptSig(b, first);
  const { height, rest } = coinbaseHeight(scriptSig);
  return {
    network,
    header: readHeader(b),
    size: end,
    weight,
    coinbase: {
      height,
      tag: coinbaseTag(scriptSig, rest),
      scriptSig,
      witnessCommitment: witnessCommitment(coinbaseOutputScripts(b, first)),
    },
    txs,
  };
}

/** The output scripts of the (validated) first transaction at `start`, as views of the block. */
function coinbaseOutputScripts(b: Buffer, start: number): Buffer[] {
  const span = newSpan();
  scanTx(b, start, b.length, span);
  let p = span.body;
  const nIn = varintAt(b, p);
  p += varintSize(nIn);
  for (let i = 0; i < nIn; i++) {
    p += 36;
    const len = varintAt(b, p);
    p += varintSize(len) + len + 4;
  }
  const nOut = varintAt(b, p);
  p += varintSize(nOut);
  const scripts: Buffer[] = new Array(nOut);
  for (let n = 0; n < nOut; n++) {
    p += 8;
    const len = varintAt(b, p);
    p += varintSize(len);
    scripts[n] = b.subarray(p, p + len);
    p += len;
  }
  return scripts;
}

/** The coinbase's scriptSig, from the (validated) first transaction at `start`. */
function coinbaseScriptSig(b: Buffer, start: number): Buffer {
  let p = start + 4;
  if (b[p] === 0) p += 2;
  p += 1 + 36;
  const len = varintAt(b, p);
  p += varintSize(len);
  return b.subarray(p, p + len);
}

/**
 * Decodes one raw transaction (no trailing bytes allowed). `isCoinbase` is true when its single
 * input spends the null prevout.
 */
export function decodeTransaction(bytes: Uint8Array, network: Network): TxRow {
  const b = asBuffer(bytes);
  const span = newSpan();
  scanTx(b, 0, b.length, span);
  if (span.end !== b.length) {
    throw new DecodeError(`${b.length - span.end} trailing bytes after the transaction`, span.end);
  }
  const isCoinbase = b[span.body] === 1 && isNullPrevout(b, span.body + 1);
  return buildTx(b, span, 0, isCoinbase, network, new Map(), txidInto(b, span, new Int32Array(8), 0));
}
