import { sha256dChecksum } from './sha256.js';

const ALPHABET = '123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz';
const ALPHABET_CODES = Uint8Array.from(ALPHABET, (c) => c.charCodeAt(0));
/** An address's characters, written in place before one read into a flat string. */
const chars = Buffer.alloc(128);
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
  // Digits are written as char codes and read out once: a string built by concatenation is a rope that
  // every later reader (joins into SQL literals, map keys) has to flatten first, at about 1 µs an address.
  let at = 0;
  for (let i = 0; i < zeros; i++) chars[at++] = 49;
  let leading = true;
  for (let j = n - 1; j >= 0; j--) {
    const limb = limbs[j]!;
    for (let d = 3; d >= 0; d--) {
      const digit = Math.floor(limb / 58 ** d) % 58;
      // The top limb may carry leading zero digits: they are not part of the number.
      if (leading && digit === 0) continue;
      leading = false;
      chars[at++] = ALPHABET_CODES[digit]!;
    }
  }
  return chars.toString('latin1', 0, at);
}

const BECH32_CHARSET = Uint8Array.from('qpzry9x8gf2tvdw0s3jn54khce6mua7l', (c) => c.charCodeAt(0));
const GENERATOR = [0x3b6a57b2, 0x26508e6d, 0x1ea119fa, 0x3d4233dd, 0x2a1462b3];
/** The constant the checksum is xored with: BIP173 for witness v0, BIP350 (bech32m) for v1 and above. */
const BECH32_CONST = 1;
const BECH32M_CONST = 0x2bc830a3;

/** Per value of a checksum's top five bits, the generator terms they xor in (BIP173's loop, tabled). */
const GENERATOR_TERMS = Int32Array.from({ length: 32 }, (_, top) => {
  let terms = 0;
  for (let i = 0; i < 5; i++) if ((top >>> i) & 1) terms ^= GENERATOR[i]!;
  return terms;
});

function polymodStep(chk: number, value: number): number {
  return ((chk & 0x1ffffff) << 5) ^ value ^ GENERATOR_TERMS[chk >>> 25]!;
}

/** Per human-readable part, the checksum state after it and its characters with the separator. */
const hrpPrefixes = new Map<string, { chk: number; chars: Buffer }>();

function hrpPrefix(hrp: string): { chk: number; chars: Buffer } {
  let prefix = hrpPrefixes.get(hrp);
  if (prefix === undefined) {
    let chk = 1;
    for (let i = 0; i < hrp.length; i++) chk = polymodStep(chk, hrp.charCodeAt(i) >>> 5);
    chk = polymodStep(chk, 0);
    for (let i = 0; i < hrp.length; i++) chk = polymodStep(chk, hrp.charCodeAt(i) & 31);
    prefix = { chk, chars: Buffer.from(`${hrp}1`, 'latin1') };
    hrpPrefixes.set(hrp, prefix);
  }
  return prefix;
}

/**
 * Segwit address (BIP173 bech32 for v0, BIP350 bech32m for v1+) of a witness program.
 * Hand-written rather than through the `bech32` package for the same reason as base58 above: that one
 * appends character by character, and the rope it returns costs every reader a flattening. This writes
 * the characters in place and reads them out once; the tests compare it with bitcoinjs. Every output of
 * a block is encoded: the checksum steps are tabled and the human-readable part's are computed once.
 */
export function segwitAddress(hrp: string, version: number, program: Uint8Array): string {
  const prefix = hrpPrefix(hrp);
  let chk = prefix.chk;
  let at = prefix.chars.copy(chars, 0);
  chk = polymodStep(chk, version);
  chars[at++] = BECH32_CHARSET[version]!;
  // 8-bit bytes to 5-bit words, the last padded with zero bits.
  let acc = 0;
  let bits = 0;
  for (let i = 0; i < program.length; i++) {
    acc = ((acc << 8) | program[i]!) & 0xfff;
    bits += 8;
    while (bits >= 5) {
      bits -= 5;
      const value = (acc >>> bits) & 31;
      chk = polymodStep(chk, value);
      chars[at++] = BECH32_CHARSET[value]!;
    }
  }
  if (bits > 0) {
    const value = (acc << (5 - bits)) & 31;
    chk = polymodStep(chk, value);
    chars[at++] = BECH32_CHARSET[value]!;
  }
  for (let i = 0; i < 6; i++) chk = polymodStep(chk, 0);
  chk ^= version === 0 ? BECH32_CONST : BECH32M_CONST;
  for (let i = 0; i < 6; i++) chars[at++] = BECH32_CHARSET[(chk >>> (5 * (5 - i))) & 31]!;
  return chars.toString('latin1', 0, at);
}
