import { bech32, bech32m } from 'bech32';
import { sha256dChecksum } from './sha256.js';

const ALPHABET = '123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz';
/** Every pair of base58 digits, so a base-58^4 limb becomes two lookups. */
const PAIRS: string[] = [];
for (let i = 0; i < 58 * 58; i++) PAIRS.push(ALPHABET[Math.floor(i / 58)]! + ALPHABET[i % 58]!);
const BASE = 58 ** 4;
const payload = new Uint8Array(25);
const limbs = new Float64Array(12);

/**
 * Base58check of `version || hash[offset..offset+20]`. Hand-written because `bs58check` costs
 * ~10 µs an address (JS SHA-256 plus a byte-at-a-time quadratic base conversion), which
 * dominated block decoding; this one converts 24 bits at a time into base-58^4 limbs (all
 * products stay below 2^53) and checksums with the word-level SHA-256.
 */
export function base58checkHash20(version: number, hash: Uint8Array, offset: number): string {
  payload[0] = version;
  for (let i = 0; i < 20; i++) payload[1 + i] = hash[offset + i]!;
  const check = sha256dChecksum(payload, 0, 21);
  payload[21] = check >>> 24;
  payload[22] = (check >>> 16) & 0xff;
  payload[23] = (check >>> 8) & 0xff;
  payload[24] = check & 0xff;

  let zeros = 0;
  while (zeros < 25 && payload[zeros] === 0) zeros++;
  let n = 0;
  // 25 bytes = 1 + 8 * 3: the first byte alone, then eight 24-bit chunks.
  for (let c = 0; c < 9; c++) {
    let carry =
      c === 0 ? payload[0]! : (payload[3 * c - 2]! << 16) | (payload[3 * c - 1]! << 8) | payload[3 * c]!;
    for (let j = 0; j < n; j++) {
      const x = limbs[j]! * 16777216 + carry;
      const q = Math.floor(x / BASE);
      limbs[j] = x - q * BASE;
      carry = q;
    }
    while (carry > 0) {
      const q = Math.floor(carry / BASE);
      limbs[n++] = carry - q * BASE;
      carry = q;
    }
  }
  let out = '';
  for (let j = n - 1; j >= 0; j--) {
    const limb = limbs[j]!;
    const hi = Math.floor(limb / 3364);
    out += PAIRS[hi]! + PAIRS[limb - hi * 3364]!;
  }
  // The top limb may carry leading zero digits; strip them, then add one '1' per zero byte.
  let lead = 0;
  while (lead < out.length && out.charCodeAt(lead) === 49) lead++;
  return '1'.repeat(zeros) + out.slice(lead);
}

/** Segwit address (BIP173 bech32 for v0, BIP350 bech32m for v1+) of a witness program. */
export function segwitAddress(hrp: string, version: number, program: Uint8Array): string {
  const words = bech32.toWords(program);
  words.unshift(version);
  return version === 0 ? bech32.encode(hrp, words) : bech32m.encode(hrp, words);
}
