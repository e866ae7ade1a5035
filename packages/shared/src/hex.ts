/**
 * Hashes (block hashes, txids) are kept in display byte order everywhere in minetrace:
 * in `BlockRows`, in Postgres `bytea` columns and on the wire of the API. The decoder
 * reverses SHA256d output once; nothing else ever reverses bytes. These are the only
 * conversions between that form and hex text.
 */
export function hashToHex(hash: Uint8Array): string {
  return Buffer.from(hash.buffer, hash.byteOffset, hash.byteLength).toString('hex');
}

const HASH_HEX = /^[0-9a-fA-F]{64}$/;

/** Parses a 64-character display-order hex hash; returns null when it is not one. */
export function hexToHash(hex: string): Buffer | null {
  if (!HASH_HEX.test(hex)) return null;
  return Buffer.from(hex, 'hex');
}
