import type { ScriptType } from '@minetrace/shared/chain';
import { type CoinJoinTxIo, isCoinJoinShaped } from '../cluster/coinjoin-shape.js';
import { classifyCoinbase } from './coinbase-payouts.js';
import type {
  DetectedPayout,
  PayoutOptions,
  PayoutTxOutput,
  PoolFunds,
  PoolKnown,
  PoolOutput,
} from './payout.types.js';
import { classifyPoolSpend, type PoolSpendInput } from './pool-spend.js';
import { type Distribution, type PaidAddress, recurringAddress } from './recurring-address.js';

/** A block's transaction as the decoder gives it (`TxRow` fits). */
export interface PayoutBlockTx {
  /** Display order, as everywhere. */
  txid: Buffer;
  isCoinbase: boolean;
  inputs: readonly { prevTxid: Buffer; prevVout: number }[];
  outputs: readonly (PayoutTxOutput & { scriptType: ScriptType })[];
}

/** A prevout outside the block, as stored: value, address, script type, and its pool funds marker. */
export interface ResolvedPrevout {
  value: bigint;
  address: string | null;
  scriptType: ScriptType;
  poolFunds: PoolFunds | null;
}

export interface PayoutBlock {
  /** The pool the block is attributed to; null when unknown (its coinbase is then nobody's funds). */
  poolId: number | null;
  txs: readonly PayoutBlockTx[];
  /**
   * Positions in `txs` of the only transactions that may spend pool funds, when the caller knows them
   * (`applyDerived` finds them before reading any prevout): the inputs of the others are not resolved.
   * Absent: every transaction's are. Resolving costs a hex txid and map lookups per input, about 6 ms
   * of a 3,000-transaction block, every round, where a handful of transactions can be pool spends.
   */
  mayPayFromPoolFunds?: readonly number[];
}

export interface PayoutDeps {
  /** A prevout from before this block, or undefined when it is not stored (it then counts as nobody's). */
  prevout: (txid: Buffer, vout: number) => ResolvedPrevout | undefined;
  poolKnown: PoolKnown;
  /**
   * The `paid` lists of the pool's distributions of `kind` from earlier blocks, oldest first: what earlier
   * calls returned as `distributions` (the last `RECURRING_WINDOW` suffice). Absent: only this block's.
   */
  recentDistributions?: (poolId: number, kind: Distribution['kind']) => readonly (readonly PaidAddress[])[];
  /** Whether an earlier block holds a payout of a pool other than `poolId` to `address`. Absent: never. */
  paidByOtherPool?: (poolId: number, address: string) => boolean;
}

/**
 * One row of `payouts`: the payout transaction, and the source transaction whose pool funds it spent
 * (the nearest to a coinbase among its inputs; for hop-0 payouts, the coinbase itself).
 */
export interface BlockPayout extends DetectedPayout {
  sourceTxid: Buffer;
  payoutTxid: Buffer;
}

/** An output of this block that is pool funds: mark it, and add its address to the pool's known ones. */
export interface BlockPoolOutput extends PoolOutput {
  txid: Buffer;
}

export interface BlockPayoutsResult {
  /** In block order, then output order. */
  payouts: BlockPayout[];
  poolOutputs: BlockPoolOutput[];
  /** This block's distributions, in block order: store them to answer `recentDistributions` later. */
  distributions: Distribution[];
  /** CoinJoin-shaped transactions that spent pool funds and were left out. */
  skippedCoinJoins: Buffer[];
}

/** Each round can only add addresses; real blocks settle in two. */
const MAX_ROUNDS = 8;

/**
 * Payout detection for one block, in transaction order: the coinbase by `classifyCoinbase`, every other
 * transaction by `classifyPoolSpend`. Pool funds created earlier in the block are followed within it, and
 * addresses of pool outputs found earlier in the block count as known for later transactions. A
 * CoinJoin-shaped transaction is several owners' and is left out even when it spends pool funds.
 *
 * The pool's fixed addresses are also learned from its distributions (`recurringAddress` over the earlier
 * blocks' and this block's): when one is found, the whole block is classified again with it known, so
 * every transaction of the block is judged with the same knowledge. Pure: the caller stores the results
 * in the same SQL transaction as the block.
 */
export function detectBlockPayouts(
  block: PayoutBlock,
  deps: PayoutDeps,
  options: PayoutOptions,
): BlockPayoutsResult {
  const recurring = new Set<string>();
  const candidates = block.mayPayFromPoolFunds === undefined ? undefined : new Set(block.mayPayFromPoolFunds);
  for (let round = 1; ; round++) {
    const pass = classifyBlock(block, candidates, deps, options, recurring);
    if (round === MAX_ROUNDS || !learnRecurring(pass, deps, recurring)) return pass;
  }
}

const poolAddressKey = (poolId: number, address: string) => `${poolId}:${address}`;

/** Adds to `recurring` the pools' recurring addresses not yet known; true when it grew. */
function learnRecurring(pass: BlockPayoutsResult, deps: PayoutDeps, recurring: Set<string>): boolean {
  const groups = new Map<string, { poolId: number; history: (readonly PaidAddress[])[] }>();
  for (const distribution of pass.distributions) {
    const key = `${distribution.poolId}:${distribution.kind}`;
    let group = groups.get(key);
    if (group === undefined) {
      const earlier = deps.recentDistributions?.(distribution.poolId, distribution.kind) ?? [];
      group = { poolId: distribution.poolId, history: [...earlier] };
      groups.set(key, group);
    }
    group.history.push(distribution.paid);
  }
  const keptInBlock = new Set(
    pass.poolOutputs.map((output) => poolAddressKey(output.poolId, output.address)),
  );
  const paidInBlock = new Map<string, Set<number>>();
  for (const payout of pass.payouts) {
    const pools = paidInBlock.get(payout.address) ?? new Set<number>();
    pools.add(payout.poolId);
    paidInBlock.set(payout.address, pools);
  }
  let grew = false;
  for (const { poolId, history } of groups.values()) {
    const excluded = (address: string) =>
      [...(paidInBlock.get(address) ?? [])].some((payer) => payer !== poolId) ||
      (deps.paidByOtherPool?.(poolId, address) ?? false);
    const address = recurringAddress(history, { excluded });
    if (address === null) continue;
    const key = poolAddressKey(poolId, address);
    if (recurring.has(key) || keptInBlock.has(key) || deps.poolKnown(poolId, address)) continue;
    recurring.add(key);
    grew = true;
  }
  return grew;
}

function classifyBlock(
  block: PayoutBlock,
  /** `block.mayPayFromPoolFunds` as a set; undefined: every transaction may. */
  candidates: ReadonlySet<number> | undefined,
  deps: PayoutDeps,
  options: PayoutOptions,
  recurring: ReadonlySet<string>,
): BlockPayoutsResult {
  const result: BlockPayoutsResult = {
    payouts: [],
    poolOutputs: [],
    distributions: [],
    skippedCoinJoins: [],
  };
  const inBlock = new Map<string, PayoutBlockTx>();
  const inBlockFunds = new Map<string, PoolFunds>();
  const learned = new Set<string>();
  const poolKnown: PoolKnown = (poolId, address) => {
    const key = poolAddressKey(poolId, address);
    return learned.has(key) || recurring.has(key) || deps.poolKnown(poolId, address);
  };

  const keep = (txid: Buffer, outputs: readonly PoolOutput[]) => {
    const hex = txid.toString('hex');
    for (const output of outputs) {
      const key = poolAddressKey(output.poolId, output.address);
      const byRecurrence =
        (output.reason === 'known-address' || output.reason === 'coinbase') &&
        recurring.has(key) &&
        !deps.poolKnown(output.poolId, output.address);
      result.poolOutputs.push({
        ...output,
        reason: byRecurrence ? 'recurring-address' : output.reason,
        txid,
      });
      inBlockFunds.set(`${hex}:${output.n}`, { poolId: output.poolId, hop: output.hop });
      learned.add(key);
    }
  };
  const distribution = (poolId: number, kind: Distribution['kind'], outputs: readonly PayoutTxOutput[]) => {
    const paid = new Map<string, bigint>();
    for (const { address, value } of outputs) {
      if (address !== null && value > 0n) paid.set(address, (paid.get(address) ?? 0n) + value);
    }
    if (paid.size < 2) return;
    result.distributions.push({
      poolId,
      kind,
      paid: [...paid].map(([address, value]) => ({ address, value })),
    });
  };

  block.txs.forEach((tx, i) => {
    if (tx.isCoinbase) {
      if (block.poolId !== null) {
        const coinbase = classifyCoinbase(tx.outputs, block.poolId, poolKnown, options);
        for (const payout of coinbase.payouts) {
          result.payouts.push({ ...payout, sourceTxid: tx.txid, payoutTxid: tx.txid });
        }
        keep(tx.txid, coinbase.poolOutputs);
        if (coinbase.paysMiners) distribution(block.poolId, 'coinbase', tx.outputs);
      }
    } else if (candidates === undefined || candidates.has(i)) {
      const inputs = tx.inputs.map((input) => resolveInput(input, inBlock, inBlockFunds, deps));
      if (inputs.some((input) => input.poolFunds !== null)) {
        if (isCoinJoinShaped({ inputs, outputs: tx.outputs }) !== null) {
          result.skippedCoinJoins.push(tx.txid);
        } else {
          const spend = classifyPoolSpend({ inputs, outputs: tx.outputs }, poolKnown, options);
          if (spend !== null) {
            const sourceTxid = tx.inputs[spend.sourceInput]!.prevTxid;
            for (const payout of spend.payouts)
              result.payouts.push({ ...payout, sourceTxid, payoutTxid: tx.txid });
            keep(tx.txid, spend.poolOutputs);
            distribution(spend.poolId, 'spend', tx.outputs);
          }
        }
      }
    }
    inBlock.set(tx.txid.toString('hex'), tx);
  });
  return result;
}

type ResolvedInput = PoolSpendInput & CoinJoinTxIo;

const UNKNOWN_PREVOUT: ResolvedInput = {
  value: 0n,
  address: null,
  scriptType: 'nonstandard',
  poolFunds: null,
};

function resolveInput(
  input: { prevTxid: Buffer; prevVout: number },
  inBlock: Map<string, PayoutBlockTx>,
  inBlockFunds: Map<string, PoolFunds>,
  deps: PayoutDeps,
): ResolvedInput {
  const hex = input.prevTxid.toString('hex');
  const parent = inBlock.get(hex);
  if (parent !== undefined) {
    const output = parent.outputs.find((candidate) => candidate.n === input.prevVout);
    if (output === undefined) return UNKNOWN_PREVOUT;
    return {
      value: output.value,
      address: output.address,
      scriptType: output.scriptType,
      poolFunds: inBlockFunds.get(`${hex}:${input.prevVout}`) ?? null,
    };
  }
  return deps.prevout(input.prevTxid, input.prevVout) ?? UNKNOWN_PREVOUT;
}
