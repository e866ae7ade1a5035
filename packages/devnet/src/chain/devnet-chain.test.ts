import { Block, Transaction } from 'bitcoinjs-lib';
import { describe, expect, it } from 'vitest';
import { blockSubsidy, buildBlock, COIN } from '../block/block-builder.js';
import { createWallet } from '../wallet/wallet.js';
import { ChainError, type ChainEvent } from './chain.types.js';
import { createDevnetChain } from './devnet-chain.js';

const T0 = 1_750_000_000;

function setup() {
  let clock = T0;
  const chain = createDevnetChain({ now: () => clock });
  const events: ChainEvent[] = [];
  chain.subscribe((e) => events.push(e));
  const wallet = createWallet('miner', { chain });
  const miner = wallet.newAddress('p2wpkh', 'miner').address;
  return {
    chain,
    wallet,
    miner,
    events,
    tick: (s = 600) => {
      clock += s;
    },
  };
}

/** A chain with `n` blocks mined to the wallet, ten minutes apart. */
function mined(n: number) {
  const ctx = setup();
  for (let i = 0; i < n; i++) {
    ctx.tick();
    ctx.chain.generateToAddress(1, ctx.miner);
  }
  ctx.events.length = 0;
  return ctx;
}

const summary = (events: ChainEvent[]) =>
  events.map((e) =>
    e.type === 'connect' || e.type === 'disconnect' ? `${e.type}:${e.block.height}` : e.type,
  );

describe('createDevnetChain', () => {
  it('starts at the regtest genesis with an empty UTXO set', () => {
    const chain = createDevnetChain();
    expect(chain.tipHeight()).toBe(0);
    expect(chain.tipHash()).toBe('0f9188f13cb7b2c71f2a335e3a4fc328bf5beb436012afca590b1a11466e2206');
    expect(chain.hashAtHeight(0)).toBe(chain.tipHash());
    expect(chain.utxoSetInfo()).toMatchObject({ height: 0, txouts: 0, totalAmountSats: 0n });
  });

  it('mines real blocks: decodable, valid merkle root and PoW, BIP34 height, linked', () => {
    const { chain, miner, events } = setup();
    const hashes = chain.generateToAddress(20, miner);
    expect(chain.tipHeight()).toBe(20);
    expect(summary(events)).toEqual(Array.from({ length: 20 }, (_, i) => `connect:${i + 1}`));
    hashes.forEach((hash, i) => {
      const stored = chain.getBlock(hash)!;
      const block = Block.fromBuffer(stored.raw);
      expect(block.getId()).toBe(hash);
      expect(block.checkTxRoots()).toBe(true);
      expect(block.checkProofOfWork()).toBe(true);
      const height = i + 1;
      const scriptSig = Buffer.from(block.transactions![0]!.ins[0]!.script);
      // Heights up to 16 are OP_1..OP_16 (0x51..0x60); above, a one-byte push.
      expect(scriptSig[0]).toBe(height <= 16 ? 0x50 + height : 1);
      if (height > 16) expect(scriptSig[1]).toBe(height);
      expect(stored.previousblockhash).toBe(chain.hashAtHeight(height - 1));
      expect(chain.confirmations(hash)).toBe(20 - height + 1);
    });
  });

  it('halves the subsidy at height 150 and counts only spendable outputs in the UTXO total', () => {
    const { chain, miner } = setup();
    chain.generateToAddress(151, miner);
    const info = chain.utxoSetInfo();
    // Heights 1..149 pay 50 BTC, 150 and 151 pay 25 BTC; genesis and commitments are unspendable.
    expect(info.totalAmountSats).toBe(149n * 50n * COIN + 2n * 25n * COIN);
    expect(info.txouts).toBe(151);
    const b150 = Block.fromBuffer(chain.getBlock(chain.hashAtHeight(150)!)!.raw);
    expect(b150.transactions![0]!.outs[0]!.value).toBe(25n * COIN);
  });

  it('pays fees to the coinbase and moves mined txs out of the mempool', () => {
    const { chain, wallet, events } = mined(101);
    const dest = createWallet('other').newAddress('p2tr').address;
    const sent = wallet.send({ to: [{ address: dest, value: 10n * COIN }], fee: 12_345n });
    expect(chain.sendRawTransaction(sent.raw)).toBe(sent.txid);
    expect(chain.mempoolTxids()).toEqual([sent.txid]);
    expect(chain.mempoolEntry(sent.txid)?.fee).toBe(12_345n);
    expect(chain.getTransaction(sent.txid)).toEqual({ raw: sent.raw, blockhash: undefined });
    const before = chain.utxoSetInfo().totalAmountSats;
    const [hash] = chain.generateToAddress(1, 'bcrt1qw508d6qejxtdg4y5r3zarvary0c5xw7kygt080');
    const block = Block.fromBuffer(chain.getBlock(hash!)!.raw);
    expect(block.transactions!.map((t) => t.getId())).toContain(sent.txid);
    expect(block.transactions![0]!.outs[0]!.value).toBe(blockSubsidy(102) + 12_345n);
    expect(block.checkTxRoots()).toBe(true);
    expect(chain.mempoolTxids()).toEqual([]);
    expect(chain.getTransaction(sent.txid)?.blockhash).toBe(hash);
    // The new coinbase adds subsidy + fee; the spend itself burns exactly the fee.
    expect(chain.utxoSetInfo().totalAmountSats).toBe(before + blockSubsidy(102));
    const removal = events.find((e) => e.type === 'mempool-remove');
    expect(removal).toMatchObject({ txid: sent.txid, reason: 'block' });
  });

  it('enforces coinbase maturity of 100 confirmations', () => {
    const { chain, wallet, miner } = mined(100);
    // Only the height-1 coinbase has 100 confirmations at tip 100: it may be spent in block 101.
    const coins = chain.listUnspent([wallet.owns(miner)!.script]);
    const young = coins.find((u) => u.height === 2)!;
    const old = coins.find((u) => u.height === 1)!;
    const tooYoung = wallet.send({ from: [young], to: [{ address: miner, value: COIN }] });
    expect(() => chain.sendRawTransaction(tooYoung.raw)).toThrow('bad-txns-premature-spend-of-coinbase');
    expect(() => chain.generateBlock(miner, [tooYoung.raw])).toThrow('bad-txns-premature-spend-of-coinbase');
    const ok = wallet.send({ from: [old], to: [{ address: miner, value: COIN }] });
    expect(chain.sendRawTransaction(ok.raw)).toBe(ok.txid);
  });

  it('rejects double spends in the mempool and within a block', () => {
    const { chain, wallet, miner } = mined(101);
    const coin = chain.listUnspent([wallet.owns(miner)!.script]).find((u) => u.height === 1)!;
    const a = wallet.send({ from: [coin], to: [{ address: miner, value: COIN }] });
    const b = wallet.send({ from: [coin], to: [{ address: miner, value: 2n * COIN }] });
    chain.sendRawTransaction(a.raw);
    let error: unknown;
    try {
      chain.sendRawTransaction(b.raw);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ChainError);
    expect(error).toMatchObject({ code: -26, message: 'txn-mempool-conflict' });
    expect(() => chain.generateBlock(miner, [a.raw, b.raw])).toThrow('bad-txns-inputs-missingorspent');
    const block = buildBlock({
      prevHash: chain.tipHash(),
      height: 102,
      time: chain.medianTimePast() + 1,
      coinbaseOutputs: miner,
      txs: [a.raw, b.raw],
    });
    expect(chain.submitBlock(block.raw)).toBe('bad-txns-inputs-missingorspent');
    expect(chain.tipHeight()).toBe(101);
    expect(chain.submitBlock(block.raw)).toBe('duplicate-invalid');
  });

  it('rejects unknown prevouts and outputs worth more than inputs', () => {
    const { chain, wallet, miner } = mined(101);
    const spend = new Transaction();
    spend.addInput(Buffer.alloc(32, 5), 0);
    spend.addOutput(wallet.owns(miner)!.script, 1000n);
    let error: unknown;
    try {
      chain.sendRawTransaction(Buffer.from(spend.toBuffer()));
    } catch (err) {
      error = err;
    }
    expect(error).toMatchObject({ code: -25, message: 'bad-txns-inputs-missingorspent' });
    const coin = chain.listUnspent([wallet.owns(miner)!.script]).find((u) => u.height === 1)!;
    const valid = Transaction.fromBuffer(
      wallet.send({ from: [coin], to: [{ address: miner, value: COIN }] }).raw,
    );
    // Scripts are not checked on accept, so raising an output isolates the amount check.
    valid.outs[0]!.value = 51n * COIN;
    expect(() => chain.sendRawTransaction(Buffer.from(valid.toBuffer()))).toThrow('bad-txns-in-belowout');
  });

  it('answers submitblock with Core’s reasons', () => {
    const { chain, miner } = mined(3);
    const tip = chain.tipHash();
    const time = chain.medianTimePast() + 1;
    const good = buildBlock({ prevHash: tip, height: 4, time, coinbaseOutputs: miner });

    const badHeight = buildBlock({ prevHash: tip, height: 5, time, coinbaseOutputs: miner });
    expect(chain.submitBlock(badHeight.raw)).toBe('bad-cb-height');

    const overpay = buildBlock({ prevHash: tip, height: 4, time, coinbaseOutputs: miner, fees: 1n });
    expect(chain.submitBlock(overpay.raw)).toBe('bad-cb-amount');

    const orphan = buildBlock({ prevHash: '11'.repeat(32), height: 4, time, coinbaseOutputs: miner });
    expect(chain.submitBlock(orphan.raw)).toBe('prev-blk-not-found');

    const badRoot = Buffer.from(good.raw);
    badRoot[40] = (badRoot[40] ?? 0) ^ 0xff;
    // Re-grind so that only the merkle root is wrong.
    for (let nonce = 0; ; nonce++) {
      badRoot.writeUInt32LE(nonce, 76);
      if (Block.fromBuffer(badRoot).checkProofOfWork()) break;
    }
    expect(chain.submitBlock(badRoot)).toBe('bad-txnmrklroot');

    const highHash = Buffer.from(good.raw);
    for (let nonce = 0; ; nonce++) {
      highHash.writeUInt32LE(nonce, 76);
      if (!Block.fromBuffer(highHash).checkProofOfWork()) break;
    }
    expect(chain.submitBlock(highHash)).toBe('high-hash');

    const tooOld = buildBlock({ prevHash: tip, height: 4, time: T0, coinbaseOutputs: miner });
    expect(chain.submitBlock(tooOld.raw)).toBe('time-too-old');

    expect(() => chain.submitBlock(Buffer.from('00', 'hex'))).toThrow(ChainError);
    expect(chain.tipHeight()).toBe(3);
    expect(chain.submitBlock(good.raw)).toBeNull();
    expect(chain.submitBlock(good.raw)).toBe('duplicate');
    expect(chain.tipHash()).toBe(good.hash);
  });

  it('keeps a side branch and reorganizes when it becomes longer', () => {
    const { chain, miner, events } = mined(5);
    const fork = chain.hashAtHeight(3)!;
    const oldTip = chain.tipHash();
    const time = chain.medianTimePast() + 1;
    let prev = fork;
    const side: string[] = [];
    for (let h = 4; h <= 6; h++) {
      const b = buildBlock({
        prevHash: prev,
        height: h,
        time: time + h,
        coinbaseTag: '/side/',
        coinbaseOutputs: miner,
      });
      const result = chain.submitBlock(b.raw);
      // Equal or less work than the active chain: stored, not connected (Core says inconclusive).
      expect(result).toBe(h <= 5 ? 'inconclusive' : null);
      side.push(b.hash);
      prev = b.hash;
    }
    expect(chain.tipHash()).toBe(side[2]);
    expect(summary(events)).toEqual(['disconnect:5', 'disconnect:4', 'connect:4', 'connect:5', 'connect:6']);
    expect(chain.getBlock(oldTip)?.active).toBe(false);
    expect(chain.confirmations(oldTip)).toBe(-1);
    const tips = chain.chainTips();
    expect(tips).toContainEqual({ height: 6, hash: side[2], branchlen: 0, status: 'active' });
    expect(tips).toContainEqual({ height: 5, hash: oldTip, branchlen: 2, status: 'valid-fork' });
  });

  it('reorganizes with invalidateblock and back with reconsiderblock, events in order', () => {
    const { chain, wallet, miner, events, tick } = mined(105);
    const dest = createWallet('dest').newAddress('p2wpkh').address;
    const sent = wallet.send({ to: [{ address: dest, value: COIN }] });
    chain.sendRawTransaction(sent.raw);
    chain.generateToAddress(1, miner); // height 106 mines `sent`
    const original = [104, 105, 106].map((h) => chain.hashAtHeight(h)!);
    const totalBefore = chain.utxoSetInfo().totalAmountSats;
    events.length = 0;

    chain.invalidateBlock(original[0]!);
    expect(chain.tipHeight()).toBe(103);
    expect(summary(events)).toEqual(['disconnect:106', 'disconnect:105', 'disconnect:104', 'mempool-add']);
    // The mined tx is back in the mempool; its coinbase parent (height 1) is still mature.
    expect(chain.mempoolTxids()).toEqual([sent.txid]);
    expect(chain.getTransaction(sent.txid)?.blockhash).toBeUndefined();
    expect(chain.getBlock(original[0]!)?.active).toBe(false);

    events.length = 0;
    tick();
    const replacement = chain.generateToAddress(4, miner); // 104..107, re-mines `sent` at 104
    expect(chain.tipHeight()).toBe(107);
    expect(chain.getTransaction(sent.txid)?.blockhash).toBe(replacement[0]);
    expect(summary(events)).toEqual([
      'connect:104',
      'mempool-remove',
      'connect:105',
      'connect:106',
      'connect:107',
    ]);
    expect(chain.chainTips()).toContainEqual({
      height: 106,
      hash: original[2],
      branchlen: 3,
      status: 'invalid',
    });

    // Reconsidering a shorter branch does not switch back.
    events.length = 0;
    chain.reconsiderBlock(original[0]!);
    expect(chain.tipHash()).toBe(replacement[3]);
    expect(events).toEqual([]);

    // Invalidate the replacement: the original branch (3 blocks, first seen) becomes active again.
    chain.invalidateBlock(replacement[0]!);
    expect(chain.tipHash()).toBe(original[2]);
    expect(summary(events)).toEqual([
      'disconnect:107',
      'disconnect:106',
      'disconnect:105',
      'disconnect:104',
      'connect:104',
      'connect:105',
      'connect:106',
    ]);
    expect(chain.utxoSetInfo().totalAmountSats).toBe(totalBefore);
    expect(chain.getTransaction(sent.txid)?.blockhash).toBe(original[2]);
    expect(chain.mempoolTxids()).toEqual([]);
  });

  it('restores the exact UTXO set when disconnecting a block that spends its own outputs', () => {
    const { chain, wallet, miner } = mined(101);
    const before = chain.utxoSetInfo();
    const scripts = [wallet.owns(miner)!.script];
    const coinsBefore = chain
      .listUnspent(scripts)
      .map((u) => `${u.txid}:${u.vout}`)
      .sort();
    const parent = wallet.send({ to: [{ address: miner, value: COIN }] });
    chain.sendRawTransaction(parent.raw);
    // The child spends the parent's change: both land in the same block.
    const child = wallet.send({
      from: [chain.getTxOut(parent.txid, parent.changeVout!)!],
      to: [{ address: miner, value: COIN }],
    });
    chain.sendRawTransaction(child.raw);
    const [hash] = chain.generateToAddress(1, miner);
    chain.invalidateBlock(hash!);
    expect(chain.utxoSetInfo()).toEqual(before);
    expect(
      chain
        .listUnspent(scripts, { includeMempool: false })
        .map((u) => `${u.txid}:${u.vout}`)
        .sort(),
    ).toEqual(coinsBefore);
    expect(chain.mempoolTxids()).toEqual([parent.txid, child.txid]);
  });

  it('drops mempool txs that a reorg makes invalid', () => {
    const { chain, wallet, miner, events } = mined(101);
    chain.generateToAddress(1, miner);
    // The height-2 coinbase matures at tip 101; spend it, then invalidate back to tip 100.
    const coin = chain.listUnspent([wallet.owns(miner)!.script]).find((u) => u.height === 2)!;
    const spend = wallet.send({ from: [coin], to: [{ address: miner, value: COIN }] });
    chain.sendRawTransaction(spend.raw);
    events.length = 0;
    chain.invalidateBlock(chain.hashAtHeight(101)!);
    expect(chain.mempoolTxids()).toEqual([]);
    expect(events.at(-1)).toMatchObject({ type: 'mempool-remove', txid: spend.txid, reason: 'conflict' });
  });

  it('uses mock time for generated blocks and keeps them after the median time past', () => {
    const chain = createDevnetChain({ now: () => T0 });
    const w = createWallet('t').newAddress('p2wpkh').address;
    chain.setMockTime(T0 + 86_400);
    const [a] = chain.generateToAddress(1, w);
    expect(chain.getBlock(a!)!.time).toBe(T0 + 86_400);
    const [b, c] = chain.generateToAddress(2, w);
    expect(chain.getBlock(b!)!.time).toBeGreaterThan(chain.getBlock(a!)!.time - 1);
    expect(chain.getBlock(c!)!.time).toBeGreaterThan(chain.getBlock(a!)!.time);
    chain.setMockTime(0);
    expect(chain.now()).toBe(T0);
  });

  it('mines pool-style blocks with a tag and many coinbase outputs', () => {
    const { chain } = mined(0);
    const payees = Array.from({ length: 10 }, (_, i) => createWallet(`p${i}`).newAddress('p2wpkh').address);
    const hash = chain.mine({
      coinbaseTag: '/Pool/',
      coinbaseOutputs: payees.map((address) => ({ address, value: 5n * COIN })),
    });
    const cb = Block.fromBuffer(chain.getBlock(hash)!.raw).transactions![0]!;
    expect(Buffer.from(cb.ins[0]!.script).subarray(1).toString()).toBe('/Pool/');
    expect(cb.outs.length).toBe(10);
    expect(() =>
      chain.mine({ coinbaseOutputs: payees.map((address) => ({ address, value: 6n * COIN })) }),
    ).toThrow('bad-cb-amount');
  });

  it('builds and validates 400 blocks with transactions in a few milliseconds each', () => {
    const { chain, wallet, miner } = mined(0);
    const started = performance.now();
    chain.generateToAddress(110, miner);
    const dests = Array.from({ length: 5 }, (_, i) => wallet.newAddress(i % 2 ? 'p2tr' : 'p2wpkh').address);
    for (let i = 0; i < 290; i++) {
      if (i % 3 === 0) {
        const sent = wallet.send({ to: [{ address: dests[i % 5]!, value: 100_000n }] });
        chain.sendRawTransaction(sent.raw);
      }
      chain.generateToAddress(1, miner);
    }
    const perBlock = (performance.now() - started) / 400;
    expect(chain.tipHeight()).toBe(400);
    expect(perBlock).toBeLessThan(20);
  });
});
