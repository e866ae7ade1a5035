import type { Db } from '@minetrace/shared/db';
import { sql } from 'kysely';
import { loadTxs } from '../trace/trace.repository.js';
import type { TraceTag } from '../trace.types.js';

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

const ratio = (num: bigint, den: bigint): Ratio => {
  const g = gcd(num, den);
  return g === 0n ? { num: 0n, den: 1n } : { num: num / g, den: den / g };
};
const add = (a: Ratio, b: Ratio) => ratio(a.num * b.den + b.num * a.den, a.den * b.den);
const times = (a: Ratio, num: bigint, den: bigint) => ratio(a.num * num, a.den * den);
export const ratioToNumber = (r: Ratio): number => {
  // Scaled to keep 15 significant digits from operands far beyond a double's range.
  const scale = 10n ** 15n;
  return Number((r.num * scale) / r.den) / Number(scale);
};

/** One tagged source a screened address received funds from. */
export interface Exposure {
  tag: TraceTag;
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

/** Taint weight arriving at a transaction for one screened address, with the heaviest path to it. */
interface Arrival {
  weight: Ratio;
  path: string[];
  pathWeight: number;
}

/**
 * A backward haircut walk for many addresses at once. Each screened address's received satoshis are
 * followed back through the transactions that paid it: a transaction's outputs are funded by its
 * inputs in proportion to their values (the fee included), so an input of value w in a transaction
 * with inputs worth W passes on w/W of the weight that reached the transaction. The walk stops at a
 * tagged address (its tags are the exposure), at a coinbase, and after `maxHops` transactions.
 * Every hop loads the transactions of all addresses in one statement (`loadTxs`), so the number of
 * queries is `maxHops + 1` whatever the batch size. The screened address's own tags never count as
 * an exposure of itself (DIRECT_TAG reports them).
 */
export async function walkExposure(
  db: Db,
  addresses: ReadonlyArray<{ id: bigint; address: string }>,
  options: ExposureWalkOptions,
): Promise<Map<bigint, ExposureResult>> {
  const results = new Map<bigint, ExposureResult>();
  const byId = new Map(addresses.map((a) => [a.id, a.address]));
  if (addresses.length === 0) return results;
  const received = await sql<{ address_id: bigint; tx_id: bigint; value: bigint }>`
    SELECT o.address_id, o.tx_id, sum(o.value)::int8 AS value FROM outputs o
    WHERE o.address_id = ANY(${addresses.map((a) => a.id)}::int8[])
    GROUP BY o.address_id, o.tx_id`.execute(db);
  const totals = new Map<bigint, bigint>();
  for (const row of received.rows) totals.set(row.address_id, (totals.get(row.address_id) ?? 0n) + row.value);
  for (const a of addresses) {
    results.set(a.id, { received: totals.get(a.id) ?? 0n, exposures: [], truncated: false });
  }

  // frontier: tx id → screened address id → arrival.
  let frontier = new Map<bigint, Map<bigint, Arrival>>();
  const arrive = (
    next: Map<bigint, Map<bigint, Arrival>>,
    txId: bigint,
    target: bigint,
    weight: Ratio,
    path: string[],
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
  for (const row of received.rows) {
    arrive(frontier, row.tx_id, row.address_id, ratio(row.value, totals.get(row.address_id)!), []);
  }

  const found = new Map<bigint, Map<string, Exposure>>();
  for (let hop = 1; hop <= options.maxHops && frontier.size > 0; hop++) {
    let ids = [...frontier.keys()];
    if (ids.length > options.maxTxsPerHop) {
      // Keep the transactions carrying the most weight; the rest is left out and said so.
      const heaviest = (id: bigint) => Math.max(...[...frontier.get(id)!.values()].map((a) => a.pathWeight));
      ids.sort((x, y) => heaviest(y) - heaviest(x));
      for (const id of ids.slice(options.maxTxsPerHop)) {
        for (const target of frontier.get(id)!.keys()) results.get(target)!.truncated = true;
      }
      ids = ids.slice(0, options.maxTxsPerHop);
    }
    const txs = await loadTxs(db, ids);
    const next = new Map<bigint, Map<bigint, Arrival>>();
    for (const id of ids) {
      const tx = txs.get(id);
      if (tx === undefined || tx.isCoinbase || tx.inputs.length === 0) continue;
      const inTotal = tx.inputs.reduce((sum, input) => sum + input.value, 0n);
      if (inTotal === 0n) continue;
      for (const [target, arrival] of frontier.get(id)!) {
        const path = [...arrival.path, tx.txid];
        for (const input of tx.inputs) {
          if (input.value === 0n) continue;
          const weight = times(arrival.weight, input.value, inTotal);
          const tagged =
            input.address !== null && input.address !== byId.get(target) && input.tags.length > 0;
          if (!tagged) {
            arrive(next, input.txId, target, weight, path);
            continue;
          }
          let perTarget = found.get(target);
          if (perTarget === undefined) {
            perTarget = new Map();
            found.set(target, perTarget);
          }
          for (const tag of input.tags) {
            const key = JSON.stringify([input.address, tag.label, tag.category, tag.source]);
            const exposure = perTarget.get(key);
            const outpoint = { txid: input.txid, n: input.n };
            if (exposure === undefined) {
              perTarget.set(key, {
                tag,
                address: input.address!,
                hops: hop,
                share: weight,
                sourceOutpoints: [outpoint],
                path,
              });
            } else {
              exposure.share = add(exposure.share, weight);
              if (!exposure.sourceOutpoints.some((o) => o.txid === outpoint.txid && o.n === outpoint.n))
                exposure.sourceOutpoints.push(outpoint);
              if (hop < exposure.hops) [exposure.hops, exposure.path] = [hop, path];
            }
          }
        }
      }
    }
    frontier = next;
  }
  for (const [target, perTarget] of found) results.get(target)!.exposures.push(...perTarget.values());
  return results;
}
