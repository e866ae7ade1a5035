/**
 * Deterministic regtest wallet: keys derived from a seed string, addresses of every common type,
 * coins read from the chain, and transactions built and signed through bitcoinjs-lib's Psbt so that
 * a real node would accept them. Each address carries an optional label: scenarios use labels (or
 * one wallet per seed) as the ground truth of which entity owns which addresses.
 *
 * Key i is `SHA256("minetrace-devnet-key:" + seed + ":" + i)` (re-hashed in the negligible case it
 * is not a valid secp256k1 scalar): the same seed always yields the same keys and addresses.
 */
import { createHash } from 'node:crypto';
import {
  address as bAddress,
  crypto as bCrypto,
  initEccLib,
  networks,
  Psbt,
  payments,
  toXOnly,
} from 'bitcoinjs-lib';
import { ECPairFactory, type ECPairInterface } from 'ecpair';
import * as ecc from 'tiny-secp256k1';
import type { DevnetChain, Utxo } from '../chain/chain.types.js';
import { WalletError } from './wallet.errors.js';

initEccLib(ecc);
const ECPair = ECPairFactory(ecc);
const network = networks.regtest;

/** Output types the wallet can receive to and spend from. */
export type AddressType = 'p2pkh' | 'p2sh-multisig' | 'p2sh-p2wpkh' | 'p2wpkh' | 'p2wsh' | 'p2tr';

export const ADDRESS_TYPES: readonly AddressType[] = [
  'p2pkh',
  'p2sh-multisig',
  'p2sh-p2wpkh',
  'p2wpkh',
  'p2wsh',
  'p2tr',
];

/** An address this wallet can spend from; multisig types list every key in script order. */
export interface OwnedAddress {
  address: string;
  type: AddressType;
  label: string | undefined;
  /** scriptPubKey. */
  script: Buffer;
  /** Key indexes: one key, or the n keys of the multisig (2-of-3 for P2SH, 2-of-2 for P2WSH). */
  keyIndexes: number[];
  redeemScript?: Buffer;
  witnessScript?: Buffer;
}

export type WalletOutput = { address: string; value: bigint } | { script: Buffer; value: bigint };

export interface SendRequest {
  /**
   * Coins to spend: `'any'` (default: every spendable coin, largest first, as many as needed),
   * `{ label }` (only coins of addresses with that label), or exactly these coins (all are spent).
   */
  from?: 'any' | { label: string } | Utxo[];
  to: WalletOutput[];
  /** Absolute fee in sats; overrides `feeRate`. */
  fee?: bigint;
  /** sat/vB, applied to an upper-bound size estimate. @defaultValue 2 */
  feeRate?: number;
  /** Where change goes; default a new P2WPKH address with the first input's label. */
  change?: string;
  /** @defaultValue 0 */
  locktime?: number;
  /** Input nSequence. @defaultValue 0xfffffffd (replaceable, as Core's wallet) */
  sequence?: number;
}

export interface SignedTx {
  raw: Buffer;
  txid: string;
  fee: bigint;
  vsize: number;
  inputs: Utxo[];
  /** Index of the change output, when there is one. */
  changeVout: number | undefined;
}

/** What the wallet reads from the chain. */
export type WalletChainView = Pick<DevnetChain, 'listUnspent' | 'getTransaction'>;

export interface Wallet {
  readonly seed: string;
  /** Creates the next address of `type`, deriving fresh keys. */
  newAddress(type: AddressType, label?: string): OwnedAddress;
  /** Owned addresses in creation order, optionally filtered. */
  addresses(filter?: { label?: string; type?: AddressType }): OwnedAddress[];
  /** The owned address for an address string or scriptPubKey, or undefined when not ours. */
  owns(addressOrScript: string | Buffer): OwnedAddress | undefined;
  /** Distinct labels in first-use order. */
  labels(): string[];
  /** The key pair at `index` (derives it if needed). */
  keyPair(index: number): ECPairInterface;
  /** Spendable coins (mempool included, mature coinbases only, not locked by an unsent build). */
  listUnspent(filter?: { label?: string; minConf?: number }): Utxo[];
  balance(filter?: { label?: string; minConf?: number }): bigint;
  /** Builds and signs a tx; every signature is verified before finalizing. Does not broadcast. */
  send(request: SendRequest): SignedTx;
  /** Releases coins locked by `send` results that were never broadcast. */
  unlockAll(): void;
}

export interface WalletOptions {
  /** Needed for `listUnspent`, `send` with `'any'`/label and for spending P2PKH/P2SH coins. */
  chain?: WalletChainView;
}

const DUST = 546n;
const COINBASE_MATURITY = 100;
/** Upper-bound vbytes per input, by type (72-byte DER signatures). */
const INPUT_VBYTES: Record<AddressType, number> = {
  p2pkh: 148,
  'p2sh-multisig': 297,
  'p2sh-p2wpkh': 91,
  p2wpkh: 68,
  p2wsh: 96,
  p2tr: 58,
};

export function deriveKey(seed: string, index: number): ECPairInterface {
  let d = createHash('sha256').update(`minetrace-devnet-key:${seed}:${index}`).digest();
  while (!ecc.isPrivate(d)) d = createHash('sha256').update(d).digest();
  return ECPair.fromPrivateKey(d, { network });
}

// Taproot key-path signatures come with an x-only (32-byte) key; ECDSA ones with a 33-byte key.
const validator = (pubkey: Uint8Array, msghash: Uint8Array, signature: Uint8Array): boolean =>
  pubkey.length === 32
    ? ecc.verifySchnorr(msghash, pubkey, signature)
    : ecc.verify(msghash, pubkey, signature);

export function createWallet(seed: string, options: WalletOptions = {}): Wallet {
  const keys: ECPairInterface[] = [];
  const owned: OwnedAddress[] = [];
  const byScript = new Map<string, OwnedAddress>();
  const locked = new Set<string>();

  const keyPair = (index: number): ECPairInterface => {
    while (keys.length <= index) keys.push(deriveKey(seed, keys.length));
    return keys[index]!;
  };
  const freshKeys = (n: number): number[] => {
    const start = keys.length;
    for (let i = 0; i < n; i++) keyPair(start + i);
    return Array.from({ length: n }, (_, i) => start + i);
  };
  const pub = (i: number) => Buffer.from(keyPair(i).publicKey);

  function newAddress(type: AddressType, label?: string): OwnedAddress {
    let payment: payments.Payment;
    let keyIndexes: number[];
    let redeemScript: Buffer | undefined;
    let witnessScript: Buffer | undefined;
    switch (type) {
      case 'p2pkh':
        keyIndexes = freshKeys(1);
        payment = payments.p2pkh({ pubkey: pub(keyIndexes[0]!), network });
        break;
      case 'p2wpkh':
        keyIndexes = freshKeys(1);
        payment = payments.p2wpkh({ pubkey: pub(keyIndexes[0]!), network });
        break;
      case 'p2sh-p2wpkh': {
        keyIndexes = freshKeys(1);
        const inner = payments.p2wpkh({ pubkey: pub(keyIndexes[0]!), network });
        payment = payments.p2sh({ redeem: inner, network });
        redeemScript = Buffer.from(inner.output!);
        break;
      }
      case 'p2sh-multisig': {
        keyIndexes = freshKeys(3);
        const ms = payments.p2ms({ m: 2, pubkeys: keyIndexes.map(pub), network });
        payment = payments.p2sh({ redeem: ms, network });
        redeemScript = Buffer.from(ms.output!);
        break;
      }
      case 'p2wsh': {
        keyIndexes = freshKeys(2);
        const ms = payments.p2ms({ m: 2, pubkeys: keyIndexes.map(pub), network });
        payment = payments.p2wsh({ redeem: ms, network });
        witnessScript = Buffer.from(ms.output!);
        break;
      }
      case 'p2tr':
        keyIndexes = freshKeys(1);
        payment = payments.p2tr({ internalPubkey: toXOnly(pub(keyIndexes[0]!)), network });
        break;
      default:
        throw new WalletError(`unknown address type ${type satisfies never}`);
    }
    const entry: OwnedAddress = {
      address: payment.address!,
      type,
      label,
      script: Buffer.from(payment.output!),
      keyIndexes,
      ...(redeemScript ? { redeemScript } : {}),
      ...(witnessScript ? { witnessScript } : {}),
    };
    owned.push(entry);
    byScript.set(entry.script.toString('hex'), entry);
    return entry;
  }

  function owns(addressOrScript: string | Buffer): OwnedAddress | undefined {
    if (Buffer.isBuffer(addressOrScript)) return byScript.get(addressOrScript.toString('hex'));
    try {
      return byScript.get(Buffer.from(bAddress.toOutputScript(addressOrScript, network)).toString('hex'));
    } catch {
      return undefined;
    }
  }

  function requireChain(): WalletChainView {
    if (!options.chain) throw new WalletError('this wallet has no chain to read coins from');
    return options.chain;
  }

  function listUnspent(filter: { label?: string; minConf?: number } = {}): Utxo[] {
    const chain = requireChain();
    const mine = filter.label === undefined ? owned : owned.filter((a) => a.label === filter.label);
    const minConf = filter.minConf ?? 0;
    return chain
      .listUnspent(mine.map((a) => a.script))
      .filter(
        (u) =>
          !locked.has(`${u.txid}:${u.vout}`) &&
          u.confirmations >= minConf &&
          (!u.coinbase || u.confirmations >= COINBASE_MATURITY),
      )
      .sort(
        (a, b) =>
          (a.value === b.value ? 0 : a.value > b.value ? -1 : 1) ||
          (a.height ?? Number.MAX_SAFE_INTEGER) - (b.height ?? Number.MAX_SAFE_INTEGER) ||
          a.txid.localeCompare(b.txid) ||
          a.vout - b.vout,
      );
  }

  const outputScript = (o: WalletOutput): Buffer => {
    if ('script' in o) return o.script;
    try {
      return Buffer.from(bAddress.toOutputScript(o.address, network));
    } catch (err) {
      throw new WalletError(`not a regtest address: ${o.address}`, { cause: err });
    }
  };

  function send(request: SendRequest): SignedTx {
    if (request.to.length === 0) throw new WalletError('a transaction needs at least one output');
    const outputs = request.to.map((o) => ({ script: outputScript(o), value: o.value }));
    const target = outputs.reduce((sum, o) => sum + o.value, 0n);
    const feeRate = request.feeRate ?? 2;
    const outputsVbytes = outputs.reduce((n, o) => n + 9 + o.script.length, 0);
    const CHANGE_VBYTES = 31;
    const feeFor = (inputs: Utxo[], withChange: boolean): bigint => {
      if (request.fee !== undefined) return request.fee;
      const vbytes =
        11 +
        outputsVbytes +
        (withChange ? CHANGE_VBYTES : 0) +
        inputs.reduce((n, u) => n + INPUT_VBYTES[ownerOf(u).type], 0);
      return BigInt(Math.ceil(vbytes * feeRate));
    };

    let inputs: Utxo[];
    if (Array.isArray(request.from)) {
      inputs = request.from;
      for (const u of inputs) ownerOf(u);
    } else {
      const pool = listUnspent(request.from && request.from !== 'any' ? { label: request.from.label } : {});
      inputs = [];
      let total = 0n;
      for (const u of pool) {
        if (inputs.length > 0 && total >= target + feeFor(inputs, true)) break;
        inputs.push(u);
        total += u.value;
      }
    }
    if (inputs.length === 0) throw new WalletError('no spendable coins');
    const totalIn = inputs.reduce((sum, u) => sum + u.value, 0n);
    let fee = feeFor(inputs, true);
    let change = totalIn - target - fee;
    if (change < DUST) {
      fee = feeFor(inputs, false);
      change = 0n;
      if (totalIn < target + fee) {
        throw new WalletError(`insufficient funds: have ${totalIn}, need ${target + fee} sats`);
      }
      // Dust change is left to the miner, as Core's wallet does.
      fee = totalIn - target;
    }

    const psbt = new Psbt({ network });
    psbt.setVersion(2);
    psbt.setLocktime(request.locktime ?? 0);
    const sequence = request.sequence ?? 0xfffffffd;
    for (const u of inputs) psbt.addInput(psbtInput(u, sequence));
    for (const o of outputs) psbt.addOutput({ script: o.script, value: o.value });
    let changeVout: number | undefined;
    if (change > 0n) {
      const changeScript = request.change
        ? outputScript({ address: request.change, value: 0n })
        : newAddress('p2wpkh', ownerOf(inputs[0]!).label).script;
      changeVout = outputs.length;
      psbt.addOutput({ script: changeScript, value: change });
    }
    inputs.forEach((u, i) => {
      const owner = ownerOf(u);
      if (owner.type === 'p2tr') {
        const key = keyPair(owner.keyIndexes[0]!);
        const tweaked = key.tweak(bCrypto.taggedHash('TapTweak', toXOnly(key.publicKey)));
        psbt.signInput(i, tweaked);
      } else {
        // Multisig signs with the first m keys (m = 2 for both multisig types).
        for (const k of owner.keyIndexes.slice(0, 2)) psbt.signInput(i, keyPair(k));
      }
      if (!psbt.validateSignaturesOfInput(i, validator)) {
        throw new WalletError(`signature of input ${i} does not verify`);
      }
    });
    psbt.finalizeAllInputs();
    const tx = psbt.extractTransaction(true);
    for (const u of inputs) locked.add(`${u.txid}:${u.vout}`);
    return {
      raw: Buffer.from(tx.toBuffer()),
      txid: tx.getId(),
      fee,
      vsize: tx.virtualSize(),
      inputs,
      changeVout,
    };
  }

  function ownerOf(u: Utxo): OwnedAddress {
    const owner = byScript.get(u.script.toString('hex'));
    if (!owner) throw new WalletError(`coin ${u.txid}:${u.vout} is not owned by this wallet`);
    return owner;
  }

  function prevTx(txid: string): Buffer {
    const found = requireChain().getTransaction(txid);
    if (!found) throw new WalletError(`previous transaction ${txid} not found`);
    return found.raw;
  }

  function psbtInput(u: Utxo, sequence: number): Parameters<Psbt['addInput']>[0] {
    const owner = ownerOf(u);
    const base = { hash: u.txid, index: u.vout, sequence };
    const witnessUtxo = { script: u.script, value: u.value };
    switch (owner.type) {
      case 'p2pkh':
        return { ...base, nonWitnessUtxo: prevTx(u.txid) };
      case 'p2sh-multisig':
        return { ...base, nonWitnessUtxo: prevTx(u.txid), redeemScript: owner.redeemScript! };
      case 'p2sh-p2wpkh':
        return { ...base, witnessUtxo, redeemScript: owner.redeemScript! };
      case 'p2wpkh':
        return { ...base, witnessUtxo };
      case 'p2wsh':
        return { ...base, witnessUtxo, witnessScript: owner.witnessScript! };
      case 'p2tr':
        return { ...base, witnessUtxo, tapInternalKey: toXOnly(pub(owner.keyIndexes[0]!)) };
    }
  }

  return {
    seed,
    newAddress,
    addresses: (filter = {}) =>
      owned.filter(
        (a) =>
          (filter.label === undefined || a.label === filter.label) &&
          (filter.type === undefined || a.type === filter.type),
      ),
    owns,
    labels: () => [...new Set(owned.map((a) => a.label).filter((l): l is string => l !== undefined))],
    keyPair,
    listUnspent,
    balance: (filter) => listUnspent(filter).reduce((sum, u) => sum + u.value, 0n),
    send,
    unlockAll: () => locked.clear(),
  };
}
