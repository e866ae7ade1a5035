import { createHash } from 'node:crypto';
import { address as bitcoinAddress, script as bitcoinScript, networks, Transaction } from 'bitcoinjs-lib';
import type { DevnetChain, StoredBlock } from '../chain/chain.types.js';
import { btc } from './rpc-json.js';

/**
 * The JSON shapes bitcoind returns for headers, blocks and transactions (`getblockheader`,
 * `getblock` verbosity 1–3, `getrawtransaction` verbose), built from the chain's raw bytes.
 */

/** Bitcoin Core's name for an output script's type. */
export function scriptTypeOf(script: Uint8Array): string {
  const s = script;
  const n = s.length;
  if (n === 25 && s[0] === 0x76 && s[1] === 0xa9 && s[2] === 0x14 && s[23] === 0x88 && s[24] === 0xac) {
    return 'pubkeyhash';
  }
  if (n === 23 && s[0] === 0xa9 && s[1] === 0x14 && s[22] === 0x87) return 'scripthash';
  if (n === 22 && s[0] === 0x00 && s[1] === 0x14) return 'witness_v0_keyhash';
  if (n === 34 && s[0] === 0x00 && s[1] === 0x20) return 'witness_v0_scripthash';
  if (n === 34 && s[0] === 0x51 && s[1] === 0x20) return 'witness_v1_taproot';
  if (n === 4 && s[0] === 0x51 && s[1] === 0x02 && s[2] === 0x4e && s[3] === 0x73) return 'anchor';
  if (n >= 4 && n <= 42 && s[0] !== undefined && s[0] >= 0x51 && s[0] <= 0x60 && s[1] === n - 2) {
    return 'witness_unknown';
  }
  if (n >= 1 && s[0] === 0x6a) return 'nulldata';
  if ((n === 35 && s[0] === 0x21 && s[34] === 0xac) || (n === 67 && s[0] === 0x41 && s[66] === 0xac)) {
    return 'pubkey';
  }
  if (n >= 37 && s[n - 1] === 0xae) {
    const chunks = bitcoinScript.decompile(script);
    if (chunks && chunks.length >= 4) {
      const m = chunks[0];
      const k = chunks[chunks.length - 2];
      const keys = chunks.slice(1, -2);
      if (
        typeof m === 'number' &&
        typeof k === 'number' &&
        m >= 0x51 &&
        k <= 0x60 &&
        m <= k &&
        k - 0x50 === keys.length &&
        keys.every((key) => typeof key !== 'number' && (key.length === 33 || key.length === 65))
      ) {
        return 'multisig';
      }
    }
  }
  return 'nonstandard';
}

function addressOf(script: Uint8Array): string | undefined {
  try {
    return bitcoinAddress.fromOutputScript(script, networks.regtest);
  } catch {
    return undefined;
  }
}

function asmOf(script: Uint8Array): string {
  try {
    return bitcoinScript.toASM(script);
  } catch {
    return '[error]';
  }
}

function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('hex');
}

export function scriptPubKeyView(script: Uint8Array) {
  return { asm: asmOf(script), hex: hex(script), address: addressOf(script), type: scriptTypeOf(script) };
}

/** What verbosity 3 reports for each spent output, and what fees are computed from. */
export interface Prevout {
  generated: boolean;
  height: number;
  value: bigint;
  script: Uint8Array;
}

export type PrevoutLookup = (txid: string, vout: number) => Prevout | undefined;

/** A lookup of spent outputs through the chain's transaction index. */
export function createPrevoutLookup(chain: DevnetChain): PrevoutLookup {
  return (txid, vout) => {
    const found = chain.getTransaction(txid);
    if (!found) return undefined;
    const tx = Transaction.fromBuffer(found.raw);
    const out = tx.outs[vout];
    if (!out) return undefined;
    const block = found.blockhash === undefined ? undefined : chain.getBlock(found.blockhash);
    return { generated: tx.isCoinbase(), height: block?.height ?? -1, value: out.value, script: out.script };
  };
}

/** bitcoind's `TxToUniv`: `prevouts` adds fee, and with `withPrevout` each input's prevout. */
export function txView(tx: Transaction, raw: Buffer, lookup: PrevoutLookup | null, withPrevout = false) {
  const coinbase = tx.isCoinbase();
  let inputSum = 0n;
  let feeKnown = !coinbase && lookup !== null;
  const vin = tx.ins.map((input) => {
    const witness = input.witness.length > 0 ? input.witness.map(hex) : undefined;
    if (coinbase) return { coinbase: hex(input.script), txinwitness: witness, sequence: input.sequence };
    const txid = Buffer.from(input.hash).reverse().toString('hex');
    const prev = lookup?.(txid, input.index);
    if (prev) inputSum += prev.value;
    else feeKnown = false;
    return {
      txid,
      vout: input.index,
      scriptSig: { asm: asmOf(input.script), hex: hex(input.script) },
      txinwitness: witness,
      prevout:
        withPrevout && prev
          ? {
              generated: prev.generated,
              height: prev.height,
              value: btc(prev.value),
              scriptPubKey: scriptPubKeyView(prev.script),
            }
          : undefined,
      sequence: input.sequence,
    };
  });
  let outputSum = 0n;
  const vout = tx.outs.map((out, n) => {
    outputSum += out.value;
    return { value: btc(out.value), n, scriptPubKey: scriptPubKeyView(out.script) };
  });
  return {
    txid: tx.getId(),
    // The witness hash of the serialization itself (bitcoinjs reports zeros for a coinbase's).
    hash: createHash('sha256')
      .update(createHash('sha256').update(raw).digest())
      .digest()
      .reverse()
      .toString('hex'),
    version: tx.version,
    size: raw.length,
    vsize: tx.virtualSize(),
    weight: tx.weight(),
    locktime: tx.locktime,
    vin,
    vout,
    fee: feeKnown ? btc(inputSum - outputSum) : undefined,
    hex: raw.toString('hex'),
  };
}

/** Splits a serialized block into its transactions' bytes (the 80-byte header is skipped). */
export function blockTransactions(raw: Buffer): Array<{ tx: Transaction; raw: Buffer }> {
  let offset = 80;
  const first = raw[offset];
  let count: number;
  if (first === undefined) throw new RangeError('block too short');
  if (first < 0xfd) {
    count = first;
    offset += 1;
  } else if (first === 0xfd) {
    count = raw.readUInt16LE(offset + 1);
    offset += 3;
  } else {
    count = raw.readUInt32LE(offset + 1);
    offset += 5;
  }
  const txs: Array<{ tx: Transaction; raw: Buffer }> = [];
  for (let i = 0; i < count; i++) {
    // bitcoinjs reads one tx from the start of the buffer and reports its own length.
    const tx = Transaction.fromBuffer(raw.subarray(offset), true);
    const length = tx.byteLength();
    txs.push({ tx, raw: raw.subarray(offset, offset + length) });
    offset += length;
  }
  return txs;
}

/** The proof-of-work target encoded by `bits`. */
export function targetOf(bits: number): bigint {
  const exponent = bits >>> 24;
  const mantissa = BigInt(bits & 0x007fffff);
  return exponent <= 3 ? mantissa >> BigInt(8 * (3 - exponent)) : mantissa << BigInt(8 * (exponent - 3));
}

/** Expected hashes for one block at `bits` (Core's `GetBlockProof`). */
export function blockWork(bits: number): bigint {
  const target = targetOf(bits);
  if (target <= 0n) return 0n;
  return (1n << 256n) / (target + 1n);
}

/** Core's `GetDifficulty`. */
export function difficultyOf(bits: number): number {
  let shift = (bits >>> 24) & 0xff;
  let diff = 0x0000ffff / (bits & 0x00ffffff);
  while (shift < 29) {
    diff *= 256;
    shift++;
  }
  while (shift > 29) {
    diff /= 256;
    shift--;
  }
  return diff;
}

const ZERO_HASH = '0'.repeat(64);

/** Header facts that need the block's ancestors (chainwork, median time), memoized per hash. */
export interface AncestryCache {
  chainwork(block: StoredBlock): bigint;
  medianTime(block: StoredBlock): number;
}

export function createAncestryCache(chain: DevnetChain): AncestryCache {
  const work = new Map<string, bigint>();
  const chainwork = (block: StoredBlock): bigint => {
    // Iterative walk back to the first memoized ancestor, so a long chain never overflows the stack.
    const path: StoredBlock[] = [];
    let cursor: StoredBlock | undefined = block;
    let base = 0n;
    while (cursor) {
      const known = work.get(cursor.hash);
      if (known !== undefined) {
        base = known;
        break;
      }
      path.push(cursor);
      cursor = cursor.previousblockhash === ZERO_HASH ? undefined : chain.getBlock(cursor.previousblockhash);
    }
    for (let i = path.length - 1; i >= 0; i--) {
      const b = path[i]!;
      base += blockWork(b.bits);
      work.set(b.hash, base);
    }
    return work.get(block.hash)!;
  };
  const medianTime = (block: StoredBlock): number => {
    const times: number[] = [];
    let cursor: StoredBlock | undefined = block;
    while (cursor && times.length < 11) {
      times.push(cursor.time);
      cursor = cursor.previousblockhash === ZERO_HASH ? undefined : chain.getBlock(cursor.previousblockhash);
    }
    times.sort((a, b) => a - b);
    return times[Math.floor(times.length / 2)]!;
  };
  return { chainwork, medianTime };
}

/** `getblockheader <hash> true`. */
export function headerView(chain: DevnetChain, ancestry: AncestryCache, block: StoredBlock) {
  const confirmations = chain.confirmations(block.hash);
  const next = block.active ? chain.hashAtHeight(block.height + 1) : undefined;
  return {
    hash: block.hash,
    confirmations,
    height: block.height,
    version: block.version,
    versionHex: (block.version >>> 0).toString(16).padStart(8, '0'),
    merkleroot: block.merkleroot,
    time: block.time,
    mediantime: ancestry.medianTime(block),
    nonce: block.nonce,
    bits: (block.bits >>> 0).toString(16).padStart(8, '0'),
    difficulty: difficultyOf(block.bits),
    chainwork: ancestry.chainwork(block).toString(16).padStart(64, '0'),
    nTx: block.txids.length,
    previousblockhash: block.previousblockhash === ZERO_HASH ? undefined : block.previousblockhash,
    nextblockhash: next,
  };
}

/** `getblock <hash> 1|2|3`. */
export function blockView(
  chain: DevnetChain,
  ancestry: AncestryCache,
  block: StoredBlock,
  verbosity: 1 | 2 | 3,
  lookup: PrevoutLookup,
) {
  const header = headerView(chain, ancestry, block);
  const txs = blockTransactions(block.raw);
  const strippedsize =
    80 + varintLength(txs.length) + txs.reduce((sum, t) => sum + t.tx.byteLength(false), 0);
  const weight = strippedsize * 3 + block.raw.length;
  const { nTx, previousblockhash, nextblockhash, ...rest } = header;
  return {
    ...rest,
    nTx,
    previousblockhash,
    nextblockhash,
    strippedsize,
    size: block.raw.length,
    weight,
    tx:
      verbosity === 1
        ? block.txids
        : txs.map((t) => txView(t.tx, Buffer.from(t.raw), lookup, verbosity === 3)),
  };
}

function varintLength(n: number): number {
  return n < 0xfd ? 1 : n <= 0xffff ? 3 : 5;
}
