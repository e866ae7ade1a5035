import type { Address, Block, Output, Payout, Tx } from '@minetrace/shared/db';
import type { FlowTotals } from './loaders.js';

/**
 * What each GraphQL object type's resolvers receive as parent: the database row it was loaded
 * from (or a small record built from rows). Field resolvers derive everything else, batched
 * through the request's loaders.
 */
export type BlockModel = Block;
export type TxModel = Tx;
/**
 * An address row; loaded through `addressSummary` it also carries its totals and first block, which
 * its fields then return as values: one promise (and microtask) fewer per field on the commonest
 * lookup, where the loaders' cache would hand each field the same values as a promise.
 */
export type AddressModel = Address & { summary?: AddressSummary };
export interface AddressSummary {
  totals: FlowTotals;
  firstBlock: Block | null;
}
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
