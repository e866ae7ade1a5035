import type { Db } from '@minetrace/shared/db';
import { NonRetryableError } from '@minetrace/shared/errors';
import type { TraceEdge, TraceNode, TraceRequest, TraceResult, TraceSummary } from '../trace.types.js';
import {
  amountRanges,
  RANGE_POLICIES,
  type Ranges,
  rangesTotal,
  type SplitInput,
  splitTaint,
  unionRanges,
} from './policies.js';
import { loadSourceOutputs, loadTxs, poolExists, type WalkOutput, type WalkTx } from './trace.repository.js';

/** Bounds of a trace request; a request outside them is refused, never clamped. */
export const TRACE_LIMITS = {
  maxHops: 20,
  maxNodes: 10_000,
  maxAddresses: 1_000,
  maxOutpoints: 1_000,
} as const;

/** A trace request that cannot run: bad bounds, a malformed txid, an unknown pool, no source. */
export class TraceInputError extends NonRetryableError {
  override name = 'TraceInputError';
}

const TXID = /^[0-9a-f]{64}$/;

/** Checks a request against `TRACE_LIMITS`; throws `TraceInputError` with the reason. */
export function validateTraceRequest(request: TraceRequest): void {
  const { from } = request;
  const fail = (message: string) => {
    throw new TraceInputError(message);
  };
  if (!Number.isInteger(request.maxHops) || request.maxHops < 1 || request.maxHops > TRACE_LIMITS.maxHops) {
    fail(`maxHops must be an integer from 1 to ${TRACE_LIMITS.maxHops}, got ${request.maxHops}`);
  }
  if (
    !Number.isInteger(request.maxNodes) ||
    request.maxNodes < 1 ||
    request.maxNodes > TRACE_LIMITS.maxNodes
  ) {
    fail(`maxNodes must be an integer from 1 to ${TRACE_LIMITS.maxNodes}, got ${request.maxNodes}`);
  }
  if (request.minValue < 0n) fail(`minValue must not be negative, got ${request.minValue}`);
  if (request.fromTime !== undefined && request.toTime !== undefined && request.fromTime > request.toTime) {
    fail('fromTime must not be after toTime');
  }
  const addresses = from.addresses ?? [];
  const outpoints = from.outpoints ?? [];
  if (addresses.length > TRACE_LIMITS.maxAddresses) {
    fail(`from.addresses holds at most ${TRACE_LIMITS.maxAddresses} addresses, got ${addresses.length}`);
  }
  if (outpoints.length > TRACE_LIMITS.maxOutpoints) {
    fail(`from.outpoints holds at most ${TRACE_LIMITS.maxOutpoints} outpoints, got ${outpoints.length}`);
  }
  for (const outpoint of outpoints) {
    if (!TXID.test(outpoint.txid.toLowerCase())) {
      fail(
        `outpoint txid must be 64 hexadecimal characters, got ${JSON.stringify(outpoint.txid.slice(0, 100))}`,
      );
    }
    if (!Number.isInteger(outpoint.n) || outpoint.n < 0)
      fail(`outpoint index must be >= 0, got ${outpoint.n}`);
  }
  if (
    addresses.length === 0 &&
    outpoints.length === 0 &&
    (from.cluster === undefined || from.cluster === null) &&
    (from.payoutsOfPool === undefined || from.payoutsOfPool === null)
  ) {
    fail('from needs at least one of addresses, cluster, outpoints and payoutsOfPool');
  }
}

type EndKind = 'reached' | 'unspent' | 'cutOff';

const key = (out: { txId: bigint; n: number }) => `${out.txId}:${out.n}`;
const addressNodeId = (address: string) => `address:${address}`;
const txNodeId = (txid: string) => `tx:${txid}`;
const sumValues = (legs: readonly { value: bigint }[]) => legs.reduce((s, leg) => s + leg.value, 0n);

/** Taint arriving at an output: the source's satoshis (`mass`) and, for poison, the mark. */
interface Arrival {
  out: WalkOutput;
  mass: Ranges;
  poisoned: boolean;
}

/** What the walk remembers of a transaction it already split taint through. */
interface TxState {
  already: bigint[];
  fee: bigint;
  poisoned: boolean;
}

/**
 * Walks the spend graph from the request's sources, hop by hop, one statement per hop for the
 * whole frontier, and accounts for every satoshi of the source: reached, unspent, fee or cut off
 * (docs/tracing.md). Throws `TraceInputError` for a request outside `TRACE_LIMITS` or naming a pool
 * the `pools` table does not know. A source with no output (e.g. a time window without one) gives an
 * empty result: no nodes, every figure 0.
 */
export async function runTrace(db: Db, request: TraceRequest): Promise<TraceResult> {
  validateTraceRequest(request);
  const { policy, direction, minValue, maxHops, maxNodes } = request;
  const forward = direction === 'forward';
  const byRanges = RANGE_POLICIES.has(policy);
  const stopAt = new Set(request.stopAt);
  const fromTime = request.fromTime ?? null;
  const toTime = request.toTime ?? null;
  const inWindow = (time: number) =>
    (fromTime === null || time >= fromTime) && (toTime === null || time < toTime);

  const pool = request.from.payoutsOfPool;
  // An unknown slug would otherwise match no payout and pass for a pool that paid nothing.
  if (pool != null && !(await poolExists(db, pool))) {
    throw new TraceInputError(`unknown pool ${JSON.stringify(pool.slice(0, 100))}`);
  }
  const loaded = await loadSourceOutputs(db, {
    addresses: request.from.addresses ?? [],
    cluster: request.from.cluster ?? null,
    outpoints: (request.from.outpoints ?? []).map((o) => ({
      txid: Buffer.from(o.txid.toLowerCase(), 'hex'),
      n: o.n,
    })),
    poolSlug: request.from.payoutsOfPool ?? null,
    fromTime,
    toTime,
  });
  // A source output funded by another source output (forward: created by a tx spending one;
  // backward: spent by a tx creating one) is the same money seen twice: keep one end of it.
  const creators = new Set(loaded.map((o) => o.txId));
  const spenders = new Set(loaded.map((o) => o.spentByTxId).filter((id) => id !== null));
  const sources = loaded.filter((o) =>
    forward ? !spenders.has(o.txId) : o.spentByTxId === null || !creators.has(o.spentByTxId),
  );
  const sourceKeys = new Set(sources.map(key));

  const nodes = new Map<string, TraceNode>();
  const edges = new Map<string, TraceEdge>();
  /** Outputs already counted in their address node's value. */
  const counted = new Set<string>();
  const summary: Omit<TraceSummary, 'byCluster' | 'byCategory'> = {
    sourceValue: 0n,
    reachedValue: 0n,
    unspentValue: 0n,
    feeValue: 0n,
    cutOffValue: 0n,
  };
  const poisonedFigures = { reachedValue: 0n, unspentValue: 0n, feeValue: 0n, cutOffValue: 0n };
  const byCluster = new Map<bigint, bigint>();
  const byCategory = new Map<string, bigint>();
  let truncated = false;

  const isStop = (out: WalkOutput) => out.tags.some((tag) => stopAt.has(tag.category));
  const markedOf = (arrival: Arrival) =>
    policy === 'poison' ? (arrival.poisoned ? arrival.out.value : 0n) : rangesTotal(arrival.mass);

  /** Books `amount` of the source (and `marked` poisoned satoshis) as ended at `out` (null: at no address). */
  const end = (kind: EndKind, out: WalkOutput | null, amount: bigint, marked: bigint = amount) => {
    poisonedFigures[`${kind}Value`] += marked;
    if (amount === 0n) return;
    summary[`${kind}Value`] += amount;
    if (out?.clusterId != null) byCluster.set(out.clusterId, (byCluster.get(out.clusterId) ?? 0n) + amount);
    for (const category of new Set(out?.tags.map((tag) => tag.category) ?? [])) {
      byCategory.set(category, (byCategory.get(category) ?? 0n) + amount);
    }
  };

  const addressNode = (out: WalkOutput, hop: number, marked: bigint, stopped: boolean) => {
    const id = addressNodeId(out.address!);
    let node = nodes.get(id);
    if (node === undefined) {
      node = {
        id,
        kind: 'address',
        txid: null,
        address: out.address,
        clusterId: out.clusterId,
        clusterSize: out.clusterSize,
        tags: out.tags,
        hop,
        value: 0n,
        taintedValue: 0n,
        time: out.time,
        stopped,
      };
      nodes.set(id, node);
    }
    if (!counted.has(key(out))) {
      counted.add(key(out));
      node.value += out.value;
      node.time = node.time === null || out.time < node.time ? out.time : node.time;
    }
    node.hop = Math.min(node.hop, hop);
    node.taintedValue += marked;
    node.stopped ||= stopped;
  };

  // One edge per output: an address's outputs from different txs spent by one tx can share an index,
  // so the key is the outpoint, not the index alone (else their values would merge and taint exceed value).
  const edge = (from: string, to: string, out: WalkOutput, marked: bigint, hop: number, time: number) => {
    const id = `${from}|${to}|${out.txId}:${out.n}`;
    const existing = edges.get(id);
    if (existing === undefined) {
      edges.set(id, { from, to, value: out.value, taintedValue: marked, hop, time, n: out.n });
    } else existing.taintedValue += marked;
  };

  // Hop 0: the sources, fully tainted.
  let pending: Arrival[] = [];
  for (const out of sources) {
    summary.sourceValue += out.value;
    const arrival: Arrival = { out, mass: [[0n, out.value]], poisoned: true };
    if (out.value === 0n) continue;
    if (out.address !== null) addressNode(out, 0, out.value, false);
    if (forward && out.spentByTxId === null) end('unspent', out, out.value);
    else if (out.value < minValue) end('cutOff', out, out.value);
    else pending.push(arrival);
  }
  if (nodes.size > maxNodes) truncated = true;

  const txCache = new Map<bigint, WalkTx>();
  const txState = new Map<bigint, TxState>();
  /** Cumulative taint on each walked output (its mass, for the range policies its positions). */
  const outputTaint = new Map<string, Ranges>();
  const nextTxOf = (out: WalkOutput) => (forward ? out.spentByTxId! : out.txId);

  for (let hop = 1; pending.length > 0; hop++) {
    if (hop > maxHops || truncated) {
      for (const arrival of pending) end('cutOff', arrival.out, rangesTotal(arrival.mass), markedOf(arrival));
      break;
    }
    const wanted = [...new Set(pending.map((a) => nextTxOf(a.out)))].filter((id) => !txCache.has(id));
    for (const [id, tx] of await loadTxs(db, wanted)) txCache.set(id, tx);
    const groups = new Map<bigint, Arrival[]>();
    for (const arrival of pending) {
      const id = nextTxOf(arrival.out);
      groups.set(id, [...(groups.get(id) ?? []), arrival]);
    }
    pending = [];
    for (const txId of [...groups.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))) {
      const arrivals = groups.get(txId)!;
      const tx = txCache.get(txId);
      if (tx === undefined || truncated || !inWindow(tx.time)) {
        for (const arrival of arrivals)
          end('cutOff', arrival.out, rangesTotal(arrival.mass), markedOf(arrival));
        continue;
      }
      const result = stepTx(tx, arrivals);
      const newNodes = new Set<string>();
      if (!nodes.has(txNodeId(tx.txid))) newNodes.add(txNodeId(tx.txid));
      for (const leg of result.legs) {
        if (leg.visible && leg.out.address !== null && !nodes.has(addressNodeId(leg.out.address))) {
          newNodes.add(addressNodeId(leg.out.address));
        }
      }
      if (nodes.size + newNodes.size > maxNodes) {
        truncated = true;
        for (const arrival of arrivals)
          end('cutOff', arrival.out, rangesTotal(arrival.mass), markedOf(arrival));
        continue;
      }
      commitTx(tx, arrivals, result, hop);
      for (const leg of result.legs) pending.push(...leg.next);
    }
  }

  interface LegResult {
    out: WalkOutput;
    mass: Ranges;
    marked: bigint;
    visible: boolean;
    next: Arrival[];
    ends: Array<{ kind: EndKind; amount: bigint; marked: bigint }>;
  }

  /** Splits the arrivals' taint through `tx`; pure apart from reading the walk's state. */
  function stepTx(tx: WalkTx, arrivals: Arrival[]) {
    const incoming = forward ? tx.inputs : tx.outputs;
    const outgoing = forward ? tx.outputs : tx.inputs;
    const taintByKey = new Map<string, Ranges>();
    for (const arrival of arrivals) {
      const k = key(arrival.out);
      const before = taintByKey.get(k) ?? [];
      taintByKey.set(
        k,
        byRanges
          ? unionRanges(before, arrival.mass)
          : amountRanges(rangesTotal(before) + rangesTotal(arrival.mass)),
      );
    }
    const splitInputs: SplitInput[] = incoming.map((leg) => ({
      value: leg.value,
      taint: taintByKey.get(key(leg)) ?? [],
    }));
    // The walk runs against the indexed data: a tx whose prevouts are not all indexed pays more
    // than it spends in view; a clean filler input (forward) or filler "fee" (backward) balances it.
    // Backward, the same filler is the fee: the inputs fund it like an output, so the reversed split
    // takes it as a clean input, last in the stream (LIFO reverses the list, so it goes first there).
    const gap = sumValues(outgoing) - sumValues(incoming);
    if (gap > 0n) {
      if (!forward && policy === 'lifo') splitInputs.unshift({ value: gap, taint: [] });
      else splitInputs.push({ value: gap, taint: [] });
    }
    const state = txState.get(tx.id) ?? { already: outgoing.map(() => 0n), fee: 0n, poisoned: false };
    if (!forward && tx.isCoinbase) {
      // Newly mined coins have no inputs: the walk back ends here (commitTx books it).
      return {
        split: { outputs: [], fee: [] },
        legs: [] as LegResult[],
        poisoned: false,
        firstPoison: false,
        state,
      };
    }
    const split = splitTaint(
      policy,
      splitInputs,
      outgoing.map((leg) => leg.value),
      byRanges ? undefined : { outputs: state.already, fee: state.fee },
    );
    const poisoned = policy === 'poison' && (state.poisoned || arrivals.some((a) => a.poisoned));
    const firstPoison = poisoned && !state.poisoned;
    const legs: LegResult[] = [];
    outgoing.forEach((out, i) => {
      const mass = split.outputs[i]!;
      const amount = rangesTotal(mass);
      if (amount === 0n && !firstPoison) return;
      const marked = policy === 'poison' ? (poisoned && firstPoison ? out.value : 0n) : amount;
      const followValue = policy === 'poison' ? out.value : amount;
      const leg: LegResult = { out, mass, marked, visible: false, next: [], ends: [] };
      legs.push(leg);
      if (sourceKeys.has(key(out))) {
        // Taint flowing back into a source output: those satoshis are already counted there.
        leg.marked = 0n;
        leg.ends.push({ kind: 'cutOff', amount, marked: 0n });
        return;
      }
      const stopped = isStop(out);
      leg.visible = stopped || (followValue >= minValue && followValue > 0n);
      const ending = { amount, marked: leg.marked };
      if (stopped) leg.ends.push({ kind: 'reached', ...ending });
      else if (forward && out.spentByTxId === null) leg.ends.push({ kind: 'unspent', ...ending });
      else if (followValue < minValue || followValue === 0n) leg.ends.push({ kind: 'cutOff', ...ending });
      else leg.next.push({ out, mass, poisoned: firstPoison });
    });
    return { split, legs, poisoned, firstPoison, state };
  }

  function commitTx(tx: WalkTx, arrivals: Arrival[], result: ReturnType<typeof stepTx>, hop: number) {
    const { split, legs, poisoned, firstPoison, state } = result;
    state.poisoned = poisoned;
    split.outputs.forEach((mass, i) => {
      state.already[i]! += rangesTotal(mass);
    });
    state.fee += rangesTotal(split.fee);
    txState.set(tx.id, state);
    // Forward the split's fee is the tx's fee; backward it is only the filler (unknown prevouts).
    if (forward) {
      summary.feeValue += rangesTotal(split.fee);
      const fee = sumValues(tx.inputs) - sumValues(tx.outputs);
      poisonedFigures.feeValue +=
        policy !== 'poison' ? rangesTotal(split.fee) : firstPoison && fee > 0n ? fee : 0n;
    } else end('cutOff', null, rangesTotal(split.fee));

    const txId = txNodeId(tx.txid);
    let node = nodes.get(txId);
    if (node === undefined) {
      node = {
        id: txId,
        kind: 'tx',
        txid: tx.txid,
        address: null,
        clusterId: null,
        clusterSize: null,
        tags: [],
        hop,
        value: sumValues(tx.outputs),
        taintedValue: 0n,
        time: tx.time,
        stopped: false,
      };
      nodes.set(txId, node);
    }
    // Incoming edges: the outputs whose taint arrived (forward: spent inputs; backward: outputs).
    for (const arrival of arrivals) {
      if (arrival.out.address === null) continue;
      const addr = addressNodeId(arrival.out.address);
      const marked = markedOf(arrival);
      if (forward) edge(addr, txId, arrival.out, marked, hop, tx.time);
      else edge(txId, addr, arrival.out, marked, hop, tx.time);
    }
    if (!forward && tx.isCoinbase) {
      // Newly mined coins: the walk back can go no further. Booked as unspent (their origin).
      for (const arrival of arrivals)
        end('unspent', arrival.out, rangesTotal(arrival.mass), markedOf(arrival));
    }
    for (const leg of legs) {
      const k = key(leg.out);
      const before = outputTaint.get(k) ?? [];
      outputTaint.set(
        k,
        byRanges ? unionRanges(before, leg.mass) : amountRanges(rangesTotal(before) + rangesTotal(leg.mass)),
      );
      if (forward) node.taintedValue += leg.marked;
      for (const e of leg.ends) end(e.kind, leg.out, e.amount, e.marked);
      if (!leg.visible || leg.out.address === null) continue;
      const addr = addressNodeId(leg.out.address);
      addressNode(leg.out, hop, leg.marked, isStop(leg.out));
      if (forward) edge(txId, addr, leg.out, leg.marked, hop, tx.time);
      else edge(addr, txId, leg.out, leg.marked, hop, tx.time);
    }
    if (!forward) node.taintedValue += arrivals.reduce((s, a) => s + markedOf(a), 0n);
  }

  const sorted = <K>(map: Map<K, bigint>) =>
    [...map].sort((a, b) => (a[1] > b[1] ? -1 : a[1] < b[1] ? 1 : String(a[0]) < String(b[0]) ? -1 : 1));
  return {
    request,
    nodes: [...nodes.values()].sort((a, b) => a.hop - b.hop || (a.id < b.id ? -1 : 1)),
    edges: [...edges.values()],
    summary: {
      ...summary,
      byCluster: sorted(byCluster).map(([clusterId, value]) => ({ clusterId, value })),
      byCategory: sorted(byCategory).map(([category, value]) => ({ category, value })),
      ...(policy === 'poison' ? { poisoned: poisonedFigures } : {}),
    },
    truncated,
  };
}
