import { loadPools } from '@minetrace/shared/pools';
import { Transaction } from 'bitcoinjs-lib';
import { blockSubsidy } from '../block/block-builder.js';
import type { DevnetChain, Utxo } from '../chain/chain.types.js';
import { type AddressType, createWallet, type OwnedAddress, type Wallet } from '../wallet/index.js';
import { demoExpectations } from './demo-expectations.js';
import type {
  EntityKind,
  GroundTruth,
  GroundTruthIncome,
  GroundTruthPayout,
  GroundTruthTag,
  SuspectFlow,
} from './ground-truth.types.js';
import { ScenarioError } from './scenario.errors.js';
import { createSeededRandom } from './seeded-random.js';

/**
 * The `demo` scenario: five pools (real coinbase tags from the mining-pools dataset, regtest payout
 * addresses of their own) mine 432 blocks an hour apart from 2024-03-01 UTC; pools pay their miners
 * after coinbase maturity (AntPool and ViaBTC straight from each coinbase, Foundry USA and F2Pool
 * through a daily consolidation, OCEAN in the coinbase itself); a suspect paid by Foundry USA and
 * AntPool consolidates, goes through a CoinJoin and a peel chain into an exchange that sweeps its
 * deposits; ordinary miners deposit at the exchange and pay users; the last two blocks are replaced
 * by a three-block branch.
 */

/** Pool slugs are the dataset's file names; tags are copied verbatim from those files. */
export const DEMO_POOLS = [
  { slug: 'foundry-usa', name: 'Foundry USA', tag: 'Foundry USA Pool', weight: 30, coinbaseType: 'p2wsh' },
  { slug: 'antpool', name: 'AntPool', tag: '/AntPool/', weight: 24, coinbaseType: 'p2pkh' },
  { slug: 'f2pool', name: 'F2Pool', tag: '七彩神仙鱼', weight: 16, coinbaseType: 'p2wpkh' },
  { slug: 'viabtc', name: 'ViaBTC', tag: '/ViaBTC/', weight: 14, coinbaseType: 'p2pkh' },
  { slug: 'ocean', name: 'Ocean.xyz', tag: 'OCEAN.XYZ', weight: 12, coinbaseType: 'p2tr' },
] as const satisfies ReadonlyArray<{
  slug: string;
  name: string;
  tag: string;
  weight: number;
  coinbaseType: AddressType;
}>;

type PoolSlug = (typeof DEMO_POOLS)[number]['slug'];

/** 2024-03-01T00:00:00Z: blocks are at START + height hours, so every day has income buckets. */
const START_TIME = Date.UTC(2024, 2, 1) / 1000;
const BLOCK_SPACING = 3600;
const BLOCKS_BEFORE_REORG = 432;
const REORG_DEPTH = 2;
const REORG_BRANCH_LENGTH = 3;
/**
 * Heights 1..SOLO_PREMINE are mined untagged by a solo miner, funding the CoinJoin participants, who
 * together bring as much as the suspect's consolidated coin (several hundred BTC).
 */
const SOLO_PREMINE = 24;
const MATURITY = 100;
/** Hour of the day (height mod 24) at which each pool pays out. */
const PAYOUT_HOUR: Record<Exclude<PoolSlug, 'ocean'>, number> = {
  'foundry-usa': 2,
  antpool: 5,
  f2pool: 8,
  viabtc: 11,
};
const CONSOLIDATING_POOLS = new Set<PoolSlug>(['foundry-usa', 'f2pool']);
const SUSPECT_POOLS = new Set<PoolSlug>(['foundry-usa', 'antpool']);
const BACKGROUND_HOUR = 15;
const SWEEP_HOUR = 20;
const SUSPECT_CONSOLIDATE_AT = 338;
/** After the consolidation confirms: the participants' inputs are sized from the suspect's coin. */
const FUND_PARTICIPANTS_AT = 339;
const COINJOIN_AT = 340;
const PEEL_HOPS = 5;
/**
 * What each CoinJoin participant brings, per mille of the suspect's coin: together exactly the coin.
 * The first is the largest, so its change is the second-largest output (TIHO's tie-free boundary).
 */
const PARTICIPANT_PER_MILLE = [400n, 200n, 220n, 180n] as const;
const COINJOIN_PARTICIPANTS = PARTICIPANT_PER_MILLE.length;

const SUSPECT = 'suspect';
const EXCHANGE = 'exchange';
const SOLO = 'solo-miner';

export interface DemoOptions {
  seed: string;
}

interface PendingPayout {
  pool: PoolSlug;
  payoutTxid: string;
  vout: number;
  sourceTxid: string;
  recipient: string;
  entity: string;
  value: bigint;
  hop: number;
}

interface Member {
  entity: string;
  addresses: OwnedAddress[];
  /** Relative share of each payout. */
  weight: number;
}

export function buildDemo(chain: DevnetChain, { seed }: DemoOptions): GroundTruth {
  if (chain.tipHeight() !== 0)
    throw new ScenarioError('the demo scenario needs a chain with only its genesis block');
  const dataset = loadPools();
  for (const spec of DEMO_POOLS) {
    if (!dataset.bySlug.get(spec.slug)?.tags.includes(spec.tag)) {
      throw new ScenarioError(`the mining-pools dataset has no tag '${spec.tag}' for ${spec.slug}`);
    }
  }
  const rng = createSeededRandom(`demo:${seed}`);
  const wallet = createWallet(`demo:${seed}`, { chain });
  const kinds = new Map<string, EntityKind>();
  const entity = (name: string, kind: EntityKind) => {
    kinds.set(name, kind);
    return name;
  };
  const payouts: PendingPayout[] = [];
  const blockPool = new Map<string, PoolSlug | null>();

  // Entities and their addresses.
  const pools = DEMO_POOLS.map((spec) => {
    entity(spec.slug, 'pool');
    return {
      ...spec,
      coinbase: wallet.newAddress(spec.coinbaseType, spec.slug),
      hot: wallet.newAddress('p2wpkh', spec.slug),
      members: [] as Member[],
    };
  });
  const poolBySlug = new Map(pools.map((p) => [p.slug as PoolSlug, p]));
  const minerTypes: AddressType[] = ['p2wpkh', 'p2wpkh', 'p2tr', 'p2pkh', 'p2sh-p2wpkh'];
  const miners: Member[] = Array.from({ length: 24 }, (_, i) => {
    const name = entity(`miner-${String(i + 1).padStart(2, '0')}`, 'miner');
    const count = rng.int(1, 3);
    return {
      entity: name,
      addresses: Array.from({ length: count }, () => wallet.newAddress(rng.pick(minerTypes), name)),
      weight: rng.int(1, 10),
    };
  });
  entity(SUSPECT, 'suspect');
  const suspectTypes: AddressType[] = [
    'p2wpkh',
    'p2tr',
    'p2pkh',
    'p2sh-multisig',
    'p2wsh',
    'p2wpkh',
    'p2tr',
    'p2pkh',
  ];
  const suspect: Member = {
    entity: SUSPECT,
    addresses: suspectTypes.map((type) => wallet.newAddress(type, SUSPECT)),
    weight: 8,
  };
  entity(EXCHANGE, 'exchange');
  const exchangeHot = wallet.newAddress('p2wpkh', EXCHANGE);
  const deposits = new Set<string>();
  const newDeposit = () => {
    const address = wallet.newAddress(rng.chance(0.7) ? 'p2wpkh' : 'p2sh-p2wpkh', EXCHANGE);
    deposits.add(address.address);
    return address;
  };
  entity(SOLO, 'other');
  const soloAddress = wallet.newAddress('p2wpkh', SOLO);
  const users = Array.from({ length: 5 }, (_, i) => {
    const name = entity(`user-${i + 1}`, 'other');
    return wallet.newAddress(rng.pick(minerTypes), name);
  });
  const participants = Array.from({ length: COINJOIN_PARTICIPANTS }, (_, i) => {
    const name = entity(`coinjoin-${i + 1}`, 'coinjoin-participant');
    return { name, funding: wallet.newAddress('p2wpkh', name) };
  });

  for (const pool of pools) {
    pool.members = rng.sample(miners, pool.slug === 'ocean' ? rng.int(6, 8) : rng.int(9, 13));
    if (SUSPECT_POOLS.has(pool.slug)) pool.members.push(suspect);
  }
  const addressCursor = new Map<string, number>();
  const nextAddressOf = (member: Member) => {
    // Rotating through an entity's addresses spreads its income over every script type it has.
    const i = addressCursor.get(member.entity) ?? 0;
    addressCursor.set(member.entity, i + 1);
    return member.addresses[i % member.addresses.length]!;
  };

  /** Splits `budget` over `members` by weight; the last share takes the rounding remainder. */
  const split = (budget: bigint, members: Member[]) => {
    const weights = members.map((m) => BigInt(m.weight * rng.int(5, 15)));
    const total = weights.reduce((a, b) => a + b, 0n);
    let left = budget;
    return members.map((member, i) => {
      const value = i === members.length - 1 ? left : (budget * weights[i]!) / total;
      left -= value;
      return { member, address: nextAddressOf(member).address, value };
    });
  };

  const broadcast = (raw: Buffer) => chain.sendRawTransaction(raw);
  const nextHeight = () => chain.tipHeight() + 1;

  const mempoolFees = () =>
    chain.mempoolTxids().reduce((sum, txid) => sum + (chain.mempoolEntry(txid)?.fee ?? 0n), 0n);

  const mineBlock = (slug: PoolSlug | null, timeOffset = 0): string => {
    const height = nextHeight();
    const time = START_TIME + height * BLOCK_SPACING + timeOffset;
    let hash: string;
    if (slug === null) {
      hash = chain.mine({ coinbaseOutputs: soloAddress.address, time });
    } else if (slug === 'ocean') {
      const ocean = poolBySlug.get('ocean')!;
      const reward = blockSubsidy(height) + mempoolFees();
      const fee = reward / 50n;
      const shares = split(reward - fee, rng.sample(ocean.members, rng.int(5, ocean.members.length)));
      hash = chain.mine({
        coinbaseOutputs: [
          { address: ocean.coinbase.address, value: fee },
          ...shares.map((s) => ({ address: s.address, value: s.value })),
        ],
        coinbaseTag: ocean.tag,
        time,
      });
      const coinbaseTxid = chain.getBlock(hash)!.txids[0]!;
      for (const [i, s] of shares.entries()) {
        payouts.push({
          pool: 'ocean',
          payoutTxid: coinbaseTxid,
          vout: i + 1,
          sourceTxid: coinbaseTxid,
          recipient: s.address,
          entity: s.member.entity,
          value: s.value,
          hop: 0,
        });
      }
    } else {
      const pool = poolBySlug.get(slug)!;
      hash = chain.mine({ coinbaseOutputs: pool.coinbase.address, coinbaseTag: pool.tag, time });
    }
    blockPool.set(hash, slug);
    return hash;
  };

  /** A batch payout spending exactly one pool-owned coin, with change back to the pool's hot address. */
  const payBatch = (slug: PoolSlug, coin: Utxo, hop: number) => {
    const pool = poolBySlug.get(slug)!;
    const recipients = rng.sample(pool.members, rng.int(5, Math.min(12, pool.members.length)));
    if (SUSPECT_POOLS.has(slug) && !recipients.includes(suspect) && rng.chance(0.6)) recipients.push(suspect);
    const budget = (coin.value * BigInt(rng.int(90, 97))) / 100n;
    const shares = split(budget, recipients);
    const tx = wallet.send({
      from: [coin],
      to: shares.map((s) => ({ address: s.address, value: s.value })),
      change: pool.hot.address,
    });
    broadcast(tx.raw);
    for (const [vout, s] of shares.entries()) {
      payouts.push({
        pool: slug,
        payoutTxid: tx.txid,
        vout,
        sourceTxid: coin.txid,
        recipient: s.address,
        entity: s.member.entity,
        value: s.value,
        hop,
      });
    }
  };

  const poolPayouts = (slug: Exclude<PoolSlug, 'ocean'>) => {
    const coins = wallet.listUnspent({ label: slug });
    const mature = coins.filter(
      (u) => u.coinbase && u.height !== undefined && nextHeight() - u.height >= MATURITY,
    );
    if (mature.length === 0) return;
    if (!CONSOLIDATING_POOLS.has(slug)) {
      for (const coin of mature) payBatch(slug, coin, 1);
      return;
    }
    // Consolidation: every mature coinbase plus leftover change, into one hot-wallet output.
    const pool = poolBySlug.get(slug)!;
    const change = coins.filter((u) => !u.coinbase && u.height !== undefined);
    const inputs = [...mature, ...change];
    const total = inputs.reduce((sum, u) => sum + u.value, 0n);
    const fee = BigInt(200 + 110 * inputs.length);
    const consolidation = wallet.send({
      from: inputs,
      to: [{ address: pool.hot.address, value: total - fee }],
      fee,
    });
    broadcast(consolidation.raw);
    const coin = chain.getTxOut(consolidation.txid, 0, true)!;
    // The consolidation spent coinbase outputs, so a payout from its output is two hops out.
    payBatch(slug, coin, 2);
  };

  const spendable = (label: string) => wallet.listUnspent({ label }).filter((u) => u.height !== undefined);

  const backgroundActivity = () => {
    for (const miner of rng.sample(miners, 3)) {
      // A few coins at a time, as a wallet's coin selection would pick.
      const coins = spendable(miner.entity).slice(0, 4);
      const balance = coins.reduce((sum, u) => sum + u.value, 0n);
      if (balance < 1_000_000n) continue;
      const deposit = newDeposit();
      const tx = wallet.send({
        from: coins,
        to: [{ address: deposit.address, value: (balance * BigInt(rng.int(20, 60))) / 100n }],
        change: nextAddressOf(miner).address,
      });
      broadcast(tx.raw);
    }
    paySomeUser();
  };

  const paySomeUser = () => {
    const miner = rng.pick(miners);
    const coins = spendable(miner.entity).slice(0, 2);
    const balance = coins.reduce((sum, u) => sum + u.value, 0n);
    if (balance < 1_000_000n) return;
    const tx = wallet.send({
      from: coins,
      to: [{ address: rng.pick(users).address, value: balance / BigInt(rng.int(3, 8)) }],
      change: nextAddressOf(miner).address,
    });
    broadcast(tx.raw);
  };

  const sweepTxids: string[] = [];
  const sweepDeposits = () => {
    const coins = spendable(EXCHANGE).filter((u) => {
      const owner = wallet.owns(u.script);
      return owner !== undefined && deposits.has(owner.address);
    });
    if (coins.length === 0) return;
    const total = coins.reduce((sum, u) => sum + u.value, 0n);
    const fee = BigInt(200 + 100 * coins.length);
    const tx = wallet.send({ from: coins, to: [{ address: exchangeHot.address, value: total - fee }], fee });
    broadcast(tx.raw);
    sweepTxids.push(tx.txid);
  };

  // The suspect's path, filled in as it happens.
  let consolidationTxid = '';
  let coinjoinTxid = '';
  let denomination = 0n;
  let coinjoinOutput: OwnedAddress | undefined;
  let peelCoin: Utxo | undefined;
  const peelTxids: string[] = [];
  const peelDeposits: string[] = [];

  /**
   * The participants bring, in total, exactly the suspect's coin (shares per mille of it, whole
   * thousands of sats), so the suspect owns half of the CoinJoin's inputs: the haircut share is 1/2
   * and every amount downstream is even, which keeps each policy's figure an exact integer.
   */
  const fundParticipants = () => {
    const suspectValue = chain.getTxOut(consolidationTxid, 0, true)!.value;
    const values = PARTICIPANT_PER_MILLE.map((share) => ((suspectValue * share) / 1000n / 1000n) * 1000n);
    values[values.length - 1] = suspectValue - values.slice(0, -1).reduce((a, b) => a + b, 0n);
    const coins = spendable(SOLO).filter((u) => !u.coinbase || nextHeight() - u.height! >= MATURITY);
    const tx = wallet.send({
      from: coins,
      to: participants.map((p, i) => ({ address: p.funding.address, value: values[i]! })),
      change: soloAddress.address,
    });
    broadcast(tx.raw);
  };

  const suspectConsolidate = () => {
    const coins = spendable(SUSPECT).slice(0, 30);
    const total = coins.reduce((sum, u) => sum + u.value, 0n);
    // A round output (whole thousands of sats): the fee takes the remainder.
    const value = ((total - BigInt(300 + 150 * coins.length)) / 1000n) * 1000n;
    const target = wallet.newAddress('p2tr', SUSPECT);
    const tx = wallet.send({ from: coins, to: [{ address: target.address, value }], fee: total - value });
    broadcast(tx.raw);
    consolidationTxid = tx.txid;
  };

  /**
   * Inputs in a fixed order (two participants, the suspect, two participants) and the suspect's equal
   * output last of the equal ones: with the participants' shares above, FIFO and LIFO put the whole
   * equal output inside the suspect's satoshis, TIHO puts none of it there (see demo-expectations.ts).
   */
  const coinjoin = () => {
    const suspectCoin = chain.getTxOut(consolidationTxid, 0, true)!;
    const funded = participants.map((p) => {
      const [coin] = spendable(p.name);
      if (!coin) throw new ScenarioError(`coinjoin participant ${p.name} has no funds`);
      return { name: p.name, coin };
    });
    let smallest = suspectCoin.value;
    for (const f of funded) if (f.coin.value < smallest) smallest = f.coin.value;
    // A round denomination below every input, as mixing coordinators choose.
    denomination = ((smallest * 9n) / 10n / 10_000_000n) * 10_000_000n;
    const feeEach = 2_000n;
    coinjoinOutput = wallet.newAddress('p2wpkh', SUSPECT);
    const equal = [
      ...rng.sample(
        funded.map((f) => ({ address: wallet.newAddress('p2wpkh', f.name).address, value: denomination })),
        funded.length,
      ),
      { address: coinjoinOutput.address, value: denomination },
    ];
    const changes = [
      {
        address: wallet.newAddress('p2wpkh', SUSPECT).address,
        value: suspectCoin.value - denomination - feeEach,
      },
      ...funded.map((f) => ({
        address: wallet.newAddress('p2wpkh', f.name).address,
        value: f.coin.value - denomination - feeEach,
      })),
    ];
    const coins = funded.map((f) => f.coin);
    const inputs = [...coins.slice(0, 2), suspectCoin, ...coins.slice(2)];
    const outputs = [...equal, ...rng.sample(changes, changes.length)];
    const tx = wallet.send({ from: inputs, to: outputs, fee: feeEach * BigInt(inputs.length) });
    broadcast(tx.raw);
    coinjoinTxid = tx.txid;
    const vout = outputs.findIndex((o) => o.address === coinjoinOutput!.address);
    peelCoin = chain.getTxOut(coinjoinTxid, vout, true)!;
  };

  const peel = (last: boolean) => {
    const coin = peelCoin!;
    const deposit = newDeposit();
    peelDeposits.push(deposit.address);
    const fee = 500n;
    if (last) {
      const tx = wallet.send({
        from: [coin],
        to: [{ address: deposit.address, value: coin.value - fee }],
        fee,
      });
      broadcast(tx.raw);
      peelTxids.push(tx.txid);
      return;
    }
    // Whole thousands of sats, so the haircut halves every amount of the chain exactly.
    const peelValue = ((coin.value * BigInt(rng.int(2, 6))) / 100n / 1000n) * 1000n;
    const onward = wallet.newAddress(rng.pick<AddressType>(['p2wpkh', 'p2tr']), SUSPECT);
    const to = [
      { address: deposit.address, value: peelValue },
      { address: onward.address, value: coin.value - peelValue - fee },
    ];
    const tx = wallet.send({ from: [coin], to, fee });
    broadcast(tx.raw);
    peelTxids.push(tx.txid);
    peelCoin = chain.getTxOut(tx.txid, 1, true)!;
  };

  const pickPool = (): PoolSlug | null => {
    if (rng.chance(0.04)) return null;
    let roll = rng.int(
      1,
      DEMO_POOLS.reduce((sum, p) => sum + p.weight, 0),
    );
    for (const pool of DEMO_POOLS) {
      roll -= pool.weight;
      if (roll <= 0) return pool.slug;
    }
    return DEMO_POOLS[0].slug;
  };

  // The chain, block by block: transactions go to the mempool, then the next block mines them.
  while (chain.tipHeight() < BLOCKS_BEFORE_REORG) {
    const tip = chain.tipHeight();
    const hour = tip % 24;
    for (const [slug, payoutHour] of Object.entries(PAYOUT_HOUR)) {
      if (hour === payoutHour) poolPayouts(slug as Exclude<PoolSlug, 'ocean'>);
    }
    if (tip > MATURITY && hour === BACKGROUND_HOUR) backgroundActivity();
    if (tip > MATURITY && hour === SWEEP_HOUR) sweepDeposits();
    if (tip === FUND_PARTICIPANTS_AT) fundParticipants();
    if (tip === SUSPECT_CONSOLIDATE_AT) suspectConsolidate();
    if (tip === COINJOIN_AT) coinjoin();
    if (tip > COINJOIN_AT && tip <= COINJOIN_AT + PEEL_HOPS + 1) peel(tip === COINJOIN_AT + PEEL_HOPS + 1);
    // The blocks the reorg removes carry transactions, so the indexer must move them.
    if (tip >= BLOCKS_BEFORE_REORG - REORG_DEPTH) paySomeUser();
    mineBlock(tip < SOLO_PREMINE ? null : pickPool());
  }

  // The reorg: the last REORG_DEPTH blocks are invalidated and a longer branch by other pools wins.
  const oldTip = chain.tipHash();
  const forkHeight = chain.tipHeight() - REORG_DEPTH + 1;
  const replaced = Array.from({ length: REORG_DEPTH }, (_, i) =>
    blockPool.get(chain.hashAtHeight(forkHeight + i)!),
  );
  chain.invalidateBlock(chain.hashAtHeight(forkHeight)!);
  for (let i = 0; i < REORG_BRANCH_LENGTH; i++) {
    const avoid = replaced[i];
    const slug = DEMO_POOLS.map((p) => p.slug).find((s) => s !== avoid && s !== replaced[i - 1])!;
    // A different time as well as a different pool, so no block of the branch repeats an old one.
    mineBlock(slug, 600);
  }
  const newTip = chain.tipHash();

  const flow = {
    consolidationTxid,
    coinjoinTxid,
    coinjoinDenomination: denomination.toString(),
    coinjoinOutputAddress: coinjoinOutput?.address ?? '',
    peelTxids,
    depositAddresses: peelDeposits,
    sweepTxids: sweepTxids.filter((txid) => {
      const found = chain.getTransaction(txid);
      if (!found?.blockhash) return false;
      return peelDeposits.some((address) => spendsAddress(chain, wallet, txid, address));
    }),
  };

  const truth = summarize(chain, wallet, {
    seed,
    kinds,
    blockPool,
    payouts,
    reorg: { depth: REORG_DEPTH, oldTip, newTip },
  });
  const received = new Set(truth.payouts.filter((p) => p.entity === SUSPECT).map((p) => p.recipient));
  const payoutAddresses = suspect.addresses.map((a) => a.address).filter((a) => received.has(a));
  const expected = demoExpectations(chain, (script) => wallet.owns(script)?.address, {
    payouts: truth.payouts
      .filter((p) => p.entity === SUSPECT)
      .map((p) => ({ txid: p.payoutTxid, vout: p.vout, value: BigInt(p.value), recipient: p.recipient })),
    payoutAddresses,
    ...flow,
  });
  const suspectFlow: SuspectFlow = { ...flow, payoutAddresses, ...expected };
  // The exchange's whole wallet (hot address and every deposit) is tagged, so a trace can stop at it.
  const exchangeTags = wallet.addresses({ label: EXCHANGE }).map((a) => ({
    address: a.address,
    label: 'Demo Exchange',
    category: 'exchange',
    source: 'demo exchange attribution',
    confidence: 1,
  }));
  const tags: GroundTruthTag[] = [
    {
      address: expected.sanctionedAddress,
      label: 'Demo suspect',
      category: 'sanctioned',
      source: 'demo sanctions list',
      confidence: 1,
    },
    ...exchangeTags,
  ];
  return { ...truth, suspectFlow, tags };
}

function spendsAddress(chain: DevnetChain, wallet: Wallet, txid: string, address: string): boolean {
  const found = chain.getTransaction(txid)!;
  const owner = wallet.owns(address);
  if (!owner) return false;
  const script = owner.script.toString('hex');
  // The sweep's inputs are deposit outputs; look each prevout up to compare scripts.
  const tx = Transaction.fromBuffer(found.raw);
  return tx.ins.some((input) => {
    const prevTxid = Buffer.from(input.hash).reverse().toString('hex');
    const prev = chain.getTransaction(prevTxid);
    if (!prev) return false;
    const out = Transaction.fromBuffer(prev.raw).outs[input.index];
    return out !== undefined && Buffer.from(out.script).toString('hex') === script;
  });
}

function summarize(
  chain: DevnetChain,
  wallet: Wallet,
  state: {
    seed: string;
    kinds: Map<string, EntityKind>;
    blockPool: Map<string, PoolSlug | null>;
    payouts: PendingPayout[];
    reorg: GroundTruth['reorg'];
  },
): GroundTruth {
  const blocks: GroundTruth['blocks'] = [];
  for (let height = 0; height <= chain.tipHeight(); height++) {
    const hash = chain.hashAtHeight(height)!;
    blocks.push({ height, hash, pool: state.blockPool.get(hash) ?? null });
  }

  const payouts: GroundTruthPayout[] = [];
  const income = new Map<string, GroundTruthIncome & { sats: bigint }>();
  for (const p of state.payouts) {
    const found = chain.getTransaction(p.payoutTxid);
    const block = found?.blockhash === undefined ? undefined : chain.getBlock(found.blockhash);
    if (!block?.active) continue;
    payouts.push({
      height: block.height,
      pool: p.pool,
      payoutTxid: p.payoutTxid,
      vout: p.vout,
      sourceTxid: p.sourceTxid,
      recipient: p.recipient,
      entity: p.entity,
      value: p.value.toString(),
      hop: p.hop,
    });
    const day = new Date(block.time * 1000).toISOString().slice(0, 10);
    const key = `${p.entity}|${p.pool}|${day}`;
    const bucket = income.get(key) ?? {
      entity: p.entity,
      pool: p.pool,
      day,
      value: '0',
      payoutCount: 0,
      sats: 0n,
    };
    bucket.sats += p.value;
    bucket.payoutCount += 1;
    income.set(key, bucket);
  }
  payouts.sort((a, b) => a.height - b.height || a.payoutTxid.localeCompare(b.payoutTxid) || a.vout - b.vout);

  return {
    scenario: 'demo',
    seed: state.seed,
    tip: { height: chain.tipHeight(), hash: chain.tipHash() },
    pools: DEMO_POOLS.map(({ slug, name, tag }) => ({ slug, name, tag })),
    entities: [...state.kinds].map(([name, kind]) => ({
      name,
      kind,
      addresses: wallet.addresses({ label: name }).map((a) => a.address),
    })),
    blocks,
    payouts,
    income: [...income.values()]
      .map(({ sats, ...bucket }) => ({ ...bucket, value: sats.toString() }))
      .sort(
        (a, b) =>
          a.entity.localeCompare(b.entity) || a.pool.localeCompare(b.pool) || a.day.localeCompare(b.day),
      ),
    reorg: state.reorg,
    // Filled in by the caller once the payouts are known.
    suspectFlow: null,
    tags: [],
  };
}
