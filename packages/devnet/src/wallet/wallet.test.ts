import { script as bscript, payments, Transaction } from 'bitcoinjs-lib';
import * as ecc from 'tiny-secp256k1';
import { describe, expect, it } from 'vitest';
import { COIN } from '../block/block-builder.js';
import { createDevnetChain } from '../chain/devnet-chain.js';
import { ADDRESS_TYPES, type AddressType, createWallet } from './wallet.js';

/**
 * Checks every signature of `tx` against the spent outputs by recomputing the sighash for the
 * output's type, independently of the Psbt that produced it.
 */
function verifyTx(tx: Transaction, prevouts: { script: Buffer; value: bigint }[]): void {
  tx.ins.forEach((input, i) => {
    const prev = prevouts[i]!;
    const witness = input.witness.map((w) => Buffer.from(w));
    const chunks = bscript.decompile(input.script) ?? [];
    const ecdsa = (sigWithType: Buffer, pubkey: Uint8Array, hashFor: (type: number) => Uint8Array) => {
      const { signature, hashType } = bscript.signature.decode(sigWithType);
      return ecc.verify(hashFor(hashType), pubkey, signature);
    };
    const multisig = (sigs: Buffer[], redeem: Buffer, hashFor: (type: number) => Uint8Array) => {
      const pubkeys = payments.p2ms({ output: redeem }).pubkeys!;
      // CHECKMULTISIG: signatures must match keys in order.
      let k = 0;
      for (const sig of sigs) {
        while (k < pubkeys.length && !ecdsa(sig, pubkeys[k]!, hashFor)) k++;
        expect(k).toBeLessThan(pubkeys.length);
        k++;
      }
    };
    if (prev.script.length === 25 && prev.script[0] === 0x76) {
      const [sig, pubkey] = chunks as Buffer[];
      expect(payments.p2pkh({ pubkey: pubkey! }).output).toEqual(new Uint8Array(prev.script));
      expect(ecdsa(sig!, pubkey!, (t) => tx.hashForSignature(i, prev.script, t))).toBe(true);
    } else if (prev.script[0] === 0xa9) {
      const redeem = Buffer.from(chunks.at(-1) as Uint8Array);
      expect(payments.p2sh({ redeem: { output: redeem } }).output).toEqual(new Uint8Array(prev.script));
      if (redeem[0] === 0x00) {
        const [sig, pubkey] = witness;
        const code = payments.p2pkh({ pubkey: pubkey! }).output!;
        expect(ecdsa(sig!, pubkey!, (t) => tx.hashForWitnessV0(i, code, prev.value, t))).toBe(true);
      } else {
        expect(chunks[0]).toBe(0); // CHECKMULTISIG's extra pop
        multisig(chunks.slice(1, -1) as Buffer[], redeem, (t) => tx.hashForSignature(i, redeem, t));
      }
    } else if (prev.script[0] === 0x00 && prev.script.length === 22) {
      const [sig, pubkey] = witness;
      const code = payments.p2pkh({ pubkey: pubkey! }).output!;
      expect(ecdsa(sig!, pubkey!, (t) => tx.hashForWitnessV0(i, code, prev.value, t))).toBe(true);
    } else if (prev.script[0] === 0x00 && prev.script.length === 34) {
      const ws = witness.at(-1)!;
      expect(payments.p2wsh({ redeem: { output: ws } }).output).toEqual(new Uint8Array(prev.script));
      expect(witness[0]!.length).toBe(0);
      multisig(witness.slice(1, -1), ws, (t) => tx.hashForWitnessV0(i, ws, prev.value, t));
    } else if (prev.script[0] === 0x51 && prev.script.length === 34) {
      expect(witness.length).toBe(1);
      const hash = tx.hashForWitnessV1(
        i,
        prevouts.map((p) => p.script),
        prevouts.map((p) => p.value),
        Transaction.SIGHASH_DEFAULT,
      );
      expect(ecc.verifySchnorr(hash, prev.script.subarray(2), witness[0]!)).toBe(true);
    } else {
      throw new Error(`unexpected prevout script ${prev.script.toString('hex')}`);
    }
  });
}

function setup() {
  let clock = 1_750_000_000;
  const chain = createDevnetChain({ now: () => (clock += 60) });
  const miner = createWallet('miner', { chain });
  const minerAddress = miner.newAddress('p2wpkh', 'pool').address;
  chain.generateToAddress(101, minerAddress);
  return { chain, miner, minerAddress };
}

const PREFIX: Record<AddressType, RegExp> = {
  p2pkh: /^[mn]/,
  'p2sh-multisig': /^2/,
  'p2sh-p2wpkh': /^2/,
  p2wpkh: /^bcrt1q[a-z0-9]{38}$/,
  p2wsh: /^bcrt1q[a-z0-9]{58}$/,
  p2tr: /^bcrt1p[a-z0-9]{58}$/,
};

describe('createWallet', () => {
  it('derives the same addresses from the same seed and different ones from another', () => {
    const a = createWallet('alice');
    const b = createWallet('alice');
    const c = createWallet('bob');
    for (const type of ADDRESS_TYPES) {
      const addr = a.newAddress(type).address;
      expect(addr).toMatch(PREFIX[type]);
      expect(b.newAddress(type).address).toBe(addr);
      expect(c.newAddress(type).address).not.toBe(addr);
    }
  });

  it('answers which labelled entity owns an address', () => {
    const w = createWallet('entities');
    const x = [w.newAddress('p2wpkh', 'exchange-x'), w.newAddress('p2tr', 'exchange-x')];
    const y = w.newAddress('p2pkh', 'miner-y');
    expect(w.owns(x[1]!.address)?.label).toBe('exchange-x');
    expect(w.owns(y.script)?.label).toBe('miner-y');
    expect(w.owns(createWallet('stranger').newAddress('p2wpkh').address)).toBeUndefined();
    expect(w.addresses({ label: 'exchange-x' }).map((a) => a.address)).toEqual(x.map((a) => a.address));
    expect(w.labels()).toEqual(['exchange-x', 'miner-y']);
  });

  it.each(ADDRESS_TYPES)('receives to and spends from %s with signatures a node would accept', (type) => {
    const { chain, miner, minerAddress } = setup();
    const alice = createWallet('alice', { chain });
    const mine = alice.newAddress(type, 'alice');
    const funding = miner.send({ to: [{ address: mine.address, value: 3n * COIN }], feeRate: 3 });
    verifyTx(
      Transaction.fromBuffer(funding.raw),
      funding.inputs.map((u) => ({ script: u.script, value: u.value })),
    );
    chain.sendRawTransaction(funding.raw);
    chain.generateToAddress(1, minerAddress);

    const coins = alice.listUnspent();
    expect(coins.map((u) => [u.txid, u.value, u.confirmations])).toEqual([[funding.txid, 3n * COIN, 1]]);
    const back = alice.send({ to: [{ address: minerAddress, value: COIN }], feeRate: 5 });
    const tx = Transaction.fromBuffer(back.raw);
    verifyTx(tx, [{ script: mine.script, value: 3n * COIN }]);
    expect(tx.ins.length).toBe(1);
    // Fee rate is applied to an upper bound of the size: never below the requested rate.
    expect(Number(back.fee) / back.vsize).toBeGreaterThanOrEqual(5);
    expect(Number(back.fee) / back.vsize).toBeLessThan(6);
    expect(tx.outs[back.changeVout!]!.value).toBe(2n * COIN - back.fee);
    expect(alice.owns(Buffer.from(tx.outs[back.changeVout!]!.script))?.label).toBe('alice');

    chain.sendRawTransaction(back.raw);
    const [hash] = chain.generateToAddress(1, minerAddress);
    expect(chain.getTransaction(back.txid)?.blockhash).toBe(hash);
    expect(alice.balance()).toBe(2n * COIN - back.fee);
  });

  it('spends many coins of mixed types in one transaction', () => {
    const { chain, miner, minerAddress } = setup();
    const bob = createWallet('bob', { chain });
    const outputs = ADDRESS_TYPES.map((type) => ({
      address: bob.newAddress(type, 'bob').address,
      value: COIN,
    }));
    const funding = miner.send({ to: outputs });
    chain.sendRawTransaction(funding.raw);
    chain.generateToAddress(1, minerAddress);
    const all = bob.listUnspent();
    expect(all.length).toBe(ADDRESS_TYPES.length);
    const sweep = bob.send({ from: all, to: [{ address: minerAddress, value: 5n * COIN }] });
    verifyTx(
      Transaction.fromBuffer(sweep.raw),
      all.map((u) => ({ script: u.script, value: u.value })),
    );
    chain.sendRawTransaction(sweep.raw);
    chain.generateToAddress(1, minerAddress);
    expect(chain.getTransaction(sweep.txid)?.blockhash).toBe(chain.tipHash());
  });

  it('chains unconfirmed spends and does not reuse coins of an unsent build', () => {
    const { chain, miner } = setup();
    const dest = createWallet('d').newAddress('p2wpkh').address;
    const first = miner.send({ to: [{ address: dest, value: COIN }] });
    const second = miner.send({ to: [{ address: dest, value: COIN }] });
    expect(second.inputs.map((u) => u.txid)).not.toContain(first.inputs[0]!.txid);
    chain.sendRawTransaction(first.raw);
    chain.sendRawTransaction(second.raw);
    miner.unlockAll();
    // Spends the unconfirmed change of the first two.
    const third = miner.send({ from: { label: 'pool' }, to: [{ address: dest, value: 60n * COIN }] });
    expect(chain.sendRawTransaction(third.raw)).toBe(third.txid);
    expect(chain.mempoolEntry(third.txid)?.depends.length).toBeGreaterThan(0);
  });
});
