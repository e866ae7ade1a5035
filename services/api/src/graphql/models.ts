import type { Address, Block, Output, Payout, Tx } from '@minetrace/shared/db';

/**
 * What each GraphQL object type's resolvers receive as parent: the database row it was loaded
 * from (or a small record built from rows). Field resolvers derive everything else, batched
 * through the request's loaders.
 */
export type BlockModel = Block;
export type TxModel = Tx;
export type AddressModel = Address;
export type OutputModel = Output;

/** An input of `tx_id`: the output it spent (null for a coinbase input). */
export interface InputModel {
  index: number;
  spent: Output | null;
}

/** The input `input` of transaction `txId` spending an output. */
export interface SpendModel {
  txId: bigint;
  input: number;
}

/** A cluster: `id` is the union-find root (an address alone is its own cluster of size 1). */
export interface ClusterModel {
  id: bigint;
  size: number;
}

export interface PoolModel {
  id: number;
  slug: string;
  name: string;
  link: string | null;
  source: string;
}

export type PayoutModel = Payout;

export interface MiningIncomeRowModel {
  bucketStart: Date;
  poolId: number;
  value: bigint;
  payoutCount: number;
}
