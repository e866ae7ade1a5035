import * as bitcoin from 'bitcoinjs-lib';
import { describe, expect, it } from 'vitest';
import { readJsonFixture } from './fixtures.testing.js';
import { networkFromChain } from './network.js';
import { addressForScript, classifyScript, scriptType } from './script.js';
import { hash160 } from './sha256.js';

type KeyIoRow = [string, string, { chain: string; isPrivkey: boolean }];

/** The type BIP 13/16/141/341/350 assign to a script of this shape. */
function expectedType(script: Buffer): string {
  if (script[0] === 0x76) return 'pubkeyhash';
  if (script[0] === 0xa9) return 'scripthash';
  if (script[0] === 0x00) return script.length === 22 ? 'witness_v0_keyhash' : 'witness_v0_scripthash';
  if (script[0] === 0x51 && script.length === 34) return 'witness_v1_taproot';
  return 'witness_unknown';
}

const h = (hex: string) => Buffer.from(hex, 'hex');
const PUB33 = h('0279be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798');
const PUB65 = h(
  '0479be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798483ada7726a3c4655da4fbfc0e1108a8fd17b448a68554199c47d08ffb10d4b8',
);

describe('key_io_valid.json address rows', () => {
  const rows = readJsonFixture<KeyIoRow[]>('vectors/key_io_valid.json').filter((r) => !r[2].isPrivkey);

  it('has address rows for every chain', () => {
    expect(rows.length).toBeGreaterThanOrEqual(50);
    expect(new Set(rows.map((r) => r[2].chain))).toEqual(new Set(['main', 'testnet4', 'signet', 'regtest']));
  });

  it.each(rows)('%s', (address, scriptHex, { chain }) => {
    const script = h(scriptHex);
    const network = networkFromChain(chain);
    expect(classifyScript(script, network)).toEqual({ type: expectedType(script), address });
    expect(addressForScript(script, network)).toBe(address);
  });
});

describe('scriptType follows Core', () => {
  it('anchor is exactly OP_1 <4e73>', () => {
    expect(classifyScript(h('51024e73'), 'main')).toEqual({ type: 'anchor', address: 'bc1pfeessrawgf' });
    expect(scriptType(h('51024e74'))).toBe('witness_unknown');
  });

  it('P2PK (33 and 65 byte keys) gives the P2PKH address of the key', () => {
    for (const key of [PUB33, PUB65]) {
      const script = Buffer.concat([Buffer.from([key.length]), key, h('ac')]);
      const expected = bitcoin.payments.p2pkh({ pubkey: key }).address;
      expect(classifyScript(script, 'main')).toEqual({ type: 'pubkey', address: expected });
      expect(hash160(key)).toEqual(Buffer.from(bitcoin.crypto.hash160(key)));
    }
    // The well-known uncompressed generator key's P2PKH address.
    expect(addressForScript(Buffer.concat([h('41'), PUB65, h('ac')]), 'main')).toBe(
      '1EHNa6Q4Jz2uvNExL497mE43ikXhwF6kZm',
    );
  });

  it('P2PK with a key of the wrong header byte is nonstandard', () => {
    const bad = Buffer.from(PUB33);
    bad[0] = 0x05;
    expect(scriptType(Buffer.concat([h('21'), bad, h('ac')]))).toBe('nonstandard');
  });

  it('bare multisig per Core (m of n keys, minimal numbers)', () => {
    const k = Buffer.concat([h('21'), PUB33]);
    const K = Buffer.concat([h('41'), PUB65]);
    expect(classifyScript(Buffer.concat([h('51'), k, K, h('52ae')]), 'main')).toEqual({
      type: 'multisig',
      address: null,
    });
    expect(scriptType(Buffer.concat([h('52'), k, h('51ae')]))).toBe('nonstandard'); // m > n
    expect(scriptType(Buffer.concat([h('51'), k, K, h('51ae')]))).toBe('nonstandard'); // n != keys
    expect(scriptType(Buffer.concat([h('51'), k, h('51ae00')]))).toBe('nonstandard'); // trailing op
    expect(scriptType(Buffer.concat([h('0101'), k, h('51ae')]))).toBe('nonstandard'); // non-minimal 1
    expect(scriptType(Buffer.concat([h('51'), h('02aabb'), h('51ae')]))).toBe('nonstandard'); // not a key
    expect(scriptType(h('ae'))).toBe('nonstandard');
  });

  it('nulldata only when everything after OP_RETURN is a push', () => {
    expect(classifyScript(h('6a'), 'main')).toEqual({ type: 'nulldata', address: null });
    expect(scriptType(h('6a0548656c6c6f'))).toBe('nulldata');
    expect(scriptType(h('6a4c0100'))).toBe('nulldata');
    expect(scriptType(h('6a0548656c6c6f75'))).toBe('nonstandard'); // followed by OP_DROP
    expect(scriptType(h('6a05aabb'))).toBe('nonstandard'); // push past the end
  });

  it('witness programs: v0 of other sizes is nonstandard, v1..16 of 2..40 bytes unknown', () => {
    expect(scriptType(Buffer.concat([h('0019'), Buffer.alloc(25)]))).toBe('nonstandard');
    expect(scriptType(Buffer.concat([h('6028'), Buffer.alloc(40, 1)]))).toBe('witness_unknown');
    expect(scriptType(Buffer.concat([h('6029'), Buffer.alloc(41, 1)]))).toBe('nonstandard');
    expect(scriptType(h('5101aa'))).toBe('nonstandard'); // 1-byte program
    expect(scriptType(Buffer.concat([h('5114'), Buffer.alloc(20, 1)]))).toBe('witness_unknown');
  });

  it('empty and odd scripts are nonstandard without an address', () => {
    expect(classifyScript(Buffer.alloc(0), 'main')).toEqual({ type: 'nonstandard', address: null });
    expect(classifyScript(h('51'), 'main')).toEqual({ type: 'nonstandard', address: null });
  });
});

describe('networkFromChain', () => {
  it('maps bitcoind chain names', () => {
    expect(networkFromChain('main')).toBe('main');
    expect(networkFromChain('test')).toBe('test');
    expect(networkFromChain('testnet4')).toBe('test');
    expect(networkFromChain('signet')).toBe('signet');
    expect(networkFromChain('regtest')).toBe('regtest');
    expect(() => networkFromChain('litecoin')).toThrow(/unknown chain/);
  });
});
