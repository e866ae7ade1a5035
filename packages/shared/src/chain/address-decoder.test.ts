import { bech32, bech32m } from 'bech32';
import { describe, expect, it } from 'vitest';
import { addressLookupForm, checkAddress } from './address-decoder.js';
import { readJsonFixture } from './fixtures.testing.js';
import { networkFromChain } from './network.js';
import { addressForScript, scriptType } from './script.js';
import { hash160 } from './sha256.js';
import { type Network, SCRIPT_TYPES, type ScriptType } from './types.js';

type Vector = [string, string, { chain: string; isPrivkey: boolean }];
const valid = readJsonFixture<Vector[]>('vectors/key_io_valid.json').filter(([, , meta]) => !meta.isPrivkey);
const invalid = readJsonFixture<string[][]>('vectors/key_io_invalid.json').map((entry) => entry[0]!);
const NETWORKS: Network[] = ['main', 'test', 'signet', 'regtest'];

const h = (hex: string) => Buffer.from(hex, 'hex');
const HASH20 = h('751e76e8199196d454941c45d1b3a323f1433bd6');
const HASH32 = h('1863143c14c5166804bd19203356da136c985678cd4d27a1b8c6329604903262');
const PUB33 = h('0279be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798');

/** One output script of every type the indexer stores, built by hand. */
const SCRIPTS: Record<ScriptType, Buffer> = {
  pubkey: Buffer.concat([h('21'), PUB33, h('ac')]),
  pubkeyhash: Buffer.concat([h('76a914'), HASH20, h('88ac')]),
  scripthash: Buffer.concat([h('a914'), HASH20, h('87')]),
  witness_v0_keyhash: Buffer.concat([h('0014'), HASH20]),
  witness_v0_scripthash: Buffer.concat([h('0020'), HASH32]),
  witness_v1_taproot: Buffer.concat([h('5120'), HASH32]),
  witness_unknown: Buffer.concat([h('5214'), HASH20]),
  anchor: h('51024e73'),
  multisig: Buffer.concat([h('5121'), PUB33, h('51ae')]),
  nulldata: h('6a0568656c6c6f'),
  nonstandard: h('ff'),
};

/** The types whose outputs have no address. */
const NO_ADDRESS = new Set<ScriptType>(['multisig', 'nulldata', 'nonstandard']);

/** The segwit address of `program` under a chosen checksum, whatever the version calls for. */
function segwitWith(variant: typeof bech32, hrp: string, version: number, program: Uint8Array): string {
  return variant.encode(hrp, [version, ...bech32.toWords(program)]);
}

function problemOf(value: string, network: Network | null): string {
  const check = checkAddress(value, network);
  if (check.ok) throw new Error(`${JSON.stringify(value)} was accepted on ${network}`);
  return check.problem;
}

describe('checkAddress against Bitcoin Core key_io vectors', () => {
  it('decodes every valid address on its own network to its script, segwit lowercased', () => {
    expect(valid.length).toBeGreaterThan(20);
    for (const [address, scriptHex, meta] of valid) {
      const network = networkFromChain(meta.chain);
      const check = checkAddress(address, network);
      expect(check, address).toEqual({
        ok: true,
        address: /^(bc|tb|bcrt)1/i.test(address) ? address.toLowerCase() : address,
        type: scriptType(h(scriptHex)),
        script: h(scriptHex),
      });
      // Before anything is indexed the network is unknown: any network's address is accepted.
      expect(checkAddress(address, null).ok).toBe(true);
    }
  });

  it('refuses every valid address on a network whose prefixes it does not use', () => {
    for (const [address, , meta] of valid) {
      const other: Network = meta.chain === 'main' ? 'regtest' : 'main';
      expect(problemOf(address, other)).toMatch(/^is a .* address, the index holds (mainnet|regtest)$/);
    }
  });

  it('refuses every invalid string on every network', () => {
    for (const address of invalid) {
      for (const network of [...NETWORKS, null]) {
        expect(checkAddress(address, network).ok, `${address} on ${network}`).toBe(false);
      }
    }
  });
});

describe('every script type the indexer stores', () => {
  it.each(NETWORKS)('round-trips through its address on %s', (network) => {
    for (const type of SCRIPT_TYPES) {
      const script = SCRIPTS[type];
      expect(scriptType(script), type).toBe(type);
      const address = addressForScript(script, network);
      if (NO_ADDRESS.has(type)) {
        expect(address, type).toBeNull();
        continue;
      }
      // P2PK has no address of its own: the indexer stores it under the key's P2PKH address.
      const stands = type === 'pubkey' ? Buffer.concat([h('76a914'), hash160(PUB33), h('88ac')]) : script;
      expect(checkAddress(address!, network), type).toEqual({
        ok: true,
        address,
        type: scriptType(stands),
        script: stands,
      });
      expect(checkAddress(address!.toUpperCase(), network).ok, type).toBe(/^(bc|tb|bcrt)1/.test(address!));
    }
  });
});

describe('network prefixes', () => {
  const addresses = (network: Network) => ({
    p2pkh: addressForScript(SCRIPTS.pubkeyhash, network)!,
    p2sh: addressForScript(SCRIPTS.scripthash, network)!,
    p2wpkh: addressForScript(SCRIPTS.witness_v0_keyhash, network)!,
  });

  it('are 1/3/bc1 on mainnet, m|n/2/tb1 on testnet and signet, m|n/2/bcrt1 on regtest', () => {
    expect(addresses('main')).toMatchObject({
      p2pkh: expect.stringMatching(/^1/),
      p2sh: expect.stringMatching(/^3/),
      p2wpkh: expect.stringMatching(/^bc1q/),
    });
    for (const network of ['test', 'signet'] as const) {
      expect(addresses(network)).toMatchObject({
        p2pkh: expect.stringMatching(/^[mn]/),
        p2sh: expect.stringMatching(/^2/),
        p2wpkh: expect.stringMatching(/^tb1q/),
      });
    }
    expect(addresses('regtest')).toMatchObject({
      p2pkh: expect.stringMatching(/^[mn]/),
      p2sh: expect.stringMatching(/^2/),
      p2wpkh: expect.stringMatching(/^bcrt1q/),
    });
  });

  it('share base58 versions between testnet, signet and regtest, but not the segwit prefix', () => {
    const test = addresses('test');
    for (const network of ['test', 'signet', 'regtest'] as const) {
      expect(checkAddress(test.p2pkh, network).ok).toBe(true);
      expect(checkAddress(test.p2sh, network).ok).toBe(true);
    }
    expect(checkAddress(test.p2wpkh, 'signet').ok).toBe(true);
    expect(problemOf(test.p2wpkh, 'regtest')).toBe('is a testnet or signet address, the index holds regtest');
    expect(problemOf(addresses('regtest').p2wpkh, 'test')).toBe(
      'is a regtest address, the index holds testnet',
    );
  });

  it("name the address's network and the index's when they differ", () => {
    const main = addresses('main');
    expect(problemOf(main.p2pkh, 'regtest')).toBe('is a mainnet address, the index holds regtest');
    expect(problemOf(main.p2sh, 'signet')).toBe('is a mainnet address, the index holds signet');
    expect(problemOf(main.p2wpkh, 'test')).toBe('is a mainnet address, the index holds testnet');
    expect(problemOf(addresses('test').p2pkh, 'main')).toBe(
      'is a testnet, signet or regtest address, the index holds mainnet',
    );
    expect(checkAddress(main.p2wpkh, 'regtest')).toMatchObject({
      message: `invalid address "${main.p2wpkh}": is a mainnet address, the index holds regtest`,
    });
  });

  it("refuse another coin's base58 version byte and a bech32 string of another human-readable part", () => {
    // A TRON address: base58check, 21 bytes, version 0x41.
    expect(problemOf('TUCsTq7TofTCJRRoHk6RvhMoS2mJLm5Yzq', null)).toBe(
      "base58 version byte 0x41 is no Bitcoin network's",
    );
    // A valid bech32 string whose human-readable part merely starts with 'bc1'.
    const lookalike = segwitWith(bech32, 'bc1qq', 0, HASH20);
    expect(lookalike.startsWith('bc1')).toBe(true);
    expect(problemOf(lookalike, 'main')).toBe('character 6 ("1") is not in the bech32 alphabet');
  });
});

describe('bech32 and bech32m', () => {
  it('takes v0 in bech32 and v1+ in bech32m only', () => {
    for (const [hrp, network] of [
      ['bc', 'main'],
      ['tb', 'test'],
      ['bcrt', 'regtest'],
    ] as const) {
      expect(checkAddress(segwitWith(bech32, hrp, 0, HASH20), network).ok).toBe(true);
      expect(checkAddress(segwitWith(bech32m, hrp, 1, HASH32), network).ok).toBe(true);
      expect(checkAddress(segwitWith(bech32m, hrp, 16, HASH20), network).ok).toBe(true);
      expect(problemOf(segwitWith(bech32m, hrp, 0, HASH20), network)).toBe(
        'witness v0 address with a bech32m checksum (v0 uses bech32)',
      );
      expect(problemOf(segwitWith(bech32, hrp, 1, HASH32), network)).toBe(
        'witness v1 address with a bech32 checksum (v1 and later use bech32m)',
      );
      expect(problemOf(segwitWith(bech32, hrp, 16, HASH20), network)).toMatch(
        /^witness v16 .* bech32 checksum/,
      );
    }
  });

  it('checks the witness program: version, length, and v0 sizes', () => {
    expect(problemOf(segwitWith(bech32m, 'bc', 17, HASH20), 'main')).toBe('bad witness version');
    // One byte is too short for mainnet's 14 characters; regtest's longer prefix reaches the check.
    expect(problemOf(segwitWith(bech32m, 'bcrt', 1, h('00')), 'regtest')).toBe(
      'witness program of 1 bytes (2 to 40 allowed)',
    );
    expect(problemOf(segwitWith(bech32m, 'bc', 1, Buffer.alloc(41)), 'main')).toBe(
      'witness program of 41 bytes (2 to 40 allowed)',
    );
    expect(problemOf(segwitWith(bech32, 'bc', 0, Buffer.alloc(24)), 'main')).toBe(
      'witness v0 program of 24 bytes (20 or 32 allowed)',
    );
  });

  it('says which checksum failed, and when a character is not in the alphabet', () => {
    // BIP173's P2WPKH example with its last checksum character changed.
    expect(problemOf('bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t5', 'main')).toBe('bad bech32 checksum');
    expect(problemOf('bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3tb', 'main')).toBe(
      'character 42 ("b") is not in the bech32 alphabet',
    );
    expect(problemOf('BCRT1QW508D6QEJXTDG4Y5R3ZARVARY0C5XW7KYGT08O', 'regtest')).toBe(
      'character 44 ("o") is not in the bech32 alphabet',
    );
    const p2pkh = addressForScript(SCRIPTS.pubkeyhash, 'main')!;
    const typo = `${p2pkh.slice(0, -1)}${p2pkh.endsWith('z') ? 'y' : 'z'}`;
    expect(problemOf(typo, 'main')).toBe('bad base58check checksum');
    expect(problemOf('not-an-address', 'main')).toBe('not base58check or bech32');
  });
});

describe('input as users give it', () => {
  const segwit = addressForScript(SCRIPTS.witness_v0_keyhash, 'regtest')!;
  const p2pkh = addressForScript(SCRIPTS.pubkeyhash, 'regtest')!;

  it('accepts a segwit address in capitals and refuses one in mixed case', () => {
    expect(checkAddress(segwit.toUpperCase(), 'regtest')).toMatchObject({ ok: true, address: segwit });
    const mixed = `${segwit.slice(0, 10).toUpperCase()}${segwit.slice(10)}`;
    expect(problemOf(mixed, 'regtest')).toBe('mixed case');
    // Base58 is case-sensitive: another case is another string, which fails its checksum.
    expect(problemOf(p2pkh.toUpperCase(), 'regtest')).toBe('bad base58check checksum');
  });

  it('drops surrounding whitespace but not whitespace inside', () => {
    expect(checkAddress(` \t${segwit}\r\n`, 'regtest')).toMatchObject({ ok: true, address: segwit });
    expect(checkAddress(`  ${p2pkh} `, 'regtest')).toMatchObject({ ok: true, address: p2pkh });
    expect(checkAddress(`${p2pkh.slice(0, 10)} ${p2pkh.slice(10)}`, 'regtest').ok).toBe(false);
    expect(checkAddress(`${segwit.slice(0, 10)} ${segwit.slice(10)}`, 'regtest').ok).toBe(false);
  });

  it('says an empty or blank string is empty', () => {
    expect(checkAddress('', 'main')).toEqual({
      ok: false,
      problem: 'empty',
      message: 'invalid address "": empty',
    });
    expect(problemOf(' \n\t', null)).toBe('empty');
  });

  it('refuses too short and too long strings on their length', () => {
    expect(problemOf('bc1qqqqqq', 'main')).toBe('wrong length (9 characters)');
    expect(problemOf(`bc1q${'q'.repeat(87)}`, 'main')).toBe('wrong length (91 characters)');
  });

  it('refuses absurdly long input on its length alone and quotes only its first 100 characters', () => {
    for (const huge of [`bcrt1q${'q'.repeat(5_000_000)}`, `${' '.repeat(5_000_000)}${segwit}`]) {
      // The second is a valid address once trimmed: refused all the same, before any trimming.
      expect(checkAddress(huge, 'regtest')).toEqual({
        ok: false,
        problem: `wrong length (${huge.length} characters)`,
        message: `invalid address ${JSON.stringify(`${huge.slice(0, 100)}…`)}: wrong length (${huge.length} characters)`,
      });
    }
  });
});

describe('addressLookupForm', () => {
  it('is the form checkAddress returns for every valid address, however it is cased or padded', () => {
    for (const [address, , meta] of valid) {
      const check = checkAddress(address, networkFromChain(meta.chain));
      expect(check.ok).toBe(true);
      const stored = check.ok ? check.address : '';
      expect(addressLookupForm(address)).toBe(stored);
      expect(addressLookupForm(` ${address}\n`)).toBe(stored);
      // BIP173 allows a segwit address in capitals; a base58 one in capitals is another string.
      const upper = address.toUpperCase();
      expect(addressLookupForm(upper)).toBe(/^(bc|tb|bcrt)1/i.test(address) ? stored : upper);
    }
  });

  it('leaves a mixed-case segwit address unmatched, as checkAddress refuses it', () => {
    const segwit = addressForScript(SCRIPTS.witness_v0_keyhash, 'regtest')!;
    const mixed = `${segwit.slice(0, 10).toUpperCase()}${segwit.slice(10)}`;
    expect(addressLookupForm(mixed)).toBe(mixed);
    expect(checkAddress(mixed, 'regtest').ok).toBe(false);
  });
});
