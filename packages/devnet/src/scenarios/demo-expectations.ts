import { Transaction } from 'bitcoinjs-lib';
import type { DevnetChain } from '../chain/chain.types.js';
import type {
  ExpectedTraceFigures,
  ExposureExpectation,
  GroundTruthTracePolicy,
  Ratio,
  SuspectTraceExpectation,
} from './ground-truth.types.js';
import { ScenarioError } from './scenario.errors.js';

/**
 * The demo's expected trace and screening figures, worked out in closed form from the transactions the
 * scenario built (read back from the chain), never by walking the graph as a trace engine would. Each
 * formula holds only under conditions the scenario arranges on purpose; they are checked here, and a
 * chain that breaks one throws instead of recording a figure that depends on unstated choices.
 *
 * Notation (satoshis):
 * - P: the suspect's payouts (the source); I: the payouts the consolidation spent; U0 = P − I stay unspent.
 * - S: the consolidation's one output; fc = I − S its fee.
 * - CoinJoin: inputs v₀…vₙ₋₁ (the suspect's, S, at index k), total T; outputs o₀…, total O; fee fj = T − O;
 *   the suspect's equal output o_j = D.
 * - Peel chain: single-input txs from D; deposit values d₁…d_m, fees f₁…f_m, sumD + sumF = D.
 * - A: what the sanctioned address brought to the consolidation.
 *
 * Every output the walk meets besides the peel chain is unspent (checked), and the deposits carry the
 * `exchange` tag, so nothing is cut off and nothing else reaches the exchange. The policies are those
 * of docs/tracing.md: the fee is the last party of a split (LIFO reverses inputs and outputs, so the
 * fee takes the first input's satoshis), TIHO fills outputs by value (ties to the lower index).
 */

/** What the demo built along the suspect's path, by txid. */
export interface SuspectPath {
  /** The suspect's payout outputs on the active chain. */
  payouts: Array<{ txid: string; vout: number; value: bigint; recipient: string }>;
  /** The suspect's payout addresses, in creation order (ties in `sanctionedAddress` go to the first). */
  payoutAddresses: string[];
  consolidationTxid: string;
  coinjoinTxid: string;
  coinjoinOutputAddress: string;
  peelTxids: string[];
  depositAddresses: string[];
}

export interface DemoExpectations {
  sanctionedAddress: string;
  trace: SuspectTraceExpectation;
  exposure: ExposureExpectation[];
}

interface Output {
  value: bigint;
  address: string | undefined;
}

export function demoExpectations(
  chain: DevnetChain,
  addressOf: (script: Buffer) => string | undefined,
  path: SuspectPath,
): DemoExpectations {
  const txOf = (txid: string) => {
    const found = chain.getTransaction(txid);
    if (!found?.blockhash) throw new ScenarioError(`expectations: ${txid} is not confirmed`);
    return Transaction.fromBuffer(found.raw);
  };
  const outputsOf = (tx: Transaction): Output[] =>
    tx.outs.map((o) => ({ value: BigInt(o.value), address: addressOf(Buffer.from(o.script)) }));
  const prevouts = (tx: Transaction) =>
    tx.ins.map((input) => {
      const txid = Buffer.from(input.hash).reverse().toString('hex');
      return { txid, n: input.index, ...outputsOf(txOf(txid))[input.index]! };
    });
  const key = (txid: string, n: number) => `${txid}:${n}`;
  const sum = (values: bigint[]) => values.reduce((a, b) => a + b, 0n);
  const check = (ok: boolean, what: string) => {
    if (!ok) throw new ScenarioError(`expectations: ${what}`);
  };
  const unspent = (txid: string, n: number) => chain.getTxOut(txid, n, false) !== undefined;

  // The source and the consolidation.
  const source = new Map(path.payouts.map((p) => [key(p.txid, p.vout), p]));
  const P = sum(path.payouts.map((p) => p.value));
  const consolidation = txOf(path.consolidationTxid);
  const consolidated = prevouts(consolidation);
  check(
    consolidated.every((i) => source.has(key(i.txid, i.n))),
    'the consolidation spends only payouts',
  );
  check(consolidation.outs.length === 1, 'the consolidation has one output');
  const I = sum(consolidated.map((i) => i.value));
  const S = BigInt(consolidation.outs[0]!.value);
  const fc = I - S;
  const spentByConsolidation = new Set(consolidated.map((i) => key(i.txid, i.n)));
  for (const p of path.payouts) {
    if (!spentByConsolidation.has(key(p.txid, p.vout)))
      check(unspent(p.txid, p.vout), `payout ${p.txid}:${p.vout} outside the consolidation is unspent`);
  }
  const U0 = P - I;

  // The sanctioned address: the payout address that brought the most to the consolidation.
  const brought = new Map<string, bigint>();
  for (const i of consolidated) brought.set(i.address!, (brought.get(i.address!) ?? 0n) + i.value);
  let sanctionedAddress = '';
  let A = 0n;
  for (const address of path.payoutAddresses) {
    const value = brought.get(address) ?? 0n;
    if (value > A) [sanctionedAddress, A] = [address, value];
  }
  check(A > 0n, 'some payout address funded the consolidation');

  // The CoinJoin.
  const coinjoin = txOf(path.coinjoinTxid);
  const mixIn = prevouts(coinjoin);
  const k = mixIn.findIndex((i) => i.txid === path.consolidationTxid && i.n === 0);
  check(k >= 0, 'the CoinJoin spends the consolidation');
  const v = mixIn.map((i) => i.value);
  const T = sum(v);
  const o = outputsOf(coinjoin).map((out) => out.value);
  const O = sum(o);
  const fj = T - O;
  const j = outputsOf(coinjoin).findIndex((out) => out.address === path.coinjoinOutputAddress);
  const D = o[j]!;
  o.forEach((_, n) => {
    if (n !== j) check(unspent(path.coinjoinTxid, n), `CoinJoin output ${n} is unspent`);
  });

  // The peel chain.
  const d: bigint[] = [];
  const f: bigint[] = [];
  let previous = { txid: path.coinjoinTxid, n: j, value: D };
  path.peelTxids.forEach((txid, i) => {
    const peel = txOf(txid);
    const [input] = prevouts(peel);
    check(
      peel.ins.length === 1 && input!.txid === previous.txid && input!.n === previous.n,
      `peel ${i} spends only the previous coin`,
    );
    const outs = outputsOf(peel);
    check(outs[0]!.address === path.depositAddresses[i], `peel ${i} pays deposit ${i} first`);
    d.push(outs[0]!.value);
    f.push(previous.value - sum(outs.map((out) => out.value)));
    const last = i === path.peelTxids.length - 1;
    check(
      outs.length === (last ? 1 : 2),
      `peel ${i} pays a deposit and${last ? ' nothing else' : ' onward'}`,
    );
    if (!last) previous = { txid, n: 1, value: outs[1]!.value };
  });
  const sumD = sum(d);
  const sumF = sum(f);
  check(sumD + sumF === D, 'the peel chain spends the whole CoinJoin output');

  const figures = (reached: bigint, unspentValue: bigint, fee: bigint): ExpectedTraceFigures => ({
    reachedValue: reached.toString(),
    unspentValue: unspentValue.toString(),
    feeValue: fee.toString(),
    cutOffValue: '0',
  });

  // Poison marks every output and fee downstream of a tainted input in full (the `poisoned` figures):
  // the CoinJoin marks all its outputs; only the suspect's continues, to the deposits. Its summary
  // figures are the conserved flow of the source's satoshis, split as haircut splits them.
  const poisoned = figures(sumD, U0 + (O - D), fc + fj + sumF);

  // Haircut: the consolidation is all source, so S is tainted in full; the CoinJoin passes on S/T of
  // every output and of its fee; the peel chain keeps that share. Exact when S·x is a multiple of T for
  // every amount x involved (the participants bring exactly S, so S/T = 1/2, and every amount is even).
  const exact = (x: bigint) => {
    check((x * S) % T === 0n, `haircut of ${x} at ${S}/${T} is a whole number of sats`);
    return (x * S) / T;
  };
  for (const x of [...o, fj, ...d, ...f]) exact(x);
  const haircut = figures(
    sum(d.map(exact)),
    U0 + sum(o.filter((_, n) => n !== j).map(exact)),
    fc + exact(fj) + sum(f.map(exact)),
  );

  // FIFO: the suspect's satoshis fill output positions [B, B + S) with B = v₀ + … + vₖ₋₁, fee last.
  // LIFO (the last input to the last output first) fills the same positions when the fee is taken
  // first, and [B − fj, B + S − fj) when it is taken last. The suspect's output at [pos, pos + D) lies
  // inside both, the range ends before the fee, and the first and last inputs (not the suspect's) can
  // each pay the whole fee, so both give: the CoinJoin's fee is clean, its tainted outputs hold S,
  // D of it goes down the peel chain in full (single-input txs taint everything).
  const B = sum(v.slice(0, k));
  const pos = sum(o.slice(0, j));
  check(k > 0 && k < v.length - 1, 'the suspect input is neither first nor last');
  check(v[0]! >= fj && v[v.length - 1]! >= fj, 'the first and last inputs each cover the fee');
  check(B <= pos && pos + D <= B + S - fj, "FIFO/LIFO put the whole of the suspect's output in its sats");
  check(B + S <= O, 'FIFO/LIFO leave the fee clean');
  const ordered = figures(sumD, U0 + S - D, fc + sumF);

  // TIHO: the S tainted sats fill outputs by value, highest first. Outputs of equal value are an
  // unordered group, so the group where S runs out must have one member, and the suspect's output
  // group must be filled in full or not at all. Every output exceeds the fee, so the fee comes last.
  check(
    o.every((x) => x > fj),
    'every CoinJoin output exceeds its fee',
  );
  const groups = [...new Set(o)].sort((a, b) => (a > b ? -1 : a < b ? 1 : 0));
  let left = S;
  let suspectOutputTainted: boolean | undefined;
  for (const value of groups) {
    const count = BigInt(o.filter((x) => x === value).length);
    const full = left >= value * count;
    check(full || left === 0n || count === 1n, `TIHO runs out inside a tie of ${count} outputs of ${value}`);
    if (value === D) {
      check(full || left === 0n, "TIHO fills the suspect's output in full or not at all");
      suspectOutputTainted = full;
    }
    left -= full ? value * count : left;
  }
  check(left === 0n, 'TIHO places all of S in outputs');
  const tiho = suspectOutputTainted ? ordered : figures(0n, U0 + S, fc);

  const byPolicy: Record<GroundTruthTracePolicy, ExpectedTraceFigures> = {
    poison: haircut,
    haircut,
    fifo: ordered,
    lifo: ordered,
    tiho,
  };
  for (const [policy, x] of Object.entries(byPolicy)) {
    const total =
      BigInt(x.reachedValue) + BigInt(x.unspentValue) + BigInt(x.feeValue) + BigInt(x.cutOffValue);
    check(total === P, `${policy}: reached + unspent + fee + cutOff = source`);
  }

  // Screening: backward haircut from a deposit. The peels are single-input, the CoinJoin's output owes
  // S/T to the consolidation, whose output owes A/I to the sanctioned address.
  const ratio = (numerator: bigint, denominator: bigint): Ratio => {
    const g = gcd(numerator, denominator);
    return { numerator: (numerator / g).toString(), denominator: (denominator / g).toString() };
  };
  const sourceOutpoints = consolidated
    .filter((i) => i.address === sanctionedAddress)
    .map((i) => ({ txid: i.txid, n: i.n }));
  const exposure = path.depositAddresses.map((address, i) => ({
    address,
    receivedValue: d[i]!.toString(),
    hops: i + 3,
    share: ratio(A * S, I * T),
    value: ratio(d[i]! * A * S, I * T),
    path: [...path.peelTxids.slice(0, i + 1).reverse(), path.coinjoinTxid, path.consolidationTxid],
    sourceOutpoints,
  }));

  return {
    sanctionedAddress,
    trace: {
      from: { addresses: [...new Set(path.payouts.map((p) => p.recipient))] },
      direction: 'forward',
      stopAt: ['exchange'],
      // Consolidation, CoinJoin, then every peel.
      maxHops: 2 + path.peelTxids.length,
      minValue: '0',
      sourceValue: P.toString(),
      byPolicy,
      poisoned,
    },
    exposure,
  };
}

function gcd(a: bigint, b: bigint): bigint {
  while (b !== 0n) [a, b] = [b, a % b];
  return a;
}
