import { createHash } from 'node:crypto';
import type { Transaction } from 'bitcoinjs-lib';
import { blockSubsidy, buildCoinbase, witnessCommitment, writeVarInt } from '../block/block-builder.js';
import {
  merkleRoot,
  REGTEST_BITS,
  serializeHeader,
  sha256d,
  solveHeader,
  toDisplayHex,
} from '../block/index.js';
import type { DevnetChain } from '../chain/chain.types.js';
import { DEMO_POOLS } from './demo.scenario.js';
import type { GroundTruth } from './ground-truth.types.js';
import { ScenarioError } from './scenario.errors.js';
import { createSeededRandom, type SeededRandom } from './seeded-random.js';

/**
 * The `mainnet-like` scenario: blocks shaped like 2024 mainnet blocks, for ingest benchmarks.
 *
 * Heights 1..`PRELUDE_BLOCKS` are funding blocks whose coinbases pay many outputs each;
 * every later block holds about `txsPerBlock` transactions that spend earlier outputs (coinbase
 * outputs once mature, outputs of earlier blocks, and outputs created earlier in the same block),
 * so every prevout resolves in an index that holds the whole chain.
 *
 * The shape follows 2024 mainnet as charted by transactionfee.info ("Inputs per transaction",
 * "Outputs per transaction", "Output types" and "Input types" for 2024) and mempool.space block
 * pages (≈3,000 txs per block), read approximately: inputs per tx average ≈2.3 (two thirds have
 * one, a long tail to hundreds), outputs ≈2.7 (most have two: payment and change, batch payouts
 * form the tail); outputs are ≈55% P2WPKH, ≈18% P2TR, ≈10% P2PKH, ≈8% P2SH, ≈3% P2WSH and ≈4%
 * OP_RETURN, and about one output in ten pays an address seen before.
 *
 * Transactions are serialized directly with well-formed but dummy scriptSigs and witnesses (a DER
 * signature shape, a compressed key shape, a 2-of-3 multisig witness script): the devnet checks
 * prevouts, amounts and maturity but not scripts, and signing hundreds of thousands of
 * transactions would dominate the run. Same seed and sizes, same chain.
 */

/** Funding blocks before the first mainnet-like block; coinbase maturity is 100. */
export const PRELUDE_BLOCKS = 101;
/**
 * Outputs of the first two funding coinbases (mature for the first mainnet-like block) and of the
 * others (one matures per block): after the first block, each block creates more coins than it spends.
 */
const PRELUDE_OUTPUTS_FIRST = 5000;
const PRELUDE_OUTPUTS_REST = 100;
/** 2024-01-01T00:00:00Z; block `h` is stamped START_TIME + 600·h. */
const START_TIME = Date.UTC(2024, 0, 1) / 1000;
const BLOCK_SPACING = 600;
const MATURITY = 100;
const DUST = 546n;
/** Inputs drawn from the newest coins (recent spends, chains inside a block) rather than any coin. */
const RECENT_SHARE = 0.5;
const RECENT_WINDOW = 20_000;
const REUSE_SHARE = 0.1;
const REUSE_RING = 4096;
/** Share of transactions carrying one OP_RETURN output (≈4% of all outputs at ≈2.7 per tx). */
const OP_RETURN_SHARE = 0.1;

/** Output script kinds the generator writes; P2SH outputs are spent as P2SH-P2WPKH. */
export type MainnetLikeScriptKind = 'p2wpkh' | 'p2tr' | 'p2pkh' | 'p2sh' | 'p2wsh' | 'nulldata';

/** Spendable kinds and their weights (OP_RETURN is added per tx, see `OP_RETURN_SHARE`). */
const OUTPUT_MIX: ReadonlyArray<readonly [Exclude<MainnetLikeScriptKind, 'nulldata'>, number]> = [
  ['p2wpkh', 0.575],
  ['p2tr', 0.19],
  ['p2pkh', 0.105],
  ['p2sh', 0.0975],
  ['p2wsh', 0.0325],
];

/** [upper bound, cumulative probability] of inputs per tx: mean ≈2.3, tail to 120. */
const INPUT_COUNTS: ReadonlyArray<readonly [number, number, number]> = [
  [1, 1, 0.664],
  [2, 2, 0.864],
  [3, 3, 0.914],
  [4, 10, 0.974],
  [11, 40, 0.996],
  [41, 120, 1],
];
/** Outputs per tx (before the optional OP_RETURN): mean ≈2.6, tail to 200. */
const OUTPUT_COUNTS: ReadonlyArray<readonly [number, number, number]> = [
  [1, 1, 0.24],
  [2, 2, 0.87],
  [3, 3, 0.92],
  [4, 10, 0.977],
  [11, 40, 0.997],
  [41, 200, 1],
];

export interface MainnetLikeOptions {
  seed: string;
  /** Mainnet-like blocks after the funding prelude. @defaultValue 200 */
  blocks?: number;
  /** Transactions per mainnet-like block besides the coinbase. @defaultValue 3000 */
  txsPerBlock?: number;
}

/** What was generated, for checking the mix and for benchmarks to report against. */
export interface MainnetLikeStats {
  /** Heights 1..preludeHeight are funding blocks; mainnet-like blocks follow. */
  preludeHeight: number;
  blocks: number;
  /** Non-coinbase transactions of the mainnet-like blocks. */
  txs: number;
  inputs: number;
  outputs: number;
  outputKinds: Record<MainnetLikeScriptKind, number>;
  /** Inputs spending an output created earlier in the same block. */
  sameBlockSpends: number;
  /** Outputs paying a script that an earlier output already paid. */
  reusedOutputs: number;
  /** Serialized bytes of the mainnet-like blocks. */
  bytes: number;
  /** Time spent building transactions and blocks. */
  generateMs: number;
  /** Time the chain spent accepting them (`submitBlock`: parse, checks, UTXO updates). */
  acceptMs: number;
}

/** A generator that can keep mining mainnet-like blocks after the first ones (latency benchmarks). */
export interface MainnetLikeGenerator {
  /** Builds the next mainnet-like block on the tip without submitting it. */
  buildNext(): { raw: Buffer; hash: string; height: number; txCount: number };
  /** Submits a block from `buildNext`; throws `ScenarioError` when the chain refuses it. */
  submit(raw: Buffer): void;
  /** Builds and submits the next block; returns its hash. */
  mineNext(): string;
  stats(): MainnetLikeStats;
  /** Slug of the pool whose tag the block at `height` carries (null for the prelude). */
  poolAt(height: number): string | null;
}

interface Coin {
  /** Internal-order txid. */
  txid: Buffer;
  vout: number;
  value: bigint;
  kind: Exclude<MainnetLikeScriptKind, 'nulldata'>;
  height: number;
}

const SIG = Buffer.concat([
  Buffer.from([0x30, 0x45, 0x02, 0x21, 0x00]),
  Buffer.alloc(32, 0x5a),
  Buffer.from([0x02, 0x20]),
  Buffer.alloc(32, 0x3c),
  Buffer.from([0x01]),
]);
const SCHNORR_SIG = Buffer.alloc(64, 0x6b);
const PUBKEY = Buffer.concat([Buffer.from([0x02]), Buffer.alloc(32, 0x79)]);
/** `OP_2 <key> <key> <key> OP_3 OP_CHECKMULTISIG`. */
const MULTISIG_SCRIPT = Buffer.concat([
  Buffer.from([0x52]),
  ...[0x11, 0x22, 0x33].map((b) => Buffer.concat([Buffer.from([0x21, 0x02]), Buffer.alloc(32, b)])),
  Buffer.from([0x53, 0xae]),
]);
const P2PKH_SCRIPT_SIG = Buffer.concat([
  Buffer.from([SIG.length]),
  SIG,
  Buffer.from([PUBKEY.length]),
  PUBKEY,
]);

/** Estimated vbytes per input by the kind of output it spends, for the fee. */
const INPUT_VBYTES: Record<Coin['kind'], number> = { p2wpkh: 68, p2tr: 58, p2pkh: 148, p2sh: 91, p2wsh: 105 };
const OUTPUT_VBYTES: Record<MainnetLikeScriptKind, number> = {
  p2wpkh: 31,
  p2tr: 43,
  p2pkh: 34,
  p2sh: 32,
  p2wsh: 43,
  nulldata: 50,
};

/** A growable byte writer for one transaction at a time. */
function createWriter() {
  let buf = Buffer.allocUnsafe(1 << 20);
  let pos = 0;
  const ensure = (n: number) => {
    if (pos + n <= buf.length) return;
    const next = Buffer.allocUnsafe(Math.max(buf.length * 2, pos + n));
    buf.copy(next, 0, 0, pos);
    buf = next;
  };
  return {
    reset: () => {
      pos = 0;
    },
    get pos() {
      return pos;
    },
    get buf() {
      return buf;
    },
    u8(v: number) {
      ensure(1);
      buf[pos++] = v;
    },
    u32(v: number) {
      ensure(4);
      buf.writeUInt32LE(v >>> 0, pos);
      pos += 4;
    },
    u64(v: bigint) {
      ensure(8);
      buf.writeBigUInt64LE(v, pos);
      pos += 8;
    },
    varint(n: number) {
      const b = writeVarInt(n);
      ensure(b.length);
      b.copy(buf, pos);
      pos += b.length;
    },
    bytes(b: Uint8Array) {
      ensure(b.length);
      buf.set(b, pos);
      pos += b.length;
    },
    /** A length-prefixed byte string (scripts, witness items). */
    varBytes(b: Uint8Array) {
      this.varint(b.length);
      this.bytes(b);
    },
  };
}

function randomBytes(rng: SeededRandom, n: number): Buffer {
  const out = Buffer.allocUnsafe(n);
  for (let i = 0; i < n; i += 4) {
    const word = Math.floor(rng.next() * 0x100000000);
    for (let j = 0; j < 4 && i + j < n; j++) out[i + j] = (word >>> (8 * j)) & 0xff;
  }
  return out;
}

function scriptFor(kind: MainnetLikeScriptKind, rng: SeededRandom): Buffer {
  switch (kind) {
    case 'p2wpkh':
      return Buffer.concat([Buffer.from([0x00, 0x14]), randomBytes(rng, 20)]);
    case 'p2tr':
      return Buffer.concat([Buffer.from([0x51, 0x20]), randomBytes(rng, 32)]);
    case 'p2pkh':
      return Buffer.concat([
        Buffer.from([0x76, 0xa9, 0x14]),
        randomBytes(rng, 20),
        Buffer.from([0x88, 0xac]),
      ]);
    case 'p2sh':
      return Buffer.concat([Buffer.from([0xa9, 0x14]), randomBytes(rng, 20), Buffer.from([0x87])]);
    case 'p2wsh':
      return Buffer.concat([Buffer.from([0x00, 0x20]), randomBytes(rng, 32)]);
    case 'nulldata': {
      const len = rng.int(8, 75);
      return Buffer.concat([Buffer.from([0x6a, len]), randomBytes(rng, len)]);
    }
  }
}

function countFrom(table: ReadonlyArray<readonly [number, number, number]>, rng: SeededRandom): number {
  const u = rng.next();
  for (const [lo, hi, cumulative] of table) {
    // Inside a bucket small counts are likelier, as on mainnet (a skew towards `lo`).
    if (u < cumulative) return lo + Math.floor((hi - lo + 1) * rng.next() ** 2);
  }
  return 1;
}

function pickKind(rng: SeededRandom): Coin['kind'] {
  let u = rng.next();
  for (const [kind, weight] of OUTPUT_MIX) {
    if (u < weight) return kind;
    u -= weight;
  }
  return 'p2wpkh';
}

/** Creates the generator; mines the funding prelude on `chain` (which must hold only genesis). */
export function createMainnetLikeGenerator(
  chain: DevnetChain,
  options: Omit<MainnetLikeOptions, 'blocks'>,
): MainnetLikeGenerator {
  if (chain.tipHeight() !== 0) {
    throw new ScenarioError('the mainnet-like scenario needs a chain with only its genesis block');
  }
  const txsPerBlock = options.txsPerBlock ?? 3000;
  const rng = createSeededRandom(`mainnet-like:${options.seed}`);
  const writer = createWriter();
  /** Spendable coins; removal swaps in the last one, so the tail stays roughly the newest. */
  const pool: Coin[] = [];
  const maturing = new Map<number, Coin[]>();
  const reuse = new Map<Coin['kind'], Buffer[]>();
  const poolByHeight = new Map<number, string>();
  const stats: MainnetLikeStats = {
    preludeHeight: PRELUDE_BLOCKS,
    blocks: 0,
    txs: 0,
    inputs: 0,
    outputs: 0,
    outputKinds: { p2wpkh: 0, p2tr: 0, p2pkh: 0, p2sh: 0, p2wsh: 0, nulldata: 0 },
    sameBlockSpends: 0,
    reusedOutputs: 0,
    bytes: 0,
    generateMs: 0,
    acceptMs: 0,
  };

  const newScript = (kind: MainnetLikeScriptKind, count: boolean): Buffer => {
    if (kind === 'nulldata') return scriptFor(kind, rng);
    const ring = reuse.get(kind) ?? [];
    reuse.set(kind, ring);
    if (ring.length > 0 && rng.chance(REUSE_SHARE)) {
      if (count) stats.reusedOutputs += 1;
      return ring[rng.int(0, ring.length - 1)]!;
    }
    const script = scriptFor(kind, rng);
    if (ring.length < REUSE_RING) ring.push(script);
    else ring[rng.int(0, REUSE_RING - 1)] = script;
    return script;
  };

  /**
   * Takes one coin: often among the newest. `candidates` > 1 keeps the largest of that many draws,
   * as a batch payer spends its big coins (else batches would starve on small ones).
   */
  const takeCoin = (candidates: number): Coin | undefined => {
    if (pool.length === 0) return undefined;
    const recent = rng.chance(RECENT_SHARE);
    const lo = recent ? Math.max(0, pool.length - RECENT_WINDOW) : 0;
    let i = rng.int(lo, pool.length - 1);
    for (let c = 1; c < candidates; c++) {
      const j = rng.int(lo, pool.length - 1);
      if (pool[j]!.value > pool[i]!.value) i = j;
    }
    const coin = pool[i]!;
    pool[i] = pool[pool.length - 1]!;
    pool.pop();
    return coin;
  };

  const tipTime = (height: number) => START_TIME + height * BLOCK_SPACING;

  const assemble = (
    height: number,
    coinbase: Transaction,
    txs: Buffer[],
    txidsInternal: Buffer[],
  ): { raw: Buffer; hash: string } => {
    const allTxids = [Buffer.from(coinbase.getHash()), ...txidsInternal];
    const header = serializeHeader({
      version: 0x20000000,
      prevHash: Buffer.from(chain.tipHash(), 'hex').reverse(),
      merkleRoot: merkleRoot(allTxids),
      time: tipTime(height),
      bits: REGTEST_BITS,
      nonce: 0,
    });
    solveHeader(header, REGTEST_BITS);
    const raw = Buffer.concat([
      header,
      writeVarInt(txs.length + 1),
      Buffer.from(coinbase.toBuffer()),
      ...txs,
    ]);
    return { raw, hash: toDisplayHex(sha256d(header)) };
  };

  const submit = (raw: Buffer) => {
    const started = performance.now();
    const reason = chain.submitBlock(raw);
    stats.acceptMs += performance.now() - started;
    if (reason !== null) throw new ScenarioError(`the chain refused a mainnet-like block: ${reason}`);
  };

  // The funding prelude: coinbase-only blocks paying many outputs of the usual kinds.
  for (let height = 1; height <= PRELUDE_BLOCKS; height++) {
    const count = height <= 2 ? PRELUDE_OUTPUTS_FIRST : PRELUDE_OUTPUTS_REST;
    const value = blockSubsidy(height) / BigInt(count);
    const outputs = Array.from({ length: count }, () => {
      const kind = pickKind(rng);
      return { kind, script: newScript(kind, false), value };
    });
    const coinbase = buildCoinbase({ height, tag: 'mainnet-like funding', outputs });
    const txid = Buffer.from(coinbase.getHash());
    maturing.set(
      height + MATURITY,
      outputs.map((o, vout) => ({ txid, vout, value: o.value, kind: o.kind, height })),
    );
    submit(assemble(height, coinbase, [], []).raw);
  }

  function buildNext(): { raw: Buffer; hash: string; height: number; txCount: number } {
    const started = performance.now();
    const height = chain.tipHeight() + 1;
    for (const coin of maturing.get(height) ?? []) pool.push(coin);
    maturing.delete(height);

    const txs: Buffer[] = [];
    const txids: Buffer[] = [];
    const wtxids: Buffer[] = [];
    let fees = 0n;
    for (let t = 0; t < txsPerBlock; t++) {
      const kinds: MainnetLikeScriptKind[] = [];
      const wantedOutputs = countFrom(OUTPUT_COUNTS, rng);
      for (let i = 0; i < wantedOutputs; i++) kinds.push(pickKind(rng));
      const inputs: Coin[] = [];
      const wanted = countFrom(INPUT_COUNTS, rng);
      const candidates = wantedOutputs > 3 ? 16 : 1;
      for (let i = 0; i < wanted; i++) {
        const coin = takeCoin(candidates);
        if (coin === undefined) break;
        inputs.push(coin);
      }
      if (inputs.length === 0) break;
      const totalIn = inputs.reduce((sum, c) => sum + c.value, 0n);

      let vbytes = 11 + inputs.reduce((n, c) => n + INPUT_VBYTES[c.kind], 0);
      vbytes += kinds.reduce((n, k) => n + OUTPUT_VBYTES[k], 0);
      let fee = BigInt(rng.int(1, 40) * vbytes);
      if (fee > totalIn / 4n) fee = totalIn / 4n;
      while (kinds.length > 1 && totalIn - fee < 2n * DUST * BigInt(kinds.length)) kinds.pop();
      if (totalIn - fee < DUST) fee = totalIn - DUST;
      const values = splitValue(totalIn - fee, kinds.length, rng);
      const outputs = kinds.map((kind, i) => ({ kind, value: values[i]!, script: newScript(kind, true) }));
      if (rng.chance(OP_RETURN_SHARE)) {
        // Protocols put their OP_RETURN first or last; either is common.
        const opReturn = { kind: 'nulldata' as const, value: 0n, script: newScript('nulldata', true) };
        if (rng.chance(0.5)) outputs.unshift(opReturn);
        else outputs.push(opReturn);
      }

      const { raw, txid, wtxid } = serializeTx(writer, inputs, outputs, rng, height);
      txs.push(raw);
      txids.push(txid);
      wtxids.push(wtxid);
      fees += fee;
      stats.txs += 1;
      stats.inputs += inputs.length;
      stats.outputs += outputs.length;
      for (const c of inputs) if (c.height === height) stats.sameBlockSpends += 1;
      outputs.forEach((o, vout) => {
        stats.outputKinds[o.kind] += 1;
        if (o.kind !== 'nulldata') pool.push({ txid, vout, value: o.value, kind: o.kind, height });
      });
    }

    const pool0 = DEMO_POOLS[rng.int(0, DEMO_POOLS.length - 1)]!;
    poolByHeight.set(height, pool0.slug);
    const rewardKind = pickKind(rng);
    const reward = blockSubsidy(height) + fees;
    const coinbase = buildCoinbase({
      height,
      tag: pool0.tag,
      outputs: [{ script: newScript(rewardKind, false), value: reward }],
      witnessCommitment: witnessCommitment(wtxids),
    });
    const { raw, hash } = assemble(height, coinbase, txs, txids);
    const coinbaseTxid = Buffer.from(coinbase.getHash());
    const list = maturing.get(height + MATURITY) ?? [];
    list.push({ txid: coinbaseTxid, vout: 0, value: reward, kind: rewardKind, height });
    maturing.set(height + MATURITY, list);
    stats.blocks += 1;
    stats.bytes += raw.length;
    stats.generateMs += performance.now() - started;
    return { raw, hash, height, txCount: txs.length + 1 };
  }

  return {
    buildNext,
    submit,
    mineNext() {
      const block = buildNext();
      submit(block.raw);
      return block.hash;
    },
    stats: () => ({ ...stats, outputKinds: { ...stats.outputKinds } }),
    poolAt: (height) => poolByHeight.get(height) ?? null,
  };
}

/**
 * Splits `total` into `k` values: half evenly, half by random weights (payment and change differ),
 * so that repeated splitting does not grind coins down to dust.
 */
function splitValue(total: bigint, k: number, rng: SeededRandom): bigint[] {
  if (k === 1) return [total];
  const weights = Array.from({ length: k }, () => BigInt(Math.floor(-Math.log(1 - rng.next()) * 1e6) + 1));
  const sum = weights.reduce((a, b) => a + b, 0n);
  const even = total / 2n / BigInt(k);
  const spare = total - even * BigInt(k);
  let left = total;
  return weights.map((w, i) => {
    const value = i === k - 1 ? left : even + (spare * w) / sum;
    left -= value;
    return value;
  });
}

/** Serializes one tx (segwit form when any input has a witness); txid and wtxid in internal order. */
function serializeTx(
  w: ReturnType<typeof createWriter>,
  inputs: Coin[],
  outputs: Array<{ script: Buffer; value: bigint }>,
  rng: SeededRandom,
  height: number,
): { raw: Buffer; txid: Buffer; wtxid: Buffer } {
  const segwit = inputs.some((c) => c.kind !== 'p2pkh');
  const version = rng.chance(0.85) ? 2 : 1;
  const sequence = rng.chance(0.7) ? 0xfffffffd : 0xffffffff;
  const locktime = rng.chance(0.5) ? height - 1 : 0;
  w.reset();
  w.u32(version);
  if (segwit) {
    w.u8(0x00);
    w.u8(0x01);
  }
  const bodyStart = w.pos;
  w.varint(inputs.length);
  for (const coin of inputs) {
    w.bytes(coin.txid);
    w.u32(coin.vout);
    if (coin.kind === 'p2pkh') w.varBytes(P2PKH_SCRIPT_SIG);
    else if (coin.kind === 'p2sh') {
      // P2SH-P2WPKH: the scriptSig pushes the `0014<hash>` redeem script.
      w.varint(23);
      w.u8(22);
      w.u8(0x00);
      w.u8(0x14);
      w.bytes(coin.txid.subarray(0, 20));
    } else w.varint(0);
    w.u32(sequence);
  }
  w.varint(outputs.length);
  for (const out of outputs) {
    w.u64(out.value);
    w.varBytes(out.script);
  }
  const bodyEnd = w.pos;
  if (segwit) {
    for (const coin of inputs) {
      switch (coin.kind) {
        case 'p2pkh':
          w.varint(0);
          break;
        case 'p2tr':
          w.varint(1);
          w.varBytes(SCHNORR_SIG);
          break;
        case 'p2wsh':
          w.varint(4);
          w.varint(0);
          w.varBytes(SIG);
          w.varBytes(SIG);
          w.varBytes(MULTISIG_SCRIPT);
          break;
        default:
          w.varint(2);
          w.varBytes(SIG);
          w.varBytes(PUBKEY);
      }
    }
  }
  const witnessEnd = w.pos;
  w.u32(locktime);
  const raw = Buffer.from(w.buf.subarray(0, w.pos));
  const stripped = createHash('sha256')
    .update(raw.subarray(0, 4))
    .update(raw.subarray(bodyStart, bodyEnd))
    .update(raw.subarray(witnessEnd, witnessEnd + 4))
    .digest();
  const txid = createHash('sha256').update(stripped).digest();
  return { raw, txid, wtxid: segwit ? sha256d(raw) : txid };
}

/**
 * Builds the prelude and `blocks` mainnet-like blocks on `chain` (genesis only). The ground truth
 * lists the blocks and the pool whose tag each coinbase carries; there are no payouts or entities.
 */
export function buildMainnetLike(
  chain: DevnetChain,
  options: MainnetLikeOptions,
): { truth: GroundTruth; stats: MainnetLikeStats } {
  const generator = createMainnetLikeGenerator(chain, options);
  const blocks = options.blocks ?? 200;
  for (let i = 0; i < blocks; i++) generator.mineNext();
  const truthBlocks: GroundTruth['blocks'] = [];
  for (let height = 0; height <= chain.tipHeight(); height++) {
    truthBlocks.push({ height, hash: chain.hashAtHeight(height)!, pool: generator.poolAt(height) });
  }
  return {
    truth: {
      scenario: 'mainnet-like',
      seed: options.seed,
      tip: { height: chain.tipHeight(), hash: chain.tipHash() },
      pools: DEMO_POOLS.map((p) => ({ slug: p.slug, name: p.name, tag: p.tag })),
      entities: [],
      blocks: truthBlocks,
      payouts: [],
      income: [],
      reorg: null,
      suspectFlow: null,
      tags: [],
    },
    stats: generator.stats(),
  };
}
