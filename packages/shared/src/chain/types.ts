/**
 * The decoder's output: one block as plain rows, ready for ingest. Pure data, no I/O.
 *
 * Invariants:
 * - Every hash (`hash`, `prevHash`, `merkleRoot`, `txid`, `prevTxid`) is a 32-byte
 *   Buffer in display byte order (the order block explorers and bitcoind RPC print).
 * - Values are integer satoshis as `bigint`.
 * - Buffers may be views into the decoded block's bytes: copy them if the block buffer is reused.
 */

/** Address encodings: `test` covers testnet3, testnet4 and signet (same prefixes and hrp `tb`). */
export type Network = 'main' | 'test' | 'signet' | 'regtest';

/** Output script types, with Bitcoin Core's names. */
export const SCRIPT_TYPES = [
  'nonstandard',
  'pubkey',
  'pubkeyhash',
  'scripthash',
  'multisig',
  'nulldata',
  'witness_v0_keyhash',
  'witness_v0_scripthash',
  'witness_v1_taproot',
  'witness_unknown',
  'anchor',
] as const;
export type ScriptType = (typeof SCRIPT_TYPES)[number];

/** The `smallint` stored in Postgres for a script type: its index in `SCRIPT_TYPES` (append only). */
export function scriptTypeCode(type: ScriptType): number {
  return SCRIPT_TYPES.indexOf(type);
}

export function scriptTypeName(code: number): ScriptType {
  const name = SCRIPT_TYPES[code];
  if (name === undefined) throw new RangeError(`unknown script type code ${code}`);
  return name;
}

export interface BlockHeaderRow {
  /** SHA256d of the 80-byte header, display order. */
  hash: Buffer;
  version: number;
  prevHash: Buffer;
  merkleRoot: Buffer;
  /** Unix seconds. */
  time: number;
  bits: number;
  nonce: number;
}

export interface InputRow {
  /** Display-order txid of the output spent; all zeros for the coinbase input. */
  prevTxid: Buffer;
  /** Index of the output spent; 0xffffffff for the coinbase input. */
  prevVout: number;
  sequence: number;
}

/**
 * An output as indexed. Its script is classified (type, address) and not kept: nothing indexed stores
 * it, and a view of it per output would live as long as the batch its block is written in.
 */
export interface OutputRow {
  n: number;
  value: bigint;
  scriptType: ScriptType;
  /**
   * The address for the block's network, or null where the script has none
   * (nulldata, bare multisig, nonstandard). For `pubkey` (P2PK) outputs this is the
   * P2PKH address of the key, which is how investigators look such coins up.
   */
  address: string | null;
}

export interface TxRow {
  txid: Buffer;
  /** Position in the block, 0 for the coinbase. */
  idx: number;
  size: number;
  vsize: number;
  weight: number;
  version: number;
  locktime: number;
  isCoinbase: boolean;
  inputs: InputRow[];
  outputs: OutputRow[];
}

export interface CoinbaseInfo {
  /** BIP34 height pushed first in the coinbase scriptSig, or null when absent or malformed. */
  height: number | null;
  /** Printable UTF-8 runs of the scriptSig after the height push, joined by single spaces. */
  tag: string;
  scriptSig: Buffer;
  /** The 32-byte witness commitment from the `6a24aa21a9ed` output, if any. */
  witnessCommitment: Buffer | null;
}

export interface BlockRows {
  network: Network;
  header: BlockHeaderRow;
  /** Serialized size of the whole block in bytes. */
  size: number;
  weight: number;
  coinbase: CoinbaseInfo;
  txs: TxRow[];
}
