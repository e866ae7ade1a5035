/**
 * Hashing and header primitives shared by the block builder and the chain's validation.
 * Internal hashes are SHA256d output in internal (little-endian) order; `toDisplayHex` is the
 * one place that reverses them into the display-order hex bitcoind prints.
 */
import { createHash } from 'node:crypto';

/** Regtest's compact target (`powLimit`): about one hash in two meets it. */
export const REGTEST_BITS = 0x207fffff;

export function sha256(data: Uint8Array): Buffer {
  return createHash('sha256').update(data).digest();
}

export function sha256d(data: Uint8Array): Buffer {
  return sha256(sha256(data));
}

/** Internal-order hash → display-order hex. */
export function toDisplayHex(internal: Uint8Array): string {
  return Buffer.from(internal).reverse().toString('hex');
}

/** Display-order hex → internal-order bytes. */
export function fromDisplayHex(hex: string): Buffer {
  return Buffer.from(hex, 'hex').reverse();
}

/** The 256-bit target a compact `bits` value encodes. */
export function targetFromBits(bits: number): bigint {
  const exponent = bits >>> 24;
  const mantissa = BigInt(bits & 0x007fffff);
  return exponent <= 3 ? mantissa >> BigInt(8 * (3 - exponent)) : mantissa << BigInt(8 * (exponent - 3));
}

/** True when the 80-byte header's hash, read as a little-endian number, is at most the target. */
export function meetsTarget(header: Uint8Array, bits: number): boolean {
  const hash = sha256d(header);
  return BigInt('0x' + toDisplayHex(hash)) <= targetFromBits(bits);
}

/**
 * Grinds the nonce (bytes 76..80) of an 80-byte header in place until its hash meets `bits`;
 * returns the nonce. Only practical for easy targets such as regtest's.
 */
export function solveHeader(header: Buffer, bits: number, startNonce = 0): number {
  const target = targetFromBits(bits);
  for (let nonce = startNonce >>> 0, tries = 0; tries <= 0xffffffff; nonce = (nonce + 1) >>> 0, tries++) {
    header.writeUInt32LE(nonce, 76);
    if (BigInt('0x' + toDisplayHex(sha256d(header))) <= target) return nonce;
  }
  throw new Error('no nonce meets the target');
}

/** Merkle root of internal-order hashes, duplicating the last one at odd levels as Bitcoin does. */
export function merkleRoot(hashes: Buffer[]): Buffer {
  if (hashes.length === 0) return Buffer.alloc(32);
  let level = hashes;
  while (level.length > 1) {
    const next: Buffer[] = [];
    for (let i = 0; i < level.length; i += 2) {
      const left = level[i]!;
      const right = level[i + 1] ?? left;
      next.push(sha256d(Buffer.concat([left, right])));
    }
    level = next;
  }
  return level[0]!;
}
