import { base58checkHash20, segwitAddress } from './address-encoding.js';
import { addressParams } from './network.js';
import { hash160 } from './sha256.js';
import type { Network, ScriptType } from './types.js';

/** An output script's type (Bitcoin Core's name) and its address on one network. */
export interface ScriptInfo {
  type: ScriptType;
  /** Null for nulldata, bare multisig and nonstandard scripts; P2PKH of the key for `pubkey`. */
  address: string | null;
}

const OP_0 = 0x00;
const OP_PUSHDATA1 = 0x4c;
const OP_PUSHDATA2 = 0x4d;
const OP_PUSHDATA4 = 0x4e;
const OP_1 = 0x51;
const OP_16 = 0x60;
const OP_RETURN = 0x6a;
const OP_DUP = 0x76;
const OP_EQUAL = 0x87;
const OP_EQUALVERIFY = 0x88;
const OP_HASH160 = 0xa9;
const OP_CHECKSIG = 0xac;
const OP_CHECKMULTISIG = 0xae;
const MAX_PUBKEYS_PER_MULTISIG = 20;

/** Core's `CPubKey::ValidSize`: the header byte announces a 33- or 65-byte key. */
function validPubkeySize(script: Uint8Array, start: number, len: number): boolean {
  if (len === 0) return false;
  const header = script[start]!;
  if (header === 2 || header === 3) return len === 33;
  if (header === 4 || header === 6 || header === 7) return len === 65;
  return false;
}

/** One parsed script op, as Core's `GetScriptOp`: the opcode and the pushed data's bounds. */
interface Op {
  opcode: number;
  dataStart: number;
  dataLen: number;
  /** Offset of the next op. */
  next: number;
}

/** Reads the op at `pc`, or returns null when a push runs past the end (Core: GetOp fails). */
function readOp(script: Uint8Array, pc: number, op: Op): boolean {
  const end = script.length;
  if (pc >= end) return false;
  const opcode = script[pc++]!;
  let len = 0;
  if (opcode <= OP_PUSHDATA4) {
    if (opcode < OP_PUSHDATA1) len = opcode;
    else if (opcode === OP_PUSHDATA1) {
      if (end - pc < 1) return false;
      len = script[pc]!;
      pc += 1;
    } else if (opcode === OP_PUSHDATA2) {
      if (end - pc < 2) return false;
      len = script[pc]! | (script[pc + 1]! << 8);
      pc += 2;
    } else {
      if (end - pc < 4) return false;
      len = (script[pc]! | (script[pc + 1]! << 8) | (script[pc + 2]! << 16) | (script[pc + 3]! << 24)) >>> 0;
      pc += 4;
    }
    if (end - pc < len) return false;
  }
  op.opcode = opcode;
  op.dataStart = pc;
  op.dataLen = len;
  op.next = pc + len;
  return true;
}

/** Core's `CheckMinimalPush` for a push op. */
function minimalPush(script: Uint8Array, op: Op): boolean {
  const { opcode, dataLen } = op;
  if (dataLen === 0) return opcode === OP_0;
  if (dataLen === 1) {
    const v = script[op.dataStart]!;
    if (v >= 1 && v <= 16) return false;
    if (v === 0x81) return false;
  }
  if (dataLen <= 75) return opcode === dataLen;
  if (dataLen <= 255) return opcode === OP_PUSHDATA1;
  if (dataLen <= 65535) return opcode === OP_PUSHDATA2;
  return true;
}

/** Core's solver `GetScriptNumber`: OP_1..OP_16 or a minimal script-number push, within [min, max]. */
function scriptNumber(script: Uint8Array, op: Op, min: number, max: number): number | null {
  let n: number;
  if (op.opcode >= OP_1 && op.opcode <= OP_16) {
    n = op.opcode - OP_1 + 1;
  } else if (op.opcode > OP_0 && op.opcode <= OP_PUSHDATA4) {
    if (!minimalPush(script, op)) return null;
    const v = decodeScriptNum(script, op.dataStart, op.dataLen);
    if (v === null) return null;
    n = v;
  } else {
    return null;
  }
  return n < min || n > max ? null : n;
}

/**
 * A minimally encoded CScriptNum of at most 4 bytes (little-endian, sign bit in the last byte),
 * or null when longer or not minimal.
 */
export function decodeScriptNum(bytes: Uint8Array, start: number, len: number): number | null {
  if (len === 0) return 0;
  if (len > 4) return null;
  const last = bytes[start + len - 1]!;
  if ((last & 0x7f) === 0 && (len === 1 || (bytes[start + len - 2]! & 0x80) === 0)) return null;
  let v = 0;
  for (let i = 0; i < len; i++) v += bytes[start + i]! * 2 ** (8 * i);
  if (last & 0x80) return -(v - 0x80 * 2 ** (8 * (len - 1)));
  return v;
}

function isMultisig(script: Uint8Array): boolean {
  const end = script.length;
  if (end < 1 || script[end - 1] !== OP_CHECKMULTISIG) return false;
  const op: Op = { opcode: 0, dataStart: 0, dataLen: 0, next: 0 };
  if (!readOp(script, 0, op)) return false;
  const required = scriptNumber(script, op, 1, MAX_PUBKEYS_PER_MULTISIG);
  if (required === null) return false;
  let keys = 0;
  let pc = op.next;
  let ok = readOp(script, pc, op);
  while (ok && validPubkeySize(script, op.dataStart, op.dataLen)) {
    keys++;
    pc = op.next;
    ok = readOp(script, pc, op);
  }
  // Core's loop ends on the first op that is not a key (or fails to parse); that op is n.
  if (!ok) return false;
  const n = scriptNumber(script, op, required, MAX_PUBKEYS_PER_MULTISIG);
  if (n === null || keys !== n) return false;
  return op.next + 1 === end;
}

/** Core's `IsPushOnly` over script[from..]: every op parses and is at most OP_16. */
function isPushOnly(script: Uint8Array, from: number): boolean {
  const op: Op = { opcode: 0, dataStart: 0, dataLen: 0, next: 0 };
  let pc = from;
  while (pc < script.length) {
    if (!readOp(script, pc, op)) return false;
    if (op.opcode > OP_16) return false;
    pc = op.next;
  }
  return true;
}

/**
 * The type of an output script, following Bitcoin Core's `Solver` in its order: anchor,
 * P2SH, witness programs, nulldata, P2PK, P2PKH, bare multisig, else nonstandard.
 */
export function scriptType(script: Uint8Array): ScriptType {
  const len = script.length;
  const b0 = script[0];
  if (len === 4 && b0 === OP_1 && script[1] === 2 && script[2] === 0x4e && script[3] === 0x73)
    return 'anchor';
  if (len === 23 && b0 === OP_HASH160 && script[1] === 20 && script[22] === OP_EQUAL) return 'scripthash';
  if (len >= 4 && len <= 42 && (b0 === OP_0 || (b0! >= OP_1 && b0! <= OP_16)) && script[1]! + 2 === len) {
    if (b0 === OP_0) {
      if (len === 22) return 'witness_v0_keyhash';
      if (len === 34) return 'witness_v0_scripthash';
      return 'nonstandard';
    }
    if (b0 === OP_1 && len === 34) return 'witness_v1_taproot';
    return 'witness_unknown';
  }
  if (len >= 1 && b0 === OP_RETURN && isPushOnly(script, 1)) return 'nulldata';
  if ((len === 35 || len === 67) && b0 === len - 2 && script[len - 1] === OP_CHECKSIG) {
    if (validPubkeySize(script, 1, len - 2)) return 'pubkey';
  }
  if (
    len === 25 &&
    b0 === OP_DUP &&
    script[1] === OP_HASH160 &&
    script[2] === 20 &&
    script[23] === OP_EQUALVERIFY &&
    script[24] === OP_CHECKSIG
  ) {
    return 'pubkeyhash';
  }
  if (isMultisig(script)) return 'multisig';
  return 'nonstandard';
}

/** The address of a script of known `type` on `network` (see `ScriptInfo.address`). */
function addressOf(script: Uint8Array, type: ScriptType, network: Network): string | null {
  const params = addressParams(network);
  switch (type) {
    case 'pubkeyhash':
      return base58checkHash20(params.pubkeyHash, script, 3);
    case 'scripthash':
      return base58checkHash20(params.scriptHash, script, 2);
    case 'pubkey':
      return base58checkHash20(params.pubkeyHash, hash160(script.subarray(1, script.length - 1)), 0);
    case 'witness_v0_keyhash':
    case 'witness_v0_scripthash':
      return segwitAddress(params.hrp, 0, script.subarray(2));
    case 'witness_v1_taproot':
    case 'witness_unknown':
    case 'anchor':
      return segwitAddress(params.hrp, script[0]! - OP_1 + 1, script.subarray(2));
    default:
      return null;
  }
}

/** Type and address of an output script on `network`. */
export function classifyScript(script: Uint8Array, network: Network): ScriptInfo {
  const type = scriptType(script);
  return { type, address: addressOf(script, type, network) };
}

/** The address of an output script on `network`, or null where it has none. */
export function addressForScript(script: Uint8Array, network: Network): string | null {
  return addressOf(script, scriptType(script), network);
}
