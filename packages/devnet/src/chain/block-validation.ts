/**
 * Bitcoin Core's context-free and contextual block checks (CheckBlock, ContextualCheckBlockHeader,
 * ContextualCheckBlock) for regtest, returning Core's reject reasons. Script and signature checks
 * are not done: the devnet trusts its own wallet's signatures (tested separately) to keep blocks fast.
 */
import { Block, type Transaction } from 'bitcoinjs-lib';
import { encodeBip34Height, WITNESS_COMMITMENT_HEADER, witnessCommitment } from '../block/block-builder.js';
import { meetsTarget, merkleRoot, sha256d, toDisplayHex } from '../block/block-hash.js';

export const MAX_MONEY = 21_000_000n * 100_000_000n;

/** A block split into what the chain keeps. */
export interface ParsedBlock {
  hash: string;
  header: Buffer;
  version: number;
  prevHash: string;
  merkleRoot: string;
  time: number;
  bits: number;
  nonce: number;
  txs: Transaction[];
  txRaw: Buffer[];
  txids: string[];
}

/** Decodes a serialized block; returns undefined when the bytes are not one canonical block. */
export function parseBlock(raw: Buffer): ParsedBlock | undefined {
  let block: Block;
  try {
    block = Block.fromBuffer(raw);
  } catch {
    return undefined;
  }
  const txs = block.transactions ?? [];
  const txRaw = txs.map((tx) => Buffer.from(tx.toBuffer()));
  const header = raw.subarray(0, 80);
  const total = 80 + varIntSize(txs.length) + txRaw.reduce((n, b) => n + b.length, 0);
  if (total !== raw.length) return undefined;
  return {
    hash: toDisplayHex(sha256d(header)),
    header: Buffer.from(header),
    version: block.version,
    prevHash: toDisplayHex(block.prevHash!),
    merkleRoot: toDisplayHex(block.merkleRoot!),
    time: block.timestamp,
    bits: block.bits,
    nonce: block.nonce,
    txs,
    txRaw,
    txids: txs.map((tx) => tx.getId()),
  };
}

function varIntSize(n: number): number {
  return n < 0xfd ? 1 : n <= 0xffff ? 3 : 5;
}

function isNullPrevout(input: Transaction['ins'][number]): boolean {
  return input.index === 0xffffffff && input.hash.every((b) => b === 0);
}

/** CheckTransaction: returns Core's reject reason or null. */
export function checkTransaction(tx: Transaction): string | null {
  if (tx.ins.length === 0) return 'bad-txns-vin-empty';
  if (tx.outs.length === 0) return 'bad-txns-vout-empty';
  let total = 0n;
  for (const out of tx.outs) {
    if (out.value < 0n) return 'bad-txns-vout-negative';
    if (out.value > MAX_MONEY) return 'bad-txns-vout-toolarge';
    total += out.value;
    if (total > MAX_MONEY) return 'bad-txns-txouttotal-toolarge';
  }
  const seen = new Set<string>();
  for (const input of tx.ins) {
    const key = `${Buffer.from(input.hash).toString('hex')}:${input.index}`;
    if (seen.has(key)) return 'bad-txns-inputs-duplicate';
    seen.add(key);
  }
  if (tx.isCoinbase()) {
    const len = tx.ins[0]!.script.length;
    if (len < 2 || len > 100) return 'bad-cb-length';
  } else if (tx.ins.some(isNullPrevout)) {
    return 'bad-txns-prevout-null';
  }
  return null;
}

/** CheckBlock (without the size limits): PoW, merkle root, coinbase placement, each tx. */
export function checkBlock(block: ParsedBlock): string | null {
  if (!meetsTarget(block.header, block.bits)) return 'high-hash';
  const root = merkleRoot(block.txs.map((tx) => Buffer.from(tx.getHash())));
  if (toDisplayHex(root) !== block.merkleRoot) return 'bad-txnmrklroot';
  if (new Set(block.txids).size !== block.txids.length) return 'bad-txns-duplicate';
  if (block.txs.length === 0) return 'bad-blk-length';
  if (!block.txs[0]!.isCoinbase()) return 'bad-cb-missing';
  for (let i = 1; i < block.txs.length; i++) if (block.txs[i]!.isCoinbase()) return 'bad-cb-multiple';
  for (const tx of block.txs) {
    const reason = checkTransaction(tx);
    if (reason) return reason;
  }
  return null;
}

/** ContextualCheckBlock for a block at `height`: BIP34 height prefix and the witness commitment. */
export function checkBlockContext(block: ParsedBlock, height: number): string | null {
  const coinbase = block.txs[0]!;
  const expected = encodeBip34Height(height);
  const scriptSig = coinbase.ins[0]!.script;
  if (
    scriptSig.length < expected.length ||
    !Buffer.from(scriptSig.subarray(0, expected.length)).equals(expected)
  ) {
    return 'bad-cb-height';
  }
  let commitIndex = -1;
  coinbase.outs.forEach((out, i) => {
    if (out.script.length >= 38 && Buffer.from(out.script.subarray(0, 6)).equals(WITNESS_COMMITMENT_HEADER)) {
      commitIndex = i;
    }
  });
  if (commitIndex >= 0) {
    const witness = coinbase.ins[0]!.witness;
    if (witness.length !== 1 || witness[0]!.length !== 32) return 'bad-witness-nonce-size';
    const wtxids = block.txs.slice(1).map((tx) => Buffer.from(tx.getHash(true)));
    const commitment = witnessCommitment(wtxids, Buffer.from(witness[0]!));
    if (!Buffer.from(coinbase.outs[commitIndex]!.script.subarray(6, 38)).equals(commitment)) {
      return 'bad-witness-merkle-match';
    }
  } else if (block.txs.some((tx) => tx.hasWitnesses())) {
    return 'unexpected-witness';
  }
  return null;
}
