import { bech32, bech32m } from 'bech32';
import bs58check from 'bs58check';
import { addressParams } from './network.js';
import { scriptType } from './script.js';
import type { Network, ScriptType } from './types.js';

const NETWORKS: readonly Network[] = ['main', 'test', 'signet', 'regtest'];
const NETWORK_NAMES: Record<Network, string> = {
  main: 'mainnet',
  test: 'testnet',
  signet: 'signet',
  regtest: 'regtest',
};

/** Longest address of any kind: bech32's limit (BIP173). */
export const MAX_ADDRESS_LENGTH = 90;
/** Shortest: a v1+ witness program of two bytes on mainnet (`bc1pfeessrawgf`). */
const MIN_ADDRESS_LENGTH = 14;
/** Longer input is refused before it is trimmed or decoded, however much of it is whitespace. */
const MAX_INPUT_LENGTH = 200;
/** How much of a refused input an error message quotes. */
const MAX_QUOTED = 100;
const BASE58 = /^[1-9A-HJ-NP-Za-km-z]+$/;
/** Anything that may not follow a segwit address's separator '1' (bech32 has no 1, b, i or o). */
const NOT_BECH32 = /[^qpzry9x8gf2tvdw0s3jn54khce6mua7l]/;

/**
 * A user's address string checked against the indexed network. `address` is the form the indexer
 * stores (surrounding whitespace removed, segwit lowercased), so it equals the `addresses.address` of
 * the same script; `script` is that output script and `type` its type (`pubkeyhash` for a P2PKH
 * address, even where the indexer found it as the P2PK `pubkey` output it stands for). A refusal's
 * `problem` says why without quoting the input; `message` is `invalid address "<input>": <problem>`,
 * the input cut to 100 characters.
 */
export type AddressCheck = ({ ok: true } & DecodedAddress) | { ok: false; problem: string; message: string };

interface DecodedAddress {
  address: string;
  type: ScriptType;
  script: Buffer;
}

/**
 * Decodes `value` as an address of `network`: base58check P2PKH/P2SH, or segwit bech32 (v0, BIP173)
 * / bech32m (v1+, BIP350) with the network's human-readable part. `network` null (nothing indexed
 * yet) accepts any network's. Pure and cheap on refusal: absurdly long input is refused on its length
 * alone, and each checksum is computed at most once (income queries check up to a thousand addresses).
 */
export function checkAddress(value: string, network: Network | null): AddressCheck {
  const decoded = decode(value, network);
  if (typeof decoded === 'string') {
    return { ok: false, problem: decoded, message: `invalid address ${quote(value)}: ${decoded}` };
  }
  return { ok: true, ...decoded };
}

/**
 * The form the indexer would store `value` in, without checking it: surrounding whitespace removed,
 * segwit addresses written all in capitals lowercased (BIP173), anything else left as is (so a
 * mixed-case one matches nothing). Equals `checkAddress(value).address` wherever that accepts;
 * a string found in this form is therefore an address of the indexed network, and only strings not
 * found need `checkAddress`. Input longer than any padded address comes back unchanged.
 */
export function addressLookupForm(value: string): string {
  if (value.length > MAX_INPUT_LENGTH) return value;
  const text = value.trim();
  // Every human-readable part starts with a letter, so text that does not start with a capital is
  // not a bech32 address in capitals, and is its own form (most lookups: a thousand per income query).
  const first = text.charCodeAt(0);
  if (!(first >= 65 && first <= 90)) return text;
  return bech32Hrp(text) !== undefined && text === text.toUpperCase() ? text.toLowerCase() : text;
}

/** Every network's human-readable part, longest first, each with its separator. */
const HRP_PREFIXES = [...new Set(NETWORKS.map((n) => addressParams(n).hrp))]
  .sort((a, b) => b.length - a.length)
  .map((hrp) => ({ hrp, prefix: `${hrp}1` }));

/** The longest known human-readable part `text` starts with (`bcrt1…` is regtest, not `bc`). */
function bech32Hrp(text: string): string | undefined {
  const head = text.slice(0, HRP_PREFIXES[0]!.prefix.length).toLowerCase();
  return HRP_PREFIXES.find(({ prefix }) => head.startsWith(prefix))?.hrp;
}

/** 'mainnet', 'testnet or signet', 'testnet, signet or regtest': the networks an encoding fits. */
function networksNamed(fits: (n: Network) => boolean): string {
  const names = NETWORKS.filter(fits).map((n) => NETWORK_NAMES[n]);
  return names.length === 1 ? names[0]! : `${names.slice(0, -1).join(', ')} or ${names.at(-1)}`;
}

function otherNetwork(fits: (n: Network) => boolean, network: Network): string {
  return `is a ${networksNamed(fits)} address, the index holds ${NETWORK_NAMES[network]}`;
}

/** The decoded address, or the problem with it. */
function decode(value: string, network: Network | null): DecodedAddress | string {
  if (value.length > MAX_INPUT_LENGTH) return `wrong length (${value.length} characters)`;
  const text = value.trim();
  if (text === '') return 'empty';
  if (text.length < MIN_ADDRESS_LENGTH || text.length > MAX_ADDRESS_LENGTH) {
    return `wrong length (${text.length} characters)`;
  }
  const hrp = bech32Hrp(text);
  return hrp === undefined ? decodeBase58(text, network) : decodeSegwit(text, hrp, network);
}

function decodeSegwit(text: string, hrp: string, network: Network | null): DecodedAddress | string {
  const lower = text.toLowerCase();
  if (text !== lower && text !== text.toUpperCase()) return 'mixed case';
  const fits = (n: Network) => addressParams(n).hrp === hrp;
  if (network !== null && !fits(network)) return otherNetwork(fits, network);
  // Checked before the checksum so a typo gets its own reason; a second '1' (another human-readable
  // part that merely starts like ours) is caught here too.
  const data = lower.slice(hrp.length + 1);
  const bad = data.search(NOT_BECH32);
  if (bad >= 0) return `character ${hrp.length + 2 + bad} ("${data[bad]}") is not in the bech32 alphabet`;
  // No string passes both checksums: bech32m is computed only where bech32 fails.
  const asBech32 = bech32.decodeUnsafe(lower, MAX_ADDRESS_LENGTH);
  const decoded = asBech32 ?? bech32m.decodeUnsafe(lower, MAX_ADDRESS_LENGTH);
  if (decoded === undefined) return 'bad bech32 checksum';
  const version = decoded.words[0];
  if (version === undefined) return 'no witness version';
  if (version > 16) return 'bad witness version';
  if (version === 0 && asBech32 === undefined) {
    return 'witness v0 address with a bech32m checksum (v0 uses bech32)';
  }
  if (version > 0 && asBech32 !== undefined) {
    return `witness v${version} address with a bech32 checksum (v1 and later use bech32m)`;
  }
  const program = bech32.fromWordsUnsafe(decoded.words.slice(1));
  if (program === undefined) return 'bad witness program';
  if (program.length < 2 || program.length > 40) {
    return `witness program of ${program.length} bytes (2 to 40 allowed)`;
  }
  if (version === 0 && program.length !== 20 && program.length !== 32) {
    return `witness v0 program of ${program.length} bytes (20 or 32 allowed)`;
  }
  // OP_0, or OP_1..OP_16 (0x51..0x60), then one push of the program.
  const script = Buffer.from([version === 0 ? 0 : 0x50 + version, program.length, ...program]);
  return { address: lower, type: scriptType(script), script };
}

function decodeBase58(text: string, network: Network | null): DecodedAddress | string {
  if (!BASE58.test(text)) return 'not base58check or bech32';
  const payload = bs58check.decodeUnsafe(text);
  if (payload === undefined) return 'bad base58check checksum';
  if (payload.length !== 21) return `wrong base58 payload length (${payload.length} bytes, 21 expected)`;
  const version = payload[0]!;
  const hash = payload.subarray(1);
  const isKeyHash = (n: Network) => addressParams(n).pubkeyHash === version;
  const isScriptHash = (n: Network) => addressParams(n).scriptHash === version;
  const fits = (n: Network) => isKeyHash(n) || isScriptHash(n);
  if (!NETWORKS.some(fits)) {
    return `base58 version byte 0x${version.toString(16).padStart(2, '0')} is no Bitcoin network's`;
  }
  if (network !== null && !fits(network)) return otherNetwork(fits, network);
  if (NETWORKS.some(isKeyHash)) {
    // OP_DUP OP_HASH160 <20> OP_EQUALVERIFY OP_CHECKSIG
    const script = Buffer.from([0x76, 0xa9, 20, ...hash, 0x88, 0xac]);
    return { address: text, type: 'pubkeyhash', script };
  }
  // OP_HASH160 <20> OP_EQUAL
  const script = Buffer.from([0xa9, 20, ...hash, 0x87]);
  return { address: text, type: 'scripthash', script };
}

function quote(value: string): string {
  return JSON.stringify(value.length > MAX_QUOTED ? `${value.slice(0, MAX_QUOTED)}…` : value);
}
