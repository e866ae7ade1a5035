import type { ColumnType, Insertable, Selectable, Updateable } from 'kysely';

/**
 * Kysely's view of the schema the migrations build. Amounts and chain-wide ids are `int8` and
 * arrive as `bigint` (see `openDb`: both drivers parse int8 to BigInt), heights and counts are
 * `integer` and arrive as `number`. Hashes are `bytea` in display byte order.
 */
export interface Database {
  blocks: BlocksTable;
  txs: TxsTable;
  outputs: OutputsTable;
  addresses: AddressesTable;
  pools: PoolsTable;
  pool_tags: PoolTagsTable;
  pool_addresses: PoolAddressesTable;
  chain_state: ChainStateTable;
}

/** How a block's pool was found: by payout address, by coinbase tag, both, disagreeing, or not at all. */
export type PoolMatchEvidence = 'address' | 'tag' | 'both' | 'conflict' | 'unknown';

export interface BlocksTable {
  height: number;
  hash: Buffer;
  prev_hash: Buffer;
  /** Header time, unix seconds. */
  time: number;
  /** Header fields are uint32/int32 on the wire; int8 holds both without sign games. */
  version: ColumnType<bigint, bigint | number, never>;
  bits: ColumnType<bigint, bigint | number, never>;
  nonce: ColumnType<bigint, bigint | number, never>;
  size: number;
  weight: number;
  pool_id: number | null;
  pool_match: PoolMatchEvidence | null;
  coinbase_tag: string;
  subsidy: bigint;
  /** Sum of the block's tx fees; null when some prevout was not in the database. */
  fees: bigint | null;
  tx_count: number;
}

export interface TxsTable {
  /** Position of the tx in the chain (0 = genesis coinbase), assigned at ingest. */
  id: bigint;
  txid: Buffer;
  height: number;
  idx: number;
  is_coinbase: boolean;
  /** 0 for a coinbase; null when some prevout was not in the database. */
  fee: bigint | null;
  size: number;
  vsize: number;
  weight: number;
  version: ColumnType<bigint, bigint | number, never>;
  locktime: ColumnType<bigint, bigint | number, never>;
  input_count: number;
  output_count: number;
}

export interface OutputsTable {
  tx_id: bigint;
  n: number;
  value: bigint;
  /** `scriptTypeCode` of the output script. */
  script_type: number;
  address_id: bigint | null;
  spent_by_tx_id: bigint | null;
  spent_by_input: number | null;
}

export interface AddressesTable {
  id: ColumnType<bigint, never, never>;
  address: string;
  script_type: number;
  first_height: number;
  cluster_id: bigint | null;
}

export interface PoolsTable {
  id: number;
  slug: string;
  name: string;
  link: string | null;
  source: string;
}

export interface PoolTagsTable {
  pool_id: number;
  tag: string;
}

export interface PoolAddressesTable {
  pool_id: number;
  address: string;
}

/** One row (id = true): where the database stands, moved in the same transaction as the rows it describes. */
export interface ChainStateTable {
  id: ColumnType<boolean, boolean | undefined, never>;
  /** The node's chain name as `getblockchaininfo` prints it (`main`, `testnet4`, `regtest`, …). */
  network: string;
  tip_height: number | null;
  tip_hash: Buffer | null;
  final_height: number | null;
  pools_fingerprint: string | null;
  updated_at: ColumnType<Date, Date | string | undefined, Date | string>;
}

export type Block = Selectable<BlocksTable>;
export type NewBlock = Insertable<BlocksTable>;
export type Tx = Selectable<TxsTable>;
export type Output = Selectable<OutputsTable>;
export type Address = Selectable<AddressesTable>;
export type ChainState = Selectable<ChainStateTable>;
export type ChainStateUpdate = Updateable<ChainStateTable>;
