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
  /** Attribution tags the scenario publishes, as an import into the `tags` table would write them. */
  tags: GroundTruthTag[];
}

/** One attribution claim about an address, with where it comes from. */
export interface GroundTruthTag {
  address: string;
  label: string;
  /** `sanctioned`, `exchange`, ... */
  category: string;
  source: string;
  /** 0 to 1. */
  confidence: number;
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
  /** The suspect's addresses that received pool payouts (and nothing else), in creation order. */
  payoutAddresses: string[];
  /**
   * The suspect address the scenario's sanctions-like list names (tag category `sanctioned`): of the
   * payout addresses whose coins the consolidation spent, the one that brought the most satoshis. Every
   * peel deposit is therefore downstream of it.
   */
  sanctionedAddress: string;
  /** What a forward trace of the suspect's payouts into the exchange must find, per policy. */
  trace: SuspectTraceExpectation;
  /** What screening each peel deposit must report about its exposure to `sanctionedAddress`. */
  exposure: ExposureExpectation[];
}

export type GroundTruthTracePolicy = 'poison' | 'haircut' | 'fifo' | 'lifo' | 'tiho';

/** A trace summary's figures, satoshis as decimal strings (see `TraceSummary` in the API). */
export interface ExpectedTraceFigures {
  /** Tainted satoshis that arrived at an address tagged with a `stopAt` category. */
  reachedValue: string;
  /** Tainted satoshis left in unspent outputs. */
  unspentValue: string;
  /** Tainted satoshis paid as fees. */
  feeValue: string;
  cutOffValue: string;
}

/**
 * A forward trace whose source is every output `from.addresses` received (exactly the suspect's pool
 * payouts on the active chain), stopping at the `exchange` category. The figures are worked out in
 * closed form from the transactions the scenario built (demo-expectations.ts), not by a trace engine.
 * For every policy `sourceValue = reached + unspent + fee + cutOff`: they are the conserved flow of
 * the source's satoshis (poison's is split as haircut splits it); `poisoned` holds poison's marks,
 * every downstream output and fee counted in full, which add up to more than the source.
 */
export interface SuspectTraceExpectation {
  from: { addresses: string[] };
  direction: 'forward';
  stopAt: string[];
  /** The fewest transactions from a payout to the last peel deposit; any larger limit gives the same figures. */
  maxHops: number;
  /** Satoshis, decimal string. */
  minValue: string;
  /** Sum of the suspect's payouts, satoshis. */
  sourceValue: string;
  byPolicy: Record<GroundTruthTracePolicy, ExpectedTraceFigures>;
  /** Poison's `summary.poisoned`: where poisoned satoshis ended, each output and fee in full. */
  poisoned: ExpectedTraceFigures;
}

/** An exact ratio of satoshi amounts, in lowest terms (decimal strings). */
export interface Ratio {
  numerator: string;
  denominator: string;
}

/** A peel deposit's exposure to the sanctioned address, traced backward with the haircut policy. */
export interface ExposureExpectation {
  /** The exchange deposit address. */
  address: string;
  /** Satoshis the peel chain paid it (its only receipt). */
  receivedValue: string;
  /** Transactions between the deposit and the sanctioned address (the first deposit is 3 away). */
  hops: number;
  /** Part of `receivedValue` that came from the sanctioned address. */
  share: Ratio;
  /** `receivedValue × share`, satoshis. */
  value: Ratio;
  /** Txids from the deposit back to the sanctioned address: peels (latest first), CoinJoin, consolidation. */
  path: string[];
  /** The sanctioned address's outputs that the consolidation spent. */
  sourceOutpoints: Array<{ txid: string; n: number }>;
}

/** The ground truth as JSON text, two-space indented. */
export function groundTruthToJson(truth: GroundTruth): string {
  return `${JSON.stringify(truth, null, 2)}\n`;
}
