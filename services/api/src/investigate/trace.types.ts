/**
 * The shape of a fund trace, shared by the GraphQL API, screening, flow-graph exports, the viewer
 * and the CLI. A trace is a bipartite graph: transaction nodes and address nodes; an edge runs from
 * an address to the tx that spent from it (an input) or from a tx to the address it paid (an output),
 * in the direction money moved whatever the walk's direction.
 */

/** Which way the walk goes from its sources: where the money went, or where it came from. */
export type TraceDirection = 'forward' | 'backward';

/**
 * How taint passes through a transaction with a tainted input (see docs/tracing.md):
 * - poison: every output and the fee are tainted in full;
 * - haircut: each output and the fee carry taint in proportion to the inputs' tainted share;
 * - fifo: satoshis leave in input order into outputs in output order, fee last;
 * - lifo: the last input's satoshis go to the last output first;
 * - tiho: tainted inputs' satoshis first, into the highest-value outputs first.
 */
export type TracePolicy = 'poison' | 'haircut' | 'fifo' | 'lifo' | 'tiho';

/** Where a walk starts: any mix of these; all their outputs (or outpoints) are the source. */
export interface TraceFrom {
  /** Outputs received by these addresses (forward) or inputs that funded them (backward). */
  addresses?: string[];
  /** Every member address of the cluster. */
  cluster?: bigint;
  /** Exact outputs, by display txid and output index. */
  outpoints?: Array<{ txid: string; n: number }>;
  /** Every payout output of the pool with this slug. */
  payoutsOfPool?: string;
}

export interface TraceRequest {
  from: TraceFrom;
  direction: TraceDirection;
  policy: TracePolicy;
  /** Transactions to walk through from the source, at most. */
  maxHops: number;
  /** Outputs carrying less taint than this are not followed (their taint is cut off). */
  minValue: bigint;
  /** Nodes (txs and addresses) in the result, at most; the walk stops there and says so. */
  maxNodes: number;
  /** Tag categories where the walk stops: taint reaching such an address counts as reached. */
  stopAt: string[];
  /** Only source outputs and spends in blocks with time in [fromTime, toTime), unix seconds. */
  fromTime?: number;
  toTime?: number;
}

/** A tag as every view shows it: never collapsed, always with its source. */
export interface TraceTag {
  label: string;
  category: string;
  source: string;
  /** 0 to 1. */
  confidence: number;
}

export type TraceNodeKind = 'tx' | 'address';

export interface TraceNode {
  /** `tx:<txid>` or `address:<address>`; unique in a result. */
  id: string;
  kind: TraceNodeKind;
  txid: string | null;
  address: string | null;
  /** The address's cluster (`coalesce(address_clusters.cluster_id, address id)`); null for tx nodes. */
  clusterId: bigint | null;
  clusterSize: number | null;
  tags: TraceTag[];
  /** Transactions between the source and this node (a source address is hop 0). */
  hop: number;
  /** Satoshis through the node within the walk (tx: sum of outputs; address: sum received). */
  value: bigint;
  /** The part of `value` that is tainted. */
  taintedValue: bigint;
  /** Block time (unix seconds) of the tx, or of the first walked output paying the address. */
  time: number | null;
  /** The walk stopped here because the address carries a `stopAt` tag category. */
  stopped: boolean;
}

export interface TraceEdge {
  from: string;
  to: string;
  value: bigint;
  taintedValue: bigint;
  hop: number;
  /** Block time of the tx on the edge, unix seconds. */
  time: number | null;
  /** Output index for tx → address edges (the spent output's index for address → tx). */
  n: number | null;
}

/**
 * Where every tainted satoshi of the source ended up. Always
 * `sourceValue = reachedValue + unspentValue + feeValue + cutOffValue`.
 */
export interface TraceSummary {
  sourceValue: bigint;
  /** Stopped at a `stopAt` address. */
  reachedValue: bigint;
  /** Sitting in unspent outputs inside the walked graph. */
  unspentValue: bigint;
  /** Paid as fees by walked transactions. */
  feeValue: bigint;
  /** Still moving where `maxHops`, `maxNodes`, `minValue` or the time window stopped the walk. */
  cutOffValue: bigint;
  /** Tainted value that ended (reached, unspent or cut off) at addresses of each cluster. */
  byCluster: Array<{ clusterId: bigint; value: bigint }>;
  /** The same by tag category of the address where it ended (an address with several counts once per category). */
  byCategory: Array<{ category: string; value: bigint }>;
  /**
   * Poison only: the poisoned amounts where the walk ended, each output and fee of a poisoned tx
   * counted in full, once. They add up to more than `sourceValue` whenever clean coins were mixed in;
   * the four figures above stay the conserved flow of the source's satoshis (docs/tracing.md).
   */
  poisoned?: PoisonedFigures;
}

/** Poisoned satoshis by where they ended, as `TraceSummary` names the places. */
export interface PoisonedFigures {
  reachedValue: bigint;
  unspentValue: bigint;
  feeValue: bigint;
  cutOffValue: bigint;
}

export interface TraceResult {
  request: TraceRequest;
  nodes: TraceNode[];
  edges: TraceEdge[];
  summary: TraceSummary;
  /** True when a limit (`maxNodes`) stopped the walk before `maxHops`. */
  truncated: boolean;
}

/** A flow graph as exports and the viewer consume it: a trace result or a paths result. */
export interface FlowGraph {
  nodes: TraceNode[];
  edges: TraceEdge[];
  summary: TraceSummary | null;
}
