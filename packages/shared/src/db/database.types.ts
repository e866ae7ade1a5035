import type { ColumnType, Insertable, Selectable, Updateable } from 'kysely';

/**
 * Kysely's view of the schema the migrations build. Amounts and chain-wide ids are `int8` and
 * arrive as `bigint` (see `openDb`: both drivers parse int8 to BigInt), heights and counts are
 * `integer` and arrive as `number`. Hashes are `bytea` in display byte order.
 */
export interface Database {
  blocks: BlocksTable;
  txs: TxsTable;
  /** A view (read only): `tx_outputs` beside `spends`. */
  outputs: OutputsView;
  tx_outputs: TxOutputsTable;
  spends: SpendsTable;
  addresses: AddressesTable;
  pools: PoolsTable;
  pool_tags: PoolTagsTable;
  pool_addresses: PoolAddressesTable;
  chain_state: ChainStateTable;
  reorgs: ReorgsTable;
  payouts: PayoutsTable;
  pool_outputs: PoolOutputsTable;
  pool_known_addresses: PoolKnownAddressesTable;
  distributions: DistributionsTable;
  clusters: ClustersTable;
  address_clusters: AddressClustersTable;
  cluster_merges: ClusterMergesTable;
  cluster_state: ClusterStateTable;
  api_keys: ApiKeysTable;
  audit_log: AuditLogTable;
  tags: TagsTable;
  jobs: JobsTable;
  job_results: JobResultsTable;
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

/** An output as a tx created it; whether it is spent is in `spends`. */
export interface TxOutputsTable {
  tx_id: bigint;
  n: number;
  value: bigint;
  /** `scriptTypeCode` of the output script. */
  script_type: number;
  address_id: bigint | null;
}

/** Output (tx_id, n) spent by input `spent_by_input` of tx `spent_by_tx_id`. */
export interface SpendsTable {
  tx_id: bigint;
  n: number;
  spent_by_tx_id: bigint;
  spent_by_input: number;
}

/** Read-only column of a view. */
type ViewColumn<T> = ColumnType<T, never, never>;

/**
 * The `outputs` view: every row of `tx_outputs` with its spend (NULLs while unspent). What readers
 * query; writers write the two tables.
 */
export interface OutputsView {
  tx_id: ViewColumn<bigint>;
  n: ViewColumn<number>;
  value: ViewColumn<bigint>;
  /** `scriptTypeCode` of the output script. */
  script_type: ViewColumn<number>;
  address_id: ViewColumn<bigint | null>;
  spent_by_tx_id: ViewColumn<bigint | null>;
  spent_by_input: ViewColumn<number | null>;
}

export interface AddressesTable {
  id: ColumnType<bigint, never, never>;
  address: string;
  script_type: number;
  first_height: number;
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
  pools_fingerprint: string | null;
  updated_at: ColumnType<Date, Date | string | undefined, Date | string>;
}

/**
 * One row per rollback the follower made: the indexed blocks above `fork_height` (`depth` of them,
 * up to `old_tip_*`) were deleted because the node's best chain (tip `new_tip_*` when detected)
 * no longer held them. Written in the same transaction as the deletes.
 */
export interface ReorgsTable {
  id: ColumnType<bigint, never, never>;
  detected_at: ColumnType<Date, Date | string | undefined, never>;
  /** Height of the last block both chains share; it stays indexed. */
  fork_height: number;
  fork_hash: Buffer;
  depth: number;
  old_tip_height: number;
  old_tip_hash: Buffer;
  new_tip_height: number | null;
  new_tip_hash: Buffer | null;
}

/**
 * An output paying a pool's funds to an address the pool does not control (migration 004). Keyed by
 * the paying output; `height` is the payout tx's block, deleted above a fork point on rollback.
 */
export interface PayoutsTable {
  payout_tx_id: bigint;
  n: number;
  height: number;
  pool_id: number;
  /** The tx whose pool funds the payout spent; the coinbase itself for hop 0. */
  source_tx_id: bigint;
  address_id: bigint;
  value: bigint;
  /** Txs from the coinbase to the payout, the payout included: 0 when the coinbase paid it. */
  hop: number;
}

/** Why an output counts as a pool's own funds (see docs/heuristics.md). */
export type PoolFundsReasonColumn =
  | 'coinbase'
  | 'known-address'
  | 'input-address'
  | 'sweep'
  | 'recurring-address';

/** The pool funds marker: an output the pool is taken to control, `hop` txs after a coinbase. */
export interface PoolOutputsTable {
  tx_id: bigint;
  n: number;
  pool_id: number;
  hop: number;
  reason: PoolFundsReasonColumn;
  height: number;
}

/** Addresses a pool is known to control beyond the dataset's: those of its pool outputs. */
export interface PoolKnownAddressesTable {
  pool_id: number;
  address_id: bigint;
  /** Height of the block where the address was first learned as the pool's. */
  first_height: number;
}

/** A pool's tx paying several parties; `address_ids[i]` received `amounts[i]`. */
export interface DistributionsTable {
  pool_id: number;
  kind: 'coinbase' | 'spend';
  height: number;
  /** Order among the block's distributions. */
  seq: number;
  address_ids: bigint[];
  amounts: bigint[];
}

/**
 * A cluster of two or more addresses (migration 005). An address alone has no row and no
 * `address_clusters` row: its cluster is its own id, of size 1.
 */
export interface ClustersTable {
  /** One of its addresses' ids. */
  id: bigint;
  size: number;
  /** Height of the block whose merge last grew it. */
  height: number;
}

/**
 * Which cluster of two or more an address is in (migration 012); written by clustering only, so that
 * address rows are written once. The cluster of an address is `coalesce(cluster_id, addresses.id)`.
 */
export interface AddressClustersTable {
  address_id: bigint;
  cluster_id: bigint;
}

/** The evidence of one union: the tx `tx_id` joined cluster `loser` into `winner`. */
export interface ClusterMergesTable {
  id: ColumnType<bigint, never, never>;
  height: number;
  tx_id: bigint;
  winner: bigint;
  /** Never names a cluster again after this merge (unique). */
  loser: bigint;
  /** Size of the winner after the merge. */
  new_size: number;
}

/** One row (id = true): how far clustering has gone, and whether a rollback left it to be rebuilt. */
export interface ClusterStateTable {
  id: ColumnType<boolean, boolean | undefined, never>;
  /** Last block clustered; null when none. */
  clustered_height: number | null;
  stale: ColumnType<boolean, boolean | undefined, boolean>;
}

export type Block = Selectable<BlocksTable>;
export type NewBlock = Insertable<BlocksTable>;
export type Tx = Selectable<TxsTable>;
export type Output = Selectable<OutputsView>;
export type Address = Selectable<AddressesTable>;
export type ChainState = Selectable<ChainStateTable>;
export type ChainStateUpdate = Updateable<ChainStateTable>;
export type Reorg = Selectable<ReorgsTable>;
export type Payout = Selectable<PayoutsTable>;
export type Cluster = Selectable<ClustersTable>;
export type ClusterMergeRow = Selectable<ClusterMergesTable>;

/** What an API key may do: `investigator` everything; `screener` single lookups only; `admin` also keys and tags. */
export type ApiRole = 'investigator' | 'screener' | 'admin';

/** An API key (migration 006). Only the SHA-256 of the secret is stored; `prefix` tells keys apart. */
export interface ApiKeysTable {
  id: ColumnType<bigint, never, never>;
  name: string;
  role: ApiRole;
  key_hash: Buffer;
  prefix: string;
  created_at: ColumnType<Date, Date | string | undefined, never>;
  /** Set: the key no longer authenticates. */
  revoked_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
}

/** One GraphQL operation run through the API; append-only, kept after its key is revoked. */
export interface AuditLogTable {
  id: ColumnType<bigint, never, never>;
  /** Null in the open localhost mode (no key configured). */
  api_key_id: bigint | null;
  operation_name: string | null;
  /** `query` or `mutation`; null when the request never parsed. */
  operation_type: string | null;
  /** SHA-256 (hex) of the variables as canonical JSON; null without variables. */
  variables_hash: string | null;
  started_at: ColumnType<Date, Date | string, never>;
  duration_ms: number;
  /** Bytes of the response body. */
  result_bytes: number;
  /** Computed cost of the operation, when it got that far. */
  cost: number | null;
  /** `OK`, or the first error's `extensions.code`. */
  outcome: string;
}

export type ApiKey = Selectable<ApiKeysTable>;
export type AuditLogEntry = Selectable<AuditLogTable>;

/**
 * An attribution tag (migration 007): a claim about an address string (seen on chain or not) from one
 * source. Unique on (address, label, source, category). Rows with source `mining-pools dataset` are
 * kept equal to pools/pool_addresses by a trigger and are written by nothing else.
 */
export interface TagsTable {
  id: ColumnType<bigint, never, never>;
  address: string;
  label: string;
  category: string;
  source: string;
  /** 0..1 (SQL `real`). */
  confidence: number;
  actor: string | null;
  abuse: string | null;
  is_cluster_definer: ColumnType<boolean, boolean | undefined, boolean>;
  /** Title of the TagPack or list the tag came from; null for manual tags. */
  tagpack: string | null;
  /** API key name, `cli`, or `pools` (the dataset trigger). */
  created_by: string | null;
  created_at: ColumnType<Date, Date | string | undefined, never>;
}

export type TagRow = Selectable<TagsTable>;
export type NewTagRow = Insertable<TagsTable>;

/**
 * A batch job (migration 008). Postgres is the truth about a job; the queue only carries its id.
 * `state` is one of `JOB_STATES` (@minetrace/shared/queue). `run_token` names the run that owns the
 * job; only that run may complete it.
 */
export interface JobsTable {
  id: ColumnType<bigint, never, never>;
  kind: string;
  state: 'queued' | 'running' | 'completed' | 'failed' | 'cancelled';
  /** The payload as enqueued (bigints as decimal strings). */
  payload: ColumnType<unknown, string, string>;
  progress_percent: ColumnType<number, number | undefined, number>;
  progress_done: bigint | null;
  progress_total: bigint | null;
  progress_message: string | null;
  attempts: ColumnType<number, number | undefined, number>;
  max_attempts: number;
  run_token: string | null;
  error: string | null;
  api_key_id: bigint | null;
  created_at: ColumnType<Date, Date | undefined, never>;
  started_at: Date | null;
  finished_at: Date | null;
}

/** A completed job's result: inline JSON (`data`) or a file under `MINETRACE_DATA_DIR/jobs`. */
export interface JobResultsTable {
  job_id: bigint;
  data: ColumnType<unknown, string | null, string | null>;
  file_name: string | null;
  content_type: string | null;
  bytes: bigint | null;
  created_at: ColumnType<Date, Date | undefined, never>;
  expires_at: Date;
}

export type JobRow = Selectable<JobsTable>;
export type JobResultRow = Selectable<JobResultsTable>;
