import { bech32, bech32m } from 'bech32';
import bs58check from 'bs58check';
import { addressParams } from '../chain/network.js';
import type { Network } from '../chain/types.js';

const NETWORKS: Network[] = ['main', 'test', 'signet', 'regtest'];

/** An address in stored form, or why it is not one of the network's. */
export type AddressCheck = { ok: true; address: string } | { ok: false; problem: string };

/**
 * Checks that `value` is an address of `network`: base58check P2PKH/P2SH, or segwit bech32 (v0,
 * BIP173) / bech32m (v1+, BIP350). Returns it in the form the indexer stores (segwit lowercased), so a
 * tag matches the `addresses.address` of the same script. `network` null (nothing indexed yet)
 * accepts any network's.
 */
export function checkAddress(value: string, network: Network | null): AddressCheck {
  const problem = addressProblem(value, network);
  if (problem !== null) return { ok: false, problem };
  return { ok: true, address: bech32Hrp(value) === undefined ? value : value.toLowerCase() };
}

/** The longest known human-readable part `value` starts with ('bcrt1…' is regtest, not 'bc'). */
function bech32Hrp(value: string): string | undefined {
  const lower = value.toLowerCase();
  return NETWORKS.map((n) => addressParams(n).hrp)
    .filter((hrp) => lower.startsWith(`${hrp}1`))
    .sort((a, b) => b.length - a.length)[0];
}

function addressProblem(value: string, network: Network | null): string | null {
  const networks = network === null ? NETWORKS : [network];
  const expected = network === null ? 'any network' : `network ${network}`;
  if (value.length < 14 || value.length > 90) return `wrong length (${value.length} characters)`;
  const hrp = bech32Hrp(value);
  if (hrp !== undefined) {
    if (value !== value.toLowerCase() && value !== value.toUpperCase()) return 'mixed case';
    if (!networks.some((n) => addressParams(n).hrp === hrp)) return `not an address of ${expected}`;
    const lower = value.toLowerCase();
    const asBech32 = bech32.decodeUnsafe(lower, 90);
    const asBech32m = bech32m.decodeUnsafe(lower, 90);
    const decoded = asBech32 ?? asBech32m;
    if (decoded === undefined || decoded.words.length === 0) return 'bad bech32 checksum';
    const version = decoded.words[0]!;
    if (version > 16) return 'bad witness version';
    if ((version === 0) !== (asBech32 !== undefined)) return 'wrong checksum variant for the witness version';
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
  if (payload.length !== 21) return 'wrong base58 payload length';
  const version = payload[0]!;
  const params = networks.map(addressParams);
  if (!params.some((p) => p.pubkeyHash === version || p.scriptHash === version)) {
    return `not an address of ${expected}`;
  }
  return null;
}
