import { decodeScriptNum } from './script.js';

const OP_1 = 0x51;
const OP_16 = 0x60;

/** The BIP34 height of a coinbase scriptSig, and where the bytes after its push begin. */
export interface CoinbaseHeight {
  height: number | null;
  /** Offset in the scriptSig of the first byte after the height push (0 when there is none). */
  rest: number;
}

/**
 * Reads the BIP34 height: the scriptSig must begin exactly as Core's `CScript() << height`
 * would write it, that is OP_1..OP_16 for heights 1..16 and otherwise a minimal push of a
 * positive script number of at most 4 bytes. Anything else gives null (height 0, the genesis
 * block, has no BIP34 height). Blocks mined before BIP34 often begin with some other push,
 * which reads as a number too: callers that know the height should compare.
 */
export function coinbaseHeight(scriptSig: Uint8Array): CoinbaseHeight {
  const b0 = scriptSig[0];
  if (b0 === undefined) return { height: null, rest: 0 };
  if (b0 >= OP_1 && b0 <= OP_16) return { height: b0 - OP_1 + 1, rest: 1 };
  if (b0 >= 1 && b0 <= 4 && scriptSig.length >= 1 + b0) {
    const n = decodeScriptNum(scriptSig, 1, b0);
    if (n !== null && n > 16) return { height: n, rest: 1 + b0 };
  }
  return { height: null, rest: 0 };
}

const PRINTABLE = /^[\p{L}\p{M}\p{N}\p{P}\p{S}\p{Zs}]$/u;
/** Runs shorter than this many characters are kept only when they hold a 3- or 4-byte character. */
const MIN_RUN = 3;

/**
 * The coinbase tag: the printable runs of valid UTF-8 in `bytes[from..]`, trimmed, joined by
 * single spaces. A run is kept when it has at least 3 characters (pool tags as short as
 * "EMC" exist) or holds a character encoded in 3 or 4 bytes (CJK text, emoji such as F2Pool's
 * "🐟", which random extranonce bytes almost never form); shorter ASCII or 2-byte runs are
 * usually extranonce noise. Printable means a letter, mark, number, punctuation, symbol or space.
 */
export function coinbaseTag(bytes: Uint8Array, from: number): string {
  const runs: string[] = [];
  let run = '';
  const flush = (): void => {
    const text = run.trim();
    run = '';
    if (text.length === 0) return;
    let chars = 0;
    let wide = false;
    for (const ch of text) {
      chars++;
      if (ch.codePointAt(0)! >= 0x800) wide = true;
    }
    if (chars >= MIN_RUN || wide) runs.push(text);
  };
  let i = from;
  const end = bytes.length;
  while (i < end) {
    const len = utf8Length(bytes, i, end);
    if (len === 0) {
      flush();
      i++;
      continue;
    }
    const ch = Buffer.from(bytes.buffer, bytes.byteOffset + i, len).toString('utf8');
    if (PRINTABLE.test(ch)) run += ch;
    else flush();
    i += len;
  }
  flush();
  return runs.join(' ');
}

/** Length of the well-formed UTF-8 sequence at `i` (Unicode table 3-7), or 0 when ill-formed. */
function utf8Length(b: Uint8Array, i: number, end: number): number {
  const c = b[i]!;
  if (c < 0x80) return 1;
  const cont = (k: number, lo = 0x80, hi = 0xbf): boolean =>
    i + k < end && b[i + k]! >= lo && b[i + k]! <= hi;
  if (c >= 0xc2 && c <= 0xdf) return cont(1) ? 2 : 0;
  if (c >= 0xe0 && c <= 0xef) {
    const lo = c === 0xe0 ? 0xa0 : 0x80;
    const hi = c === 0xed ? 0x9f : 0xbf;
    return cont(1, lo, hi) && cont(2) ? 3 : 0;
  }
  if (c >= 0xf0 && c <= 0xf4) {
    const lo = c === 0xf0 ? 0x90 : 0x80;
    const hi = c === 0xf4 ? 0x8f : 0xbf;
    return cont(1, lo, hi) && cont(2) && cont(3) ? 4 : 0;
  }
  return 0;
}

const COMMITMENT_PREFIX = [0x6a, 0x24, 0xaa, 0x21, 0xa9, 0xed];

/**
 * The BIP141 witness commitment of a coinbase: per Core, the last output whose script is at
 * least 38 bytes and begins `6a24aa21a9ed`; its 32 bytes after that prefix.
 */
export function witnessCommitment(scripts: readonly Uint8Array[]): Buffer | null {
  for (let k = scripts.length - 1; k >= 0; k--) {
    const s = scripts[k]!;
    if (s.length < 38) continue;
    let match = true;
    for (let j = 0; j < 6; j++) if (s[j] !== COMMITMENT_PREFIX[j]) match = false;
    if (match) return Buffer.from(s.buffer, s.byteOffset + 6, 32);
  }
  return null;
}
