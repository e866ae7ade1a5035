import type { Network } from '@minetrace/shared/chain';
import { bech32, bech32m } from 'bech32';
import bs58check from 'bs58check';
import { badInput } from './errors.js';

const PREFIXES: Record<Network, { pubkeyHash: number; scriptHash: number; hrp: string }> = {
  main: { pubkeyHash: 0x00, scriptHash: 0x05, hrp: 'bc' },
  test: { pubkeyHash: 0x6f, scriptHash: 0xc4, hrp: 'tb' },
  signet: { pubkeyHash: 0x6f, scriptHash: 0xc4, hrp: 'tb' },
  regtest: { pubkeyHash: 0x6f, scriptHash: 0xc4, hrp: 'bcrt' },
};

/** Parses a txid or block hash given in display hex; BAD_USER_INPUT with the reason otherwise. */
export function parseHash(value: string, what: 'txid' | 'block hash'): Buffer {
  if (!/^[0-9a-fA-F]{64}$/.test(value)) {
    throw badInput(`${what} must be 64 hexadecimal characters, got ${describe(value)}`);
  }
  return Buffer.from(value.toLowerCase(), 'hex');
}

/**
 * Checks that `value` is an address of `network` (base58check P2PKH/P2SH, or bech32/bech32m segwit
 * per BIP173/BIP350) and returns it in the form the indexer stores (segwit lowercased).
 * `network` null (nothing indexed yet) accepts any network's.
 */
export function parseAddress(value: string, network: Network | null): string {
  const reason = addressProblem(value, network);
  if (reason !== null) throw badInput(`invalid address ${describe(value)}: ${reason}`);
  return isBech32Shaped(value) ? value.toLowerCase() : value;
}

/**
 * The form the indexer would store `value` in, without checking it: segwit addresses written all
 * in capitals are lowercased (BIP173), anything else is left as is (so a mixed-case one matches
 * nothing). A string found in this form is an address of the indexed network by construction;
 * only strings not found need `parseAddress`.
 */
export function addressLookupForm(value: string): string {
  return isBech32Shaped(value) && value === value.toUpperCase() ? value.toLowerCase() : value;
}

/** 'bc1', 'tb1', 'bcrt1': how a segwit address of each network starts. */
const BECH32_STARTS = [...new Set(Object.values(PREFIXES).map((p) => `${p.hrp}1`))];

function isBech32Shaped(value: string): boolean {
  const lower = value.toLowerCase();
  return BECH32_STARTS.some((start) => lower.startsWith(start));
}

function addressProblem(value: string, network: Network | null): string | null {
  if (value.length < 14 || value.length > 90) return 'wrong length';
  const networks = network === null ? (Object.keys(PREFIXES) as Network[]) : [network];
  if (isBech32Shaped(value)) {
    if (value !== value.toLowerCase() && value !== value.toUpperCase()) return 'mixed case';
    const lower = value.toLowerCase();
    // 'bcrt1…' also starts with 'bc'+'r…'; take the longest known prefix ('bc1' cannot start 'bcrt1').
    const hrp = Object.values(PREFIXES)
      .map((p) => p.hrp)
      .filter((h) => lower.startsWith(`${h}1`))
      .sort((a, b) => b.length - a.length)[0];
    if (!networks.some((n) => PREFIXES[n].hrp === hrp))
      return `not an address of ${network ?? 'any network'}`;
    // No string passes both checksums, so each decoding runs at most once (income queries check
    // up to a thousand addresses per operation).
    const asBech32 = bech32.decodeUnsafe(lower, 90);
    const asBech32m = asBech32 === undefined ? bech32m.decodeUnsafe(lower, 90) : undefined;
    const decoded = asBech32 ?? asBech32m;
    if (decoded === undefined || decoded.words.length === 0) return 'bad checksum';
    const version = decoded.words[0]!;
    const isBech32m = asBech32m !== undefined;
    if (version > 16) return 'bad witness version';
    if ((version === 0) === isBech32m) return 'wrong checksum variant for the witness version';
    const program = bech32.fromWordsUnsafe(decoded.words.slice(1));
    if (program === undefined || program.length < 2 || program.length > 40) return 'bad witness program';
    if (version === 0 && program.length !== 20 && program.length !== 32) return 'bad witness program length';
    return null;
  }
  let payload: Uint8Array;
  try {
    payload = bs58check.decode(value);
  } catch {
    return 'not base58check or bech32';
  }
  if (payload.length !== 21) return 'wrong payload length';
  const version = payload[0]!;
  if (!networks.some((n) => PREFIXES[n].pubkeyHash === version || PREFIXES[n].scriptHash === version)) {
    return `not an address of ${network ?? 'any network'}`;
  }
  return null;
}

function describe(value: string): string {
  return JSON.stringify(value.length > 100 ? `${value.slice(0, 100)}…` : value);
}

/** Parses a database id given as a GraphQL ID (a decimal integer). */
export function parseId(value: string, what: string): bigint {
  if (!/^\d{1,18}$/.test(value)) throw badInput(`${what} must be a decimal id, got ${describe(value)}`);
  return BigInt(value);
}
