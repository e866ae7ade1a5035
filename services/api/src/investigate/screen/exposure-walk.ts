// Why screening keeps its own backward haircut walk instead of calling the trace engine (runTrace,
// loadTxs): a trace follows one set of sources and sums them into one summary, in integer satoshis
// split by the largest-remainder method, building nodes and edges on the way; screening needs, for up
// to 1,000 addresses at once, each one's exact share per tagged source, so it walks all of them in one
// frontier and keeps exact ratios. Running one trace per address would cost 1,000 × hops statements.
// Its per-hop loader differs too: `loadTxs` loads whole transactions (every output, with addresses,
// clusters, block times), which the trace needs for its graph and its other policies, but a backward
// haircut step only needs the inputs' values and tags: on the mainnet-like bench chain a hop's 650
// transactions have 25,000 outputs and 1,200 inputs (`loadFunding` reads only the latter).
// Both walks split alike, and the screening tests check it against `runTrace`: an input worth w of a
// transaction passes on w / max(inputs, outputs) of what reached it (the inputs' total unless some
// prevouts are not indexed), the walk stops at tagged addresses and coinbases, and `hops` counts
// transactions. They differ where a trace dedupes its sources: a receipt the address funded itself
// (a self-transfer) is a receipt here, and the walk goes on through the address's earlier outputs.
import type { Db } from '@minetrace/shared/db';
import type { TagView } from '@minetrace/shared/tags';
import { sql } from 'kysely';
import { type Funding, loadFunding, loadReceipts, loadTxids } from './exposure.repository.js';

/** An exact fraction; shares are kept exact so that a share can be checked to the satoshi. */
export interface Ratio {
  num: bigint;
  den: bigint;
}

const gcd = (a: bigint, b: bigint): bigint => {
  let [x, y] = [a < 0n ? -a : a, b];
  while (y !== 0n) [x, y] = [y, x % y];
  return x;
};

/** `num / den` in lowest terms. */
const ratio = (num: bigint, den: bigint): Ratio => {
  const g = gcd(num, den);
  return g === 0n ? { num: 0n, den: 1n } : { num: num / g, den: den / g };
};
// While the walk runs, weights stay unreduced: a gcd of 200-bit operands takes tens of microseconds,
// a product well under one, and a batch makes tens of thousands of them per hop. A weight is only
// reduced when its denominator outgrows REDUCE_ABOVE, and every share once at the end. Nothing
// else depends on the form: `ratioToNumber` rounds the value, whatever its terms.
const REDUCE_ABOVE = 1n << 512n;
const tidy = (r: Ratio): Ratio => (r.den > REDUCE_ABOVE ? ratio(r.num, r.den) : r);
const add = (a: Ratio, b: Ratio) =>
  tidy(
    a.den === b.den
      ? { num: a.num + b.num, den: a.den }
      : { num: a.num * b.den + b.num * a.den, den: a.den * b.den },
  );
const times = (a: Ratio, num: bigint, den: bigint) => tidy({ num: a.num * num, den: a.den * den });
const SCALE = 10n ** 15n;
export const ratioToNumber = (r: Ratio): number =>
  // Scaled to keep 15 significant digits from operands far beyond a double's range.
  Number((r.num * SCALE) / r.den) / Number(SCALE);

/** One tagged source a screened address received funds from. */
export interface Exposure {
  tag: TagView;
  /** The tagged address the funds came from. */
  address: string;
  /** Fewest transactions between the screened address and the tagged address. */
  hops: number;
  /** Part of everything the screened address received that came from the tagged address (haircut). */
  share: Ratio;
  /** The tagged address's outputs the walk reached (display txid, index). */
  sourceOutpoints: Array<{ txid: string; n: number }>;
  /** Txids from the screened address back to the source, along the heaviest path. */
  path: string[];
}

export interface ExposureResult {
  /** Satoshis each screened address received in total (the share's base). */
  received: bigint;
  exposures: Exposure[];
  /** The walk left out part of the graph (`maxTxsPerHop`); shares are then lower bounds. */
  truncated: boolean;
}

export interface ExposureWalkOptions {
  maxHops: number;
  /** Transactions loaded per hop for the whole batch, at most; the lightest are left out beyond it. */
  maxTxsPerHop: number;
}

/** A transaction on a path, linked to the one before it (nearer the screened address). */
interface PathStep {
  txId: bigint;
  prev: PathStep | null;
}

/** Taint weight arriving at a transaction for one screened address, with the heaviest path to it. */
interface Arrival {
  weight: Ratio;
  /** The transactions walked to get here (null at the address's own receipts). */
  path: PathStep | null;
  pathWeight: number;
}

/** An exposure while the walk runs: outpoints and path as tx ids, resolved to txids at the end. */
interface Found {
  tag: TagView;
  address: string;
  hops: number;
  share: Ratio;
  outpoints: Map<string, { txId: bigint; n: number }>;
  path: PathStep;
}

/**
 * A backward haircut walk for many addresses at once. Each screened address's received satoshis are
 * followed back through the transactions that paid it: a transaction's outputs are funded by its
 * inputs in proportion to their values (the fee included), so an input of value w in a transaction
 * with inputs worth W passes on w/W of the weight that reached the transaction (W is the outputs'
 * total where they pay more than the indexed inputs: `Funding.total`). The walk stops at a
 * tagged address (its tags are the exposure), at a coinbase, and after `maxHops` transactions.
 * One statement reads the addresses' receipts, one per hop the inputs of the whole frontier
 * (`loadFunding`), and one the txids of the paths found, so the number of queries is `maxHops + 2`
 * whatever the batch size. The screened address's own tags never count as an exposure of itself
 * (DIRECT_TAG reports them). Results are keyed by address; an address that never received anything
 * has none.
 */
export async function walkExposure(
  db: Db,
  addresses: readonly string[],
  options: ExposureWalkOptions,
): Promise<Map<string, ExposureResult>> {
  if (addresses.length === 0) return new Map();
  // The planner's estimates for `= ANY(array)` joins often pass `jit_above_cost`, and compiling then
  // costs more than the statement; one transaction sets it off for every hop.
  return db.isTransaction
    ? walk(db, addresses, options)
    : db.transaction().execute((trx) => walk(trx, addresses, options));
}

async function walk(
  db: Db,
  addresses: readonly string[],
  options: ExposureWalkOptions,
): Promise<Map<string, ExposureResult>> {
  await sql`SET LOCAL jit = off`.execute(db);
  const receipts = await loadReceipts(db, addresses);
  const totals = new Map<bigint, bigint>();
  const names = new Map<bigint, string>();
  for (const r of receipts) {
    totals.set(r.addressId, (totals.get(r.addressId) ?? 0n) + r.value);
    names.set(r.addressId, r.address);
  }
  const truncated = new Set<bigint>();

  // frontier: tx id → screened address id → arrival.
  let frontier = new Map<bigint, Map<bigint, Arrival>>();
  const arrive = (
    next: Map<bigint, Map<bigint, Arrival>>,
    txId: bigint,
    target: bigint,
    weight: Ratio,
    path: PathStep | null,
  ) => {
    let perTarget = next.get(txId);
    if (perTarget === undefined) {
      perTarget = new Map();
      next.set(txId, perTarget);
    }
    const before = perTarget.get(target);
    const w = ratioToNumber(weight);
    if (before === undefined) perTarget.set(target, { weight, path, pathWeight: w });
    else {
      before.weight = add(before.weight, weight);
      if (w > before.pathWeight) [before.path, before.pathWeight] = [path, w];
    }
  };
  for (const r of receipts) {
    // An address that only ever received zero-valued outputs has weight 0 everywhere, as 0/1.
    const received = totals.get(r.addressId)!;
    arrive(frontier, r.txId, r.addressId, { num: r.value, den: received === 0n ? 1n : received }, null);
  }

  const found = new Map<bigint, Map<string, Found>>();
  for (let hop = 1; hop <= options.maxHops && frontier.size > 0; hop++) {
    let ids = [...frontier.keys()];
    if (ids.length > options.maxTxsPerHop) {
      // Keep the transactions carrying the most weight; the rest is left out and said so.
      const heaviest = new Map(
        ids.map((id) => [id, Math.max(...[...frontier.get(id)!.values()].map((a) => a.pathWeight))]),
      );
      ids.sort((x, y) => heaviest.get(y)! - heaviest.get(x)!);
      for (const id of ids.slice(options.maxTxsPerHop)) {
        for (const target of frontier.get(id)!.keys()) truncated.add(target);
      }
      ids = ids.slice(0, options.maxTxsPerHop);
    }
    const funding = await loadFunding(db, ids);
    const next = new Map<bigint, Map<bigint, Arrival>>();
    for (const id of ids) {
      const tx = funding.get(id);
      if (tx === undefined || tx.total === 0n) continue;
      for (const [target, arrival] of frontier.get(id)!) {
        step(tx, id, target, arrival, hop, next);
      }
    }
    frontier = next;
  }

  /** Passes `arrival`'s weight on to the inputs of `tx`: tagged ones are found, the others walked. */
  function step(
    tx: Funding,
    txId: bigint,
    target: bigint,
    arrival: Arrival,
    hop: number,
    next: Map<bigint, Map<bigint, Arrival>>,
  ) {
    const path: PathStep = { txId, prev: arrival.path };
    const last = hop === options.maxHops;
    for (const input of tx.inputs) {
      const walkOn = input.tags.length === 0 || input.addressId === target;
      // After the last hop nothing is walked: only the tagged inputs count.
      if (input.value === 0n || (walkOn && last)) continue;
      const weight = times(arrival.weight, input.value, tx.total);
      if (walkOn) {
        arrive(next, input.txId, target, weight, path);
        continue;
      }
      let perTarget = found.get(target);
      if (perTarget === undefined) {
        perTarget = new Map();
        found.set(target, perTarget);
      }
      const outpoint = `${input.txId}:${input.n}`;
      for (const tag of input.tags) {
        const key = JSON.stringify([input.address, tag.label, tag.category, tag.source]);
        const exposure = perTarget.get(key);
        if (exposure === undefined) {
          perTarget.set(key, {
            tag,
            address: input.address!,
            hops: hop,
            share: weight,
            outpoints: new Map([[outpoint, { txId: input.txId, n: input.n }]]),
            path,
          });
        } else {
          exposure.share = add(exposure.share, weight);
          if (!exposure.outpoints.has(outpoint))
            exposure.outpoints.set(outpoint, { txId: input.txId, n: input.n });
          if (hop < exposure.hops) [exposure.hops, exposure.path] = [hop, path];
        }
      }
    }
  }

  // Txids only for the transactions an answer names.
  const named = new Set<bigint>();
  for (const perTarget of found.values()) {
    for (const f of perTarget.values()) {
      for (const o of f.outpoints.values()) named.add(o.txId);
      for (let s: PathStep | null = f.path; s !== null; s = s.prev) named.add(s.txId);
    }
  }
  const txids = await loadTxids(db, [...named]);
  const results = new Map<string, ExposureResult>();
  for (const [id, received] of totals) {
    const exposures = [...(found.get(id)?.values() ?? [])].map((f): Exposure => {
      const path: string[] = [];
      for (let s: PathStep | null = f.path; s !== null; s = s.prev) path.push(txids.get(s.txId)!);
      return {
        tag: f.tag,
        address: f.address,
        hops: f.hops,
        share: ratio(f.share.num, f.share.den),
        sourceOutpoints: [...f.outpoints.values()].map((o) => ({ txid: txids.get(o.txId)!, n: o.n })),
        path: path.reverse(),
      };
    });
    results.set(names.get(id)!, { received, exposures, truncated: truncated.has(id) });
  }
  return results;
}
