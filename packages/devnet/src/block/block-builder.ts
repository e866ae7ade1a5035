/**
 * Pure regtest block builder: serialized transactions in, a serialized block out whose coinbase,
 * merkle root, witness commitment and proof of work are what Bitcoin Core would produce and accept.
 *
 * Invariants of every built block:
 * - the coinbase scriptSig starts with the BIP34 height exactly as Core writes it (`CScript() << height`:
 *   OP_1..OP_16 for heights 1..16, a minimal CScriptNum push above), then the tag bytes verbatim;
 * - when any transaction carries witness data the coinbase has the witness reserved value (32 zero
 *   bytes) as its witness and a last output `OP_RETURN aa21a9ed<commitment>`;
 * - the header's nonce is ground until its hash meets `bits`.
 */
import { address as bAddress, networks, Transaction } from 'bitcoinjs-lib';
import { merkleRoot, REGTEST_BITS, sha256d, solveHeader, toDisplayHex } from './block-hash.js';

/** Blocks between subsidy halvings on regtest (210,000 on mainnet). */
export const REGTEST_HALVING_INTERVAL = 150;
export const COIN = 100_000_000n;
/** Version bits with no deployment signalled, as Core's miner writes it. */
export const DEFAULT_BLOCK_VERSION = 0x20000000;
export const WITNESS_COMMITMENT_HEADER = Buffer.from('6a24aa21a9ed', 'hex');

/** Block subsidy at `height` in satoshis: 50 BTC halving every `interval` blocks. */
export function blockSubsidy(height: number, interval = REGTEST_HALVING_INTERVAL): bigint {
  const halvings = Math.floor(height / interval);
  if (halvings >= 64) return 0n;
  return (50n * COIN) >> BigInt(halvings);
}

/** The scriptSig prefix BIP34 requires, as `CScript() << height` serializes it. */
export function encodeBip34Height(height: number): Buffer {
  if (!Number.isInteger(height) || height < 0) throw new RangeError(`bad height ${height}`);
  if (height === 0) return Buffer.from([0x00]);
  if (height <= 16) return Buffer.from([0x50 + height]);
  const bytes: number[] = [];
  let n = height;
  while (n > 0) {
    bytes.push(n & 0xff);
    n = Math.floor(n / 256);
  }
  // CScriptNum is sign-magnitude: a set top bit would read as negative.
  if ((bytes[bytes.length - 1]! & 0x80) !== 0) bytes.push(0);
  return Buffer.from([bytes.length, ...bytes]);
}

/** One coinbase output: to an address (regtest encodings) or a raw scriptPubKey. */
export type CoinbaseOutput = { address: string; value: bigint } | { script: Buffer; value: bigint };

export interface BuildBlockParams {
  /** Display-order hex of the parent block. */
  prevHash: string;
  height: number;
  /** Header timestamp, unix seconds. */
  time: number;
  /** Bytes appended verbatim after the BIP34 height (a pool's tag: `/AntPool/`, UTF-8 text, ...). */
  coinbaseTag?: string | Buffer;
  /**
   * Explicit coinbase outputs (a pool may pay many miners directly), or one address that receives
   * subsidy + `fees`.
   */
  coinbaseOutputs: CoinbaseOutput[] | string;
  /** Serialized non-coinbase transactions, in block order. */
  txs?: Buffer[];
  /** Fees of `txs`, added to the subsidy when `coinbaseOutputs` is a single address. @defaultValue 0n */
  fees?: bigint;
  /** @defaultValue REGTEST_BITS (0x207fffff) */
  bits?: number;
  /** @defaultValue DEFAULT_BLOCK_VERSION */
  version?: number;
}

export interface BuiltBlock {
  /** The whole block as serialized on the wire. */
  raw: Buffer;
  /** Display-order hex block hash. */
  hash: string;
  header: Buffer;
  /** Display-order txids, coinbase first. */
  txids: string[];
}

export function outputScript(output: CoinbaseOutput): Buffer {
  if ('script' in output) return output.script;
  return Buffer.from(bAddress.toOutputScript(output.address, networks.regtest));
}

/** Builds the coinbase transaction; `witnessCommitment` adds the segwit commitment output. */
export function buildCoinbase(params: {
  height: number;
  tag?: string | Buffer;
  outputs: { script: Buffer; value: bigint }[];
  witnessCommitment?: Buffer;
}): Transaction {
  const tag =
    typeof params.tag === 'string' ? Buffer.from(params.tag, 'utf8') : (params.tag ?? Buffer.alloc(0));
  let scriptSig = Buffer.concat([encodeBip34Height(params.height), tag]);
  // Consensus wants 2..100 bytes; Core pads a bare small height with OP_0 the same way.
  if (scriptSig.length < 2) scriptSig = Buffer.concat([scriptSig, Buffer.from([0x00])]);
  if (scriptSig.length > 100)
    throw new RangeError(`coinbase scriptSig of ${scriptSig.length} bytes exceeds 100`);
  const tx = new Transaction();
  tx.version = 2;
  tx.addInput(Buffer.alloc(32), 0xffffffff, 0xffffffff, scriptSig);
  for (const out of params.outputs) tx.addOutput(out.script, out.value);
  if (params.witnessCommitment) {
    tx.addOutput(Buffer.concat([WITNESS_COMMITMENT_HEADER, params.witnessCommitment]), 0n);
    tx.setWitness(0, [Buffer.alloc(32)]);
  }
  return tx;
}

/** The commitment `SHA256d(witness merkle root ‖ reserved value)`; coinbase wtxid counts as zero. */
export function witnessCommitment(wtxids: Buffer[], reserved: Buffer = Buffer.alloc(32)): Buffer {
  const root = merkleRoot([Buffer.alloc(32), ...wtxids]);
  return sha256d(Buffer.concat([root, reserved]));
}

export function writeVarInt(n: number): Buffer {
  if (n < 0xfd) return Buffer.from([n]);
  if (n <= 0xffff) {
    const b = Buffer.alloc(3);
    b[0] = 0xfd;
    b.writeUInt16LE(n, 1);
    return b;
  }
  const b = Buffer.alloc(5);
  b[0] = 0xfe;
  b.writeUInt32LE(n, 1);
  return b;
}

/** The 80-byte header with nonce 0 (internal-order hashes). */
export function serializeHeader(h: {
  version: number;
  prevHash: Buffer;
  merkleRoot: Buffer;
  time: number;
  bits: number;
  nonce: number;
}): Buffer {
  const header = Buffer.alloc(80);
  header.writeInt32LE(h.version, 0);
  h.prevHash.copy(header, 4);
  h.merkleRoot.copy(header, 36);
  header.writeUInt32LE(h.time >>> 0, 68);
  header.writeUInt32LE(h.bits >>> 0, 72);
  header.writeUInt32LE(h.nonce >>> 0, 76);
  return header;
}

/** Builds and mines one block. Pure apart from CPU: the same params give the same block. */
export function buildBlock(params: BuildBlockParams): BuiltBlock {
  const bits = params.bits ?? REGTEST_BITS;
  const rawTxs = params.txs ?? [];
  const parsed = rawTxs.map((raw) => Transaction.fromBuffer(raw));
  const anyWitness = parsed.some((tx) => tx.hasWitnesses());
  const outputs =
    typeof params.coinbaseOutputs === 'string'
      ? [
          {
            script: outputScript({ address: params.coinbaseOutputs, value: 0n }),
            value: blockSubsidy(params.height) + (params.fees ?? 0n),
          },
        ]
      : params.coinbaseOutputs.map((o) => ({ script: outputScript(o), value: o.value }));
  const coinbase = buildCoinbase({
    height: params.height,
    tag: params.coinbaseTag,
    outputs,
    witnessCommitment: anyWitness
      ? witnessCommitment(parsed.map((tx) => Buffer.from(tx.getHash(true))))
      : undefined,
  });
  const txidsInternal = [Buffer.from(coinbase.getHash()), ...parsed.map((tx) => Buffer.from(tx.getHash()))];
  const header = serializeHeader({
    version: params.version ?? DEFAULT_BLOCK_VERSION,
    prevHash: Buffer.from(params.prevHash, 'hex').reverse(),
    merkleRoot: merkleRoot(txidsInternal),
    time: params.time,
    bits,
    nonce: 0,
  });
  solveHeader(header, bits);
  const raw = Buffer.concat([
    header,
    writeVarInt(rawTxs.length + 1),
    Buffer.from(coinbase.toBuffer()),
    ...rawTxs,
  ]);
  return {
    raw,
    hash: toDisplayHex(sha256d(header)),
    header,
    txids: txidsInternal.map((h) => toDisplayHex(h)),
  };
}
