/**
 * What a scenario knows about the chain it built, for checking an indexer against: who owns which
 * addresses, which pool mined which block, and every payout. It describes the final active chain
 * only (transactions of blocks a reorg removed count where they were mined again, or not at all).
 * Satoshi values are decimal strings so the JSON survives any parser.
 */
export interface GroundTruth {
  scenario: string;
  seed: string;
  tip: { height: number; hash: string };
  /** The pools that mined, with the coinbase tag each writes (taken from the mining-pools dataset). */
  pools: Array<{ slug: string; name: string; tag: string }>;
  entities: GroundTruthEntity[];
  /** Every active-chain block from genesis to the tip; `pool` is null for untagged blocks. */
  blocks: Array<{ height: number; hash: string; pool: string | null }>;
  payouts: GroundTruthPayout[];
  income: GroundTruthIncome[];
  reorg: { depth: number; oldTip: string; newTip: string } | null;
  /** The suspect's path from pool payouts to the exchange (null in scenarios without one). */
  suspectFlow: SuspectFlow | null;
}

export type EntityKind = 'pool' | 'miner' | 'suspect' | 'exchange' | 'coinjoin-participant' | 'other';

export interface GroundTruthEntity {
  name: string;
  kind: EntityKind;
  /** Every address the entity controls (regtest encodings), in creation order. */
  addresses: string[];
}

/**
 * One output paying pool funds to an address the pool does not control.
 * `hop` is the number of transactions from the coinbase to `payoutTxid` counting the payout itself:
 * 0 when the coinbase pays the miner directly, 1 when the payout spends a coinbase output, 2 when it
 * spends the output of a consolidation that spent coinbase outputs.
 */
export interface GroundTruthPayout {
  /** Height of the block that confirmed `payoutTxid` on the active chain. */
  height: number;
  pool: string;
  payoutTxid: string;
  /** Output index of this payment in `payoutTxid`. */
  vout: number;
  /** The tx whose pool-owned output the payout spent (or the coinbase itself for hop 0). */
  sourceTxid: string;
  recipient: string;
  /** Entity owning `recipient`. */
  entity: string;
  /** Satoshis, decimal string. */
  value: string;
  hop: number;
}

/** Payouts summed per recipient entity, pool and UTC day of the payout's block time. */
export interface GroundTruthIncome {
  entity: string;
  pool: string;
  /** YYYY-MM-DD (UTC). */
  day: string;
  /** Satoshis, decimal string. */
  value: string;
  payoutCount: number;
}

export interface SuspectFlow {
  /** Multi-input tx gathering the suspect's payouts into one output. */
  consolidationTxid: string;
  /** CoinJoin-shaped tx: one input per participant, equal-valued outputs plus change. */
  coinjoinTxid: string;
  /** The equal output value of the CoinJoin, satoshis. */
  coinjoinDenomination: string;
  /** The suspect's CoinJoin output address. */
  coinjoinOutputAddress: string;
  /** Peel-chain txs in order; each pays a small amount to an exchange deposit and the rest onward. */
  peelTxids: string[];
  /** Exchange deposit addresses the peel chain paid (the last one receives the remainder). */
  depositAddresses: string[];
  /** Exchange sweeps (multi-input) that spent at least one of those deposits. */
  sweepTxids: string[];
}

/** The ground truth as JSON text, two-space indented. */
export function groundTruthToJson(truth: GroundTruth): string {
  return `${JSON.stringify(truth, null, 2)}\n`;
}
