/**
 * The contract between the devnet's chain state (blocks, mempool, wallet) and the servers that
 * expose it as bitcoind does (JSON-RPC, REST, ZMQ). The servers only read through this interface
 * and call its regtest commands; the chain never knows about HTTP or ZMQ.
 *
 * Hashes and txids cross this interface as display-order hex strings, as bitcoind prints them.
 */
import { NonRetryableError } from '@minetrace/shared/errors';

/** A block the chain knows, on the active chain or not. */
export interface StoredBlock {
  hash: string;
  height: number;
  /** Display-order hex of the previous block; all zeros for genesis. */
  previousblockhash: string;
  time: number;
  bits: number;
  nonce: number;
  version: number;
  merkleroot: string;
  /** The block exactly as serialized on the wire. */
  raw: Buffer;
  txids: string[];
  /** False once invalidated or orphaned by a reorg. */
  active: boolean;
}

export interface UtxoSetInfo {
  height: number;
  bestblock: string;
  txouts: number;
  /** Sum of all unspent output values in satoshis (bitcoind prints BTC; the server converts). */
  totalAmountSats: bigint;
}

/** What the chain announces; the ZMQ publisher turns each into the topics bitcoind would send. */
export type ChainEvent =
  | { type: 'connect'; block: StoredBlock }
  | { type: 'disconnect'; block: StoredBlock }
  | { type: 'mempool-add'; txid: string; raw: Buffer }
  | {
      type: 'mempool-remove';
      txid: string;
      raw: Buffer;
      /**
       * Why it left: `block` when a connected block mined it (bitcoind's ZMQ `sequence` sends no `R`
       * for these), `conflict` when a block or reorg made it invalid.
       */
      reason?: 'block' | 'conflict';
    };

/** An unspent output, confirmed or (height undefined) created by a mempool transaction. */
export interface Utxo {
  txid: string;
  vout: number;
  value: bigint;
  script: Buffer;
  /** Height of the confirming block; undefined while only in the mempool. */
  height: number | undefined;
  coinbase: boolean;
  /** 0 while in the mempool. */
  confirmations: number;
}

/** What `getmempoolentry` needs beyond the raw tx. */
export interface MempoolEntryInfo {
  txid: string;
  wtxid: string;
  fee: bigint;
  vsize: number;
  weight: number;
  /** Unix seconds (chain clock) when it entered the mempool. */
  time: number;
  /** Tip height when it entered the mempool. */
  height: number;
  /** Txids of in-mempool parents. */
  depends: string[];
}

/** Options for `DevnetChain.mine`: how scenarios make pool-like blocks. */
export interface MineOptions {
  /** One address paid subsidy + fees, or explicit outputs (their sum may not exceed subsidy + fees). */
  coinbaseOutputs: string | Array<{ address: string; value: bigint } | { script: Buffer; value: bigint }>;
  /** Bytes after the BIP34 height in the coinbase scriptSig, e.g. `/AntPool/`. */
  coinbaseTag?: string | Buffer;
  /** `mempool` (default): every mempool tx in arrival order; or exactly these serialized txs. */
  txs?: 'mempool' | Buffer[];
  /** Header time; default max(chain clock, median time past + 1). */
  time?: number;
}

export interface DevnetChain {
  readonly network: 'regtest';
  /** Height of the active tip (0 = genesis only). */
  tipHeight(): number;
  tipHash(): string;
  /** Hash of the active chain's block at `height`, or undefined when out of range. */
  hashAtHeight(height: number): string | undefined;
  /** Any known block by hash (active or not). */
  getBlock(hash: string): StoredBlock | undefined;
  /** Confirmations as bitcoind reports them: -1 when not on the active chain. */
  confirmations(hash: string): number;
  /** Chain tips as `getchaintips` reports them. */
  chainTips(): Array<{ height: number; hash: string; branchlen: number; status: string }>;
  /** Raw transaction by txid, with the block that confirmed it on the active chain (if any). */
  getTransaction(txid: string): { raw: Buffer; blockhash: string | undefined } | undefined;
  utxoSetInfo(): UtxoSetInfo;
  mempoolTxids(): string[];

  /** Mines `n` blocks paying the coinbase to `address` with the mempool's txs; returns their hashes. */
  generateToAddress(n: number, address: string): string[];
  /** Mines one block paying `output` (an address) with exactly `rawTxs` (hex or Buffers). */
  generateBlock(output: string, rawTxs: Buffer[]): string;
  /** Accepts a serialized block; returns null when accepted or bitcoind's rejection reason string. */
  submitBlock(raw: Buffer): string | null;
  /** Adds a serialized tx to the mempool; returns its txid. Throws ChainError when invalid. */
  sendRawTransaction(raw: Buffer): string;
  invalidateBlock(hash: string): void;
  reconsiderBlock(hash: string): void;

  /** Unspent outputs paying any of `scripts`; with `includeMempool` (default true) mempool spends are
   * excluded and mempool outputs included, as a wallet sees its coins. */
  listUnspent(scripts: Buffer[], options?: { includeMempool?: boolean }): Utxo[];
  /** `gettxout`: one unspent output, or undefined when spent/unknown. */
  getTxOut(txid: string, vout: number, includeMempool?: boolean): Utxo | undefined;
  mempoolEntry(txid: string): MempoolEntryInfo | undefined;
  /** Mines one block with a chosen tag and coinbase outputs on the active tip; returns its hash. */
  mine(options: MineOptions): string;
  /** `setmocktime`: the chain clock returns `seconds` from now on; 0 returns to the real clock. */
  setMockTime(seconds: number): void;
  /** The chain clock in unix seconds (mock time when set). */
  now(): number;
  /** Median time past of the active tip (what the next block's time must exceed). */
  medianTimePast(): number;

  /** Subscribes to chain events in the order they happen; returns the unsubscribe function. */
  subscribe(listener: (event: ChainEvent) => void): () => void;
}

/** A chain-level refusal, carrying the bitcoind RPC error code the servers should answer with. */
export class ChainError extends NonRetryableError {
  override name = 'ChainError';
  constructor(
    readonly code: number,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
