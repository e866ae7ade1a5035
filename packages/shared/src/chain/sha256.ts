import { hash } from 'node:crypto';

/**
 * SHA256d (SHA-256 of SHA-256) of `bytes`, in hash (internal) byte order, as a fresh Buffer.
 * Uses Node's one-shot `crypto.hash`, which is the fastest path for anything longer than a
 * few dozen bytes (transactions, headers).
 */
export function sha256d(bytes: Uint8Array): Buffer {
  return hash('sha256', hash('sha256', bytes, 'buffer'), 'buffer');
}

/** HASH160 (RIPEMD-160 of SHA-256), as used by P2PKH and P2SH. */
export function hash160(bytes: Uint8Array): Buffer {
  return hash('ripemd160', hash('sha256', bytes, 'buffer'), 'buffer');
}

/*
 * A small SHA-256 on 32-bit words for the two hot paths where inputs are tiny and fixed-shape:
 * merkle nodes (64 bytes) and base58check checksums (21 bytes). There, the per-call cost of
 * `crypto.hash` (~1 µs each way) dominates the actual hashing, so staying in JS is ~3x faster.
 */
const K = new Int32Array([
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5, 0xd807aa98,
  0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786,
  0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8,
  0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13,
  0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819,
  0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a,
  0x5b9cca4f, 0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7,
  0xc67178f2,
]);
const IV = new Int32Array([
  0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
]);

/** Fills the message schedule w[16..63] from the block in w[0..15]. */
function schedule(w: Int32Array): void {
  for (let i = 16; i < 64; i++) {
    const x = w[i - 15]!;
    const y = w[i - 2]!;
    const s0 = ((x >>> 7) | (x << 25)) ^ ((x >>> 18) | (x << 14)) ^ (x >>> 3);
    const s1 = ((y >>> 17) | (y << 15)) ^ ((y >>> 19) | (y << 13)) ^ (y >>> 10);
    w[i] = (w[i - 16]! + s0 + w[i - 7]! + s1) | 0;
  }
}

/** One compression of `state` with a scheduled block `w`. */
function rounds(state: Int32Array, w: Int32Array): void {
  let a = state[0]!;
  let b = state[1]!;
  let c = state[2]!;
  let d = state[3]!;
  let e = state[4]!;
  let f = state[5]!;
  let g = state[6]!;
  let h = state[7]!;
  for (let i = 0; i < 64; i++) {
    const s1 = ((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^ ((e >>> 25) | (e << 7));
    const t1 = (h + s1 + ((e & f) ^ (~e & g)) + K[i]! + w[i]!) | 0;
    const s0 = ((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^ ((a >>> 22) | (a << 10));
    const t2 = (s0 + ((a & b) ^ (a & c) ^ (b & c))) | 0;
    h = g;
    g = f;
    f = e;
    e = (d + t1) | 0;
    d = c;
    c = b;
    b = a;
    a = (t1 + t2) | 0;
  }
  state[0] = (state[0]! + a) | 0;
  state[1] = (state[1]! + b) | 0;
  state[2] = (state[2]! + c) | 0;
  state[3] = (state[3]! + d) | 0;
  state[4] = (state[4]! + e) | 0;
  state[5] = (state[5]! + f) | 0;
  state[6] = (state[6]! + g) | 0;
  state[7] = (state[7]! + h) | 0;
}

/** The second block of any 64-byte message is constant padding: schedule it once. */
const PAD_64 = new Int32Array(64);
PAD_64[0] = 0x80000000 | 0;
PAD_64[15] = 512;
schedule(PAD_64);

const W = new Int32Array(64);
const STATE = new Int32Array(8);

/**
 * SHA256d of the message block in `W` (filled big-endian and padded by the caller, or a full
 * 64-byte message when `sixtyFour`); the digest words are left in STATE.
 */
function sha256dOfWords(sixtyFour: boolean): void {
  STATE.set(IV);
  schedule(W);
  rounds(STATE, W);
  if (sixtyFour) rounds(STATE, PAD_64);
  // Second pass: a 32-byte message, always one block.
  for (let i = 0; i < 8; i++) W[i] = STATE[i]!;
  W[8] = 0x80000000 | 0;
  W.fill(0, 9, 15);
  W[15] = 256;
  STATE.set(IV);
  schedule(W);
  rounds(STATE, W);
}

/**
 * SHA256d of the concatenation of two 32-byte hashes given as 8 big-endian words each, at word
 * offsets `left` and `right` of `src`; the 8 result words go to `dst` at word offset `at`.
 */
export function sha256dNode(src: Int32Array, left: number, right: number, dst: Int32Array, at: number): void {
  for (let i = 0; i < 8; i++) {
    W[i] = src[left + i]!;
    W[8 + i] = src[right + i]!;
  }
  sha256dOfWords(true);
  for (let i = 0; i < 8; i++) dst[at + i] = STATE[i]!;
}

/**
 * The second round of a SHA256d whose first round `first` (32 bytes) was computed natively:
 * one compression with fixed padding, in JS, because a second `crypto.hash` call costs more
 * in call overhead than the hashing itself. The digest goes, as 8 big-endian words, to `dst`
 * at word offset `at`; the caller makes the txid Buffer from them (`wordsToHash`).
 */
export function sha256Tail(first: Uint8Array, dst: Int32Array, at: number): void {
  for (let i = 0; i < 8; i++) {
    const j = 4 * i;
    W[i] = (first[j]! << 24) | (first[j + 1]! << 16) | (first[j + 2]! << 8) | first[j + 3]!;
  }
  W[8] = 0x80000000 | 0;
  W.fill(0, 9, 15);
  W[15] = 256;
  STATE.set(IV);
  schedule(W);
  rounds(STATE, W);
  for (let i = 0; i < 8; i++) dst[at + i] = STATE[i]!;
}

/** The 32-byte hash held as 8 big-endian words at `at`, in display (reversed) byte order. */
export function wordsToDisplayHash(words: Int32Array, at: number): Buffer {
  const out = Buffer.allocUnsafe(32);
  for (let i = 0; i < 8; i++) out.writeInt32LE(words[at + i]!, 28 - 4 * i);
  return out;
}

/** SHA256d of a short message (at most 55 bytes); the first 4 bytes of the digest. */
export function sha256dChecksum(bytes: Uint8Array, start: number, end: number): number {
  const len = end - start;
  if (len > 55)
    return hash('sha256', hash('sha256', bytes.subarray(start, end), 'buffer'), 'buffer').readInt32BE(0);
  W.fill(0, 0, 16);
  for (let i = 0; i < len; i++) W[i >> 2] = W[i >> 2]! | (bytes[start + i]! << (24 - 8 * (i & 3)));
  W[len >> 2] = W[len >> 2]! | (0x80 << (24 - 8 * (len & 3)));
  W[15] = len * 8;
  sha256dOfWords(false);
  return STATE[0]!;
}
