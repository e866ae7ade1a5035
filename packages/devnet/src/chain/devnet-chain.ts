/**
 * In-process regtest node state: block index with side branches, the active chain chosen by most
 * work (every regtest block has equal work, so the longest valid chain; ties go to the first seen),
 * the UTXO set with per-block undo data, a tx index of the active chain and a mempool.
 *
 * Invariants:
 * - the active chain is a prefix-closed path from the regtest genesis; its UTXO set is exactly the
 *   outputs created and not spent by its blocks (OP_RETURN outputs and the genesis coinbase are
 *   never added, as in Core);
 * - a reorg emits `disconnect` from the old tip down to (not including) the fork point, then
 *   `connect` upward, then the mempool changes (`mempool-remove` before `mempool-add`);
 * - every mempool tx spends only active-chain UTXOs or outputs of earlier mempool txs, with no two
 *   spending the same outpoint (no replacement).
 *
 * Scripts and signatures are not verified when blocks or txs are accepted (speed); everything else
 * Core checks for regtest consensus (prevouts, maturity, amounts, coinbase value, BIP34, witness
 * commitment, merkle root, PoW, bits, time) is.
 */
import { address as bAddress, networks, Transaction } from 'bitcoinjs-lib';
import { blockSubsidy, buildBlock, type CoinbaseOutput, outputScript } from '../block/block-builder.js';
import { REGTEST_BITS } from '../block/block-hash.js';
import { REGTEST_GENESIS_HASH, regtestGenesisBlock } from '../block/regtest-genesis.js';
import {
  checkBlock,
  checkBlockContext,
  checkTransaction,
  type ParsedBlock,
  parseBlock,
} from './block-validation.js';
import {
  ChainError,
  type ChainEvent,
  type DevnetChain,
  type MempoolEntryInfo,
  type MineOptions,
  type StoredBlock,
  type Utxo,
  type UtxoSetInfo,
} from './chain.types.js';

export const COINBASE_MATURITY = 100;
/** Core v28's default `-minrelaytxfee` (1000 sat/kvB), in sat/vB. */
export const MIN_RELAY_FEE_RATE = 1;
/** Core's `MAX_FUTURE_BLOCK_TIME`: a header may be at most two hours ahead of the clock. */
const MAX_FUTURE_BLOCK_TIME = 2 * 60 * 60;

/** bitcoind's RPC error codes used by the chain. */
export const RpcCode = {
  invalidAddressOrKey: -5,
  invalidParameter: -8,
  deserialization: -22,
  verify: -25,
  verifyRejected: -26,
  verifyAlreadyInChain: -27,
  misc: -1,
} as const;

export interface DevnetChainOptions {
  /** The real clock in unix seconds; mock time overrides it. @defaultValue Date.now() / 1000 */
  now?: () => number;
}

interface Coin {
  value: bigint;
  script: Buffer;
  height: number;
  coinbase: boolean;
}

type Status = 'valid' | 'invalid' | 'failed-child';

interface Entry {
  block: StoredBlock;
  prev: Entry | undefined;
  /** Arrival order: the tie-break between chains of equal work. */
  seq: number;
  status: Status;
  /** Core's reason when connecting this block failed. */
  failReason: string | undefined;
  everConnected: boolean;
  children: Entry[];
  txs: Transaction[];
  txRaw: Buffer[];
  /** Coins the block spent, in spend order; present while connected. */
  undo: Array<[string, Coin]> | undefined;
}

interface MempoolEntry {
  txid: string;
  raw: Buffer;
  tx: Transaction;
  fee: bigint;
  time: number;
  height: number;
  spends: string[];
}

const outpointKey = (txid: string, vout: number) => `${txid}:${vout}`;
const prevoutKey = (input: Transaction['ins'][number]) =>
  outpointKey(Buffer.from(input.hash).reverse().toString('hex'), input.index);

/** Core's `IsUnspendable`: never enters the UTXO set. */
const isUnspendable = (script: Uint8Array) =>
  (script.length > 0 && script[0] === 0x6a) || script.length > 10_000;

export function createDevnetChain(options: DevnetChainOptions = {}): DevnetChain {
  const realNow = options.now ?? (() => Math.floor(Date.now() / 1000));
  let mockTime = 0;
  const entries = new Map<string, Entry>();
  const active: Entry[] = [];
  const utxos = new Map<string, Coin>();
  const byScript = new Map<string, Set<string>>();
  let utxoTotal = 0n;
  const txIndex = new Map<string, { raw: Buffer; blockhash: string }>();
  const mempool = new Map<string, MempoolEntry>();
  const mempoolSpends = new Map<string, string>();
  const listeners = new Set<(event: ChainEvent) => void>();
  let nextSeq = 0;

  const now = () => (mockTime > 0 ? mockTime : realNow());
  const tip = () => active[active.length - 1]!;
  const snapshot = (entry: Entry): StoredBlock => ({ ...entry.block, txids: [...entry.block.txids] });

  function emit(event: ChainEvent): void {
    for (const listener of listeners) {
      try {
        listener(event);
      } catch (err) {
        // A subscriber's bug must not leave the chain half-reorganized; surface it out of band.
        queueMicrotask(() => {
          throw err;
        });
      }
    }
  }

  function addCoin(key: string, coin: Coin): void {
    utxos.set(key, coin);
    utxoTotal += coin.value;
    const s = coin.script.toString('hex');
    let set = byScript.get(s);
    if (!set) {
      set = new Set();
      byScript.set(s, set);
    }
    set.add(key);
  }

  function removeCoin(key: string): Coin | undefined {
    const coin = utxos.get(key);
    if (!coin) return undefined;
    utxos.delete(key);
    utxoTotal -= coin.value;
    const s = coin.script.toString('hex');
    const set = byScript.get(s);
    set?.delete(key);
    if (set?.size === 0) byScript.delete(s);
    return coin;
  }

  function medianTimePast(entry: Entry | undefined): number {
    const times: number[] = [];
    for (let e = entry; e && times.length < 11; e = e.prev) times.push(e.block.time);
    times.sort((a, b) => a - b);
    return times[Math.floor(times.length / 2)] ?? 0;
  }

  function makeEntry(parsed: ParsedBlock, raw: Buffer, prev: Entry | undefined): Entry {
    const height = prev ? prev.block.height + 1 : 0;
    const entry: Entry = {
      block: {
        hash: parsed.hash,
        height,
        previousblockhash: parsed.prevHash,
        time: parsed.time,
        bits: parsed.bits,
        nonce: parsed.nonce,
        version: parsed.version,
        merkleroot: parsed.merkleRoot,
        raw,
        txids: parsed.txids,
        active: false,
      },
      prev,
      seq: nextSeq++,
      status: 'valid',
      failReason: undefined,
      everConnected: false,
      children: [],
      txs: parsed.txs,
      txRaw: parsed.txRaw,
      undo: undefined,
    };
    entries.set(parsed.hash, entry);
    prev?.children.push(entry);
    return entry;
  }

  /** ConnectBlock: applies the block to the UTXO set or returns Core's reason, leaving no trace. */
  function connectTip(entry: Entry): string | null {
    const height = entry.block.height;
    const spent: Array<[string, Coin]> = [];
    const added: string[] = [];
    const rollback = () => {
      for (const key of added.reverse()) removeCoin(key);
      for (const [key, coin] of spent.reverse()) addCoin(key, coin);
    };
    const addOutputs = (tx: Transaction, txid: string, coinbase: boolean) => {
      tx.outs.forEach((out, vout) => {
        if (isUnspendable(out.script)) return;
        const key = outpointKey(txid, vout);
        addCoin(key, { value: out.value, script: Buffer.from(out.script), height, coinbase });
        added.push(key);
      });
    };
    let fees = 0n;
    for (let i = 1; i < entry.txs.length; i++) {
      const tx = entry.txs[i]!;
      let valueIn = 0n;
      for (const input of tx.ins) {
        const key = prevoutKey(input);
        const coin = removeCoin(key);
        if (!coin) {
          rollback();
          return 'bad-txns-inputs-missingorspent';
        }
        spent.push([key, coin]);
        if (coin.coinbase && height - coin.height < COINBASE_MATURITY) {
          rollback();
          return 'bad-txns-premature-spend-of-coinbase';
        }
        valueIn += coin.value;
      }
      const valueOut = tx.outs.reduce((sum, out) => sum + out.value, 0n);
      if (valueIn < valueOut) {
        rollback();
        return 'bad-txns-in-belowout';
      }
      fees += valueIn - valueOut;
      addOutputs(tx, entry.block.txids[i]!, false);
    }
    const coinbase = entry.txs[0]!;
    const reward = coinbase.outs.reduce((sum, out) => sum + out.value, 0n);
    if (reward > blockSubsidy(height) + fees) {
      rollback();
      return 'bad-cb-amount';
    }
    // The genesis coinbase is not spendable in Core and never enters the UTXO set.
    if (height > 0) addOutputs(coinbase, entry.block.txids[0]!, true);
    entry.undo = spent;
    entry.everConnected = true;
    entry.block.active = true;
    active.push(entry);
    for (let i = height > 0 ? 0 : 1; i < entry.txs.length; i++) {
      txIndex.set(entry.block.txids[i]!, { raw: entry.txRaw[i]!, blockhash: entry.block.hash });
    }
    emit({ type: 'connect', block: snapshot(entry) });
    return null;
  }

  /** DisconnectBlock of the tip; returns its non-coinbase txs for the mempool. */
  function disconnectTip(): Array<{ raw: Buffer; tx: Transaction; txid: string }> {
    const entry = active.pop()!;
    for (let i = entry.txs.length - 1; i >= 0; i--) {
      const txid = entry.block.txids[i]!;
      for (let vout = 0; vout < entry.txs[i]!.outs.length; vout++) removeCoin(outpointKey(txid, vout));
      txIndex.delete(txid);
    }
    // A coin both created and spent inside this block must not come back.
    const own = new Set(entry.block.txids);
    for (const [key, coin] of (entry.undo ?? []).reverse()) {
      if (!own.has(key.slice(0, key.indexOf(':')))) addCoin(key, coin);
    }
    entry.undo = undefined;
    entry.block.active = false;
    emit({ type: 'disconnect', block: snapshot(entry) });
    return entry.txs
      .slice(1)
      .map((tx, i) => ({ raw: entry.txRaw[i + 1]!, tx, txid: entry.block.txids[i + 1]! }));
  }

  function markInvalid(entry: Entry): void {
    entry.status = 'invalid';
    const stack = [...entry.children];
    while (stack.length > 0) {
      const e = stack.pop()!;
      e.status = 'failed-child';
      stack.push(...e.children);
    }
  }

  function findBest(): Entry {
    let best = tip();
    for (const e of entries.values()) {
      if (e.status !== 'valid') continue;
      if (e.block.height > best.block.height || (e.block.height === best.block.height && e.seq < best.seq)) {
        best = e;
      }
    }
    return best;
  }

  /** ActivateBestChain: reorganizes to the best valid candidate, retrying when a block fails. */
  /** `disconnected` holds txs of blocks already disconnected, oldest block first (parents before children). */
  function activateBestChain(disconnected: Array<{ raw: Buffer; tx: Transaction; txid: string }> = []): void {
    for (;;) {
      const best = findBest();
      if (best === tip()) break;
      const path: Entry[] = [];
      let fork = best;
      while (!fork.block.active) {
        path.push(fork);
        fork = fork.prev!;
      }
      while (tip() !== fork) disconnected.unshift(...disconnectTip());
      let failed = false;
      for (const e of path.reverse()) {
        const reason = connectTip(e);
        if (reason !== null) {
          markInvalid(e);
          e.failReason = reason;
          failed = true;
          break;
        }
      }
      if (!failed) break;
    }
    refreshMempool(disconnected);
  }

  function mempoolCoin(key: string): Coin | undefined {
    const sep = key.indexOf(':');
    const parent = mempool.get(key.slice(0, sep));
    const out = parent?.tx.outs[Number(key.slice(sep + 1))];
    if (!parent || !out || isUnspendable(out.script)) return undefined;
    return { value: out.value, script: Buffer.from(out.script), height: Number.NaN, coinbase: false };
  }

  /** AcceptToMemoryPool without script checks; throws ChainError with Core's code and reason. */
  function acceptToMempool(raw: Buffer, tx: Transaction, txid: string, announce: boolean): void {
    if (mempool.has(txid)) return;
    if (tx.isCoinbase()) throw new ChainError(RpcCode.verifyRejected, 'coinbase');
    const reason = checkTransaction(tx);
    if (reason) throw new ChainError(RpcCode.verifyRejected, reason);
    for (let vout = 0; vout < tx.outs.length; vout++) {
      if (utxos.has(outpointKey(txid, vout))) {
        throw new ChainError(RpcCode.verifyAlreadyInChain, 'Transaction outputs already in utxo set');
      }
    }
    const spendHeight = tip().block.height + 1;
    let valueIn = 0n;
    const spends: string[] = [];
    for (const input of tx.ins) {
      const key = prevoutKey(input);
      if (mempoolSpends.has(key)) throw new ChainError(RpcCode.verifyRejected, 'txn-mempool-conflict');
      const coin = utxos.get(key) ?? mempoolCoin(key);
      if (!coin) throw new ChainError(RpcCode.verify, 'bad-txns-inputs-missingorspent');
      if (coin.coinbase && spendHeight - coin.height < COINBASE_MATURITY) {
        throw new ChainError(RpcCode.verifyRejected, 'bad-txns-premature-spend-of-coinbase');
      }
      valueIn += coin.value;
      spends.push(key);
    }
    const valueOut = tx.outs.reduce((sum, out) => sum + out.value, 0n);
    if (valueIn < valueOut) throw new ChainError(RpcCode.verifyRejected, 'bad-txns-in-belowout');
    const fee = valueIn - valueOut;
    if (fee < BigInt(Math.ceil(tx.virtualSize() * MIN_RELAY_FEE_RATE))) {
      throw new ChainError(RpcCode.verifyRejected, 'min relay fee not met');
    }
    mempool.set(txid, { txid, raw, tx, fee, time: now(), height: spendHeight - 1, spends });
    for (const key of spends) mempoolSpends.set(key, txid);
    if (announce) emit({ type: 'mempool-add', txid, raw });
  }

  /**
   * Re-checks the mempool against a new tip, putting disconnected txs back first (Core's
   * MaybeUpdateMempoolForReorg); mined txs leave with reason `block`, invalidated ones `conflict`.
   */
  function refreshMempool(disconnected: Array<{ raw: Buffer; tx: Transaction; txid: string }>): void {
    const old = [...mempool.values()];
    mempool.clear();
    mempoolSpends.clear();
    const oldIds = new Set(old.map((e) => e.txid));
    const added: Array<{ txid: string; raw: Buffer }> = [];
    for (const c of [...disconnected, ...old]) {
      if (mempool.has(c.txid) || txIndex.has(c.txid)) continue;
      try {
        acceptToMempool(c.raw, c.tx, c.txid, false);
        if (!oldIds.has(c.txid)) added.push({ txid: c.txid, raw: c.raw });
      } catch {
        // No longer valid on the new chain: dropped, as Core does.
      }
    }
    for (const e of old) {
      if (!mempool.has(e.txid)) {
        emit({
          type: 'mempool-remove',
          txid: e.txid,
          raw: e.raw,
          reason: txIndex.has(e.txid) ? 'block' : 'conflict',
        });
      }
    }
    for (const a of added) emit({ type: 'mempool-add', txid: a.txid, raw: a.raw });
  }

  function submitBlock(raw: Buffer): string | null {
    const parsed = parseBlock(raw);
    if (!parsed) throw new ChainError(RpcCode.deserialization, 'Block decode failed');
    if (parsed.txs.length === 0 || !parsed.txs[0]!.isCoinbase()) {
      throw new ChainError(RpcCode.deserialization, 'Block does not start with a coinbase');
    }
    const known = entries.get(parsed.hash);
    if (known) return known.status === 'valid' ? 'duplicate' : 'duplicate-invalid';
    const checked = checkBlock(parsed);
    if (checked) return checked;
    const prev = entries.get(parsed.prevHash);
    if (!prev) return 'prev-blk-not-found';
    if (prev.status !== 'valid') return 'bad-prevblk';
    if (parsed.bits !== REGTEST_BITS) return 'bad-diffbits';
    if (parsed.time <= medianTimePast(prev)) return 'time-too-old';
    if (parsed.time > now() + MAX_FUTURE_BLOCK_TIME) return 'time-too-new';
    const contextual = checkBlockContext(parsed, prev.block.height + 1);
    if (contextual) return contextual;

    const entry = makeEntry(parsed, raw, prev);
    if (prev === tip()) {
      const reason = connectTip(entry);
      if (reason) {
        markInvalid(entry);
        entry.failReason = reason;
        return reason;
      }
      refreshMempool([]);
      return null;
    }
    if (entry.block.height <= tip().block.height) return 'inconclusive';
    activateBestChain();
    if (entry.block.active) return null;
    // Core reports the reason only when this very block failed; an ancestor failing is inconclusive.
    return entry.failReason ?? 'inconclusive';
  }

  /** Fees of `txs` mined in order on the tip, or Core's reason they cannot be. */
  function evaluateTxs(txs: Transaction[], txids: string[]): { fees: bigint } | { reason: string } {
    const spendHeight = tip().block.height + 1;
    const spentHere = new Set<string>();
    const createdHere = new Map<string, Coin>();
    let fees = 0n;
    for (let i = 0; i < txs.length; i++) {
      const tx = txs[i]!;
      const reason = tx.isCoinbase() ? 'bad-cb-multiple' : checkTransaction(tx);
      if (reason) return { reason };
      let valueIn = 0n;
      for (const input of tx.ins) {
        const key = prevoutKey(input);
        const coin = spentHere.has(key) ? undefined : (createdHere.get(key) ?? utxos.get(key));
        if (!coin) return { reason: 'bad-txns-inputs-missingorspent' };
        if (coin.coinbase && spendHeight - coin.height < COINBASE_MATURITY) {
          return { reason: 'bad-txns-premature-spend-of-coinbase' };
        }
        spentHere.add(key);
        valueIn += coin.value;
      }
      const valueOut = tx.outs.reduce((sum, out) => sum + out.value, 0n);
      if (valueIn < valueOut) return { reason: 'bad-txns-in-belowout' };
      fees += valueIn - valueOut;
      tx.outs.forEach((out, vout) => {
        createdHere.set(outpointKey(txids[i]!, vout), {
          value: out.value,
          script: Buffer.from(out.script),
          height: spendHeight,
          coinbase: false,
        });
      });
    }
    return { fees };
  }

  function toScript(address: string): Buffer {
    try {
      return Buffer.from(bAddress.toOutputScript(address, networks.regtest));
    } catch (err) {
      throw new ChainError(RpcCode.invalidAddressOrKey, `Error: Invalid address: ${address}`, { cause: err });
    }
  }

  function mine(opts: MineOptions): string {
    let txRaw: Buffer[];
    let fees: bigint;
    if (opts.txs === undefined || opts.txs === 'mempool') {
      const list = [...mempool.values()];
      txRaw = list.map((e) => e.raw);
      fees = list.reduce((sum, e) => sum + e.fee, 0n);
    } else {
      txRaw = opts.txs;
      let parsedTxs: Transaction[];
      try {
        parsedTxs = txRaw.map((raw) => parseTx(raw));
      } catch (err) {
        throw new ChainError(RpcCode.deserialization, 'Transaction decode failed', { cause: err });
      }
      const result = evaluateTxs(
        parsedTxs,
        parsedTxs.map((tx) => tx.getId()),
      );
      if ('reason' in result)
        throw new ChainError(RpcCode.verify, `TestBlockValidity failed: ${result.reason}`);
      fees = result.fees;
    }
    const height = tip().block.height + 1;
    const coinbaseOutputs: CoinbaseOutput[] =
      typeof opts.coinbaseOutputs === 'string'
        ? [{ script: toScript(opts.coinbaseOutputs), value: blockSubsidy(height) + fees }]
        : opts.coinbaseOutputs.map((o) =>
            'address' in o ? { script: toScript(o.address), value: o.value } : o,
          );
    const built = buildBlock({
      prevHash: tip().block.hash,
      height,
      time: opts.time ?? Math.max(now(), medianTimePast(tip()) + 1),
      coinbaseTag: opts.coinbaseTag,
      coinbaseOutputs: coinbaseOutputs.map((o) => ({ script: outputScript(o), value: o.value })),
      txs: txRaw,
    });
    const reason = submitBlock(built.raw);
    if (reason !== null) throw new ChainError(RpcCode.verify, `TestBlockValidity failed: ${reason}`);
    return built.hash;
  }

  function getEntry(hash: string): Entry {
    const entry = entries.get(hash);
    if (!entry) throw new ChainError(RpcCode.invalidAddressOrKey, 'Block not found');
    return entry;
  }

  function toUtxo(key: string, coin: Coin, inMempool: boolean): Utxo {
    const sep = key.indexOf(':');
    return {
      txid: key.slice(0, sep),
      vout: Number(key.slice(sep + 1)),
      value: coin.value,
      script: coin.script,
      height: inMempool ? undefined : coin.height,
      coinbase: coin.coinbase,
      confirmations: inMempool ? 0 : tip().block.height - coin.height + 1,
    };
  }

  // Genesis is connected directly: it has no parent to validate against.
  const genesisRaw = regtestGenesisBlock();
  const genesis = makeEntry(parseBlock(genesisRaw)!, genesisRaw, undefined);
  connectTip(genesis);
  if (tip().block.hash !== REGTEST_GENESIS_HASH) throw new Error('regtest genesis mismatch');

  return {
    network: 'regtest',
    tipHeight: () => tip().block.height,
    tipHash: () => tip().block.hash,
    hashAtHeight: (height) => active[height]?.block.hash,
    getBlock: (hash) => {
      const entry = entries.get(hash);
      return entry ? snapshot(entry) : undefined;
    },
    confirmations: (hash) => {
      const entry = entries.get(hash);
      return entry?.block.active ? tip().block.height - entry.block.height + 1 : -1;
    },
    chainTips: () => {
      const tips: Array<{ height: number; hash: string; branchlen: number; status: string }> = [];
      for (const e of entries.values()) {
        if (e === tip()) {
          tips.push({ height: e.block.height, hash: e.block.hash, branchlen: 0, status: 'active' });
          continue;
        }
        if (e.children.length > 0) continue;
        let fork = e;
        while (!fork.block.active) fork = fork.prev!;
        const status = e.status !== 'valid' ? 'invalid' : e.everConnected ? 'valid-fork' : 'valid-headers';
        tips.push({
          height: e.block.height,
          hash: e.block.hash,
          branchlen: e.block.height - fork.block.height,
          status,
        });
      }
      return tips.sort((a, b) => b.height - a.height);
    },
    getTransaction: (txid) => {
      const m = mempool.get(txid);
      if (m) return { raw: m.raw, blockhash: undefined };
      const c = txIndex.get(txid);
      return c ? { raw: c.raw, blockhash: c.blockhash } : undefined;
    },
    utxoSetInfo: (): UtxoSetInfo => ({
      height: tip().block.height,
      bestblock: tip().block.hash,
      txouts: utxos.size,
      totalAmountSats: utxoTotal,
    }),
    mempoolTxids: () => [...mempool.keys()],
    mempoolEntry: (txid): MempoolEntryInfo | undefined => {
      const m = mempool.get(txid);
      if (!m) return undefined;
      const depends = [...new Set(m.spends.map((k) => k.slice(0, k.indexOf(':'))))].filter((id) =>
        mempool.has(id),
      );
      return {
        txid,
        wtxid: Buffer.from(m.tx.getHash(true)).reverse().toString('hex'),
        fee: m.fee,
        vsize: m.tx.virtualSize(),
        weight: m.tx.weight(),
        time: m.time,
        height: m.height,
        depends,
      };
    },
    listUnspent: (scripts, opts = {}) => {
      const includeMempool = opts.includeMempool ?? true;
      const wanted = new Set(scripts.map((s) => s.toString('hex')));
      const result: Utxo[] = [];
      for (const s of wanted) {
        for (const key of byScript.get(s) ?? []) {
          if (includeMempool && mempoolSpends.has(key)) continue;
          result.push(toUtxo(key, utxos.get(key)!, false));
        }
      }
      if (includeMempool) {
        for (const m of mempool.values()) {
          m.tx.outs.forEach((out, vout) => {
            const key = outpointKey(m.txid, vout);
            if (!wanted.has(Buffer.from(out.script).toString('hex')) || mempoolSpends.has(key)) return;
            result.push(toUtxo(key, mempoolCoin(key)!, true));
          });
        }
      }
      return result;
    },
    getTxOut: (txid, vout, includeMempool = true) => {
      const key = outpointKey(txid, vout);
      if (includeMempool && mempoolSpends.has(key)) return undefined;
      const coin = utxos.get(key);
      if (coin) return toUtxo(key, coin, false);
      const m = includeMempool ? mempoolCoin(key) : undefined;
      return m ? toUtxo(key, m, true) : undefined;
    },
    generateToAddress: (n, address) => {
      toScript(address);
      const hashes: string[] = [];
      for (let i = 0; i < n; i++) hashes.push(mine({ coinbaseOutputs: address }));
      return hashes;
    },
    generateBlock: (output, rawTxs) => mine({ coinbaseOutputs: output, txs: rawTxs }),
    mine,
    submitBlock,
    sendRawTransaction: (raw) => {
      let tx: Transaction;
      try {
        tx = parseTx(raw);
      } catch (err) {
        throw new ChainError(RpcCode.deserialization, 'TX decode failed', { cause: err });
      }
      const txid = tx.getId();
      acceptToMempool(raw, tx, txid, true);
      return txid;
    },
    invalidateBlock: (hash) => {
      const entry = getEntry(hash);
      if (entry.block.height === 0)
        throw new ChainError(RpcCode.invalidParameter, 'Cannot invalidate genesis block');
      markInvalid(entry);
      const disconnected: Array<{ raw: Buffer; tx: Transaction; txid: string }> = [];
      if (entry.block.active) {
        while (tip() !== entry.prev) disconnected.unshift(...disconnectTip());
      }
      activateBestChain(disconnected);
    },
    reconsiderBlock: (hash) => {
      const entry = getEntry(hash);
      for (let e: Entry | undefined = entry; e; e = e.prev) {
        e.status = 'valid';
        e.failReason = undefined;
      }
      const stack = [...entry.children];
      while (stack.length > 0) {
        const e = stack.pop()!;
        e.status = 'valid';
        e.failReason = undefined;
        stack.push(...e.children);
      }
      activateBestChain();
    },
    setMockTime: (seconds) => {
      if (!Number.isInteger(seconds) || seconds < 0) {
        throw new ChainError(RpcCode.invalidParameter, 'Mocktime cannot be negative');
      }
      mockTime = seconds;
    },
    now,
    medianTimePast: () => medianTimePast(tip()),
    subscribe: (listener) => {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}

function parseTx(raw: Buffer): Transaction {
  return Transaction.fromBuffer(raw);
}
