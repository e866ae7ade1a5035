import { readFileSync } from 'node:fs';
import type { Network } from '@minetrace/shared/chain';
import { GraphQLError } from 'graphql';
import { describe, expect, it } from 'vitest';
import { addressLookupForm, parseAddress, parseHash, parseId } from './input-validation.js';

type Vector = [string, string, { chain: string; isPrivkey: boolean }];
const VECTORS = new URL('../../../../test/fixtures/vectors/', import.meta.url);
const valid = (JSON.parse(readFileSync(new URL('key_io_valid.json', VECTORS), 'utf8')) as Vector[]).filter(
  ([, , meta]) => !meta.isPrivkey,
);
const invalid = (JSON.parse(readFileSync(new URL('key_io_invalid.json', VECTORS), 'utf8')) as string[][]).map(
  (entry) => entry[0]!,
);
const NETWORK: Record<string, Network> = {
  main: 'main',
  testnet4: 'test',
  signet: 'signet',
  regtest: 'regtest',
};

function codeOf(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err instanceof GraphQLError ? err.extensions.code : err;
  }
  return 'accepted';
}

describe('address validation against Bitcoin Core key_io vectors', () => {
  it.each(valid)('accepts %s on its own network', (address, _script, meta) => {
    expect(parseAddress(address, NETWORK[meta.chain]!)).toBe(
      /^(bc|tb|bcrt)1/i.test(address) ? address.toLowerCase() : address,
    );
  });

  it('refuses every valid address on mainnet when it belongs to another network, and vice versa', () => {
    for (const [address, , meta] of valid) {
      const other: Network = meta.chain === 'main' ? 'regtest' : 'main';
      expect(codeOf(() => parseAddress(address, other))).toBe('BAD_USER_INPUT');
    }
  });

  it.each(invalid)('refuses the invalid string %s on every network', (address) => {
    for (const network of ['main', 'test', 'regtest'] as const) {
      expect(codeOf(() => parseAddress(address, network))).toBe('BAD_USER_INPUT');
    }
  });

  it('names the reason in the message', () => {
    expect(() => parseAddress('bcrt1qw508d6qejxtdg4y5r3zarvary0c5xw7kygt081', 'regtest')).toThrow(/checksum/);
    expect(() => parseAddress('bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4', 'regtest')).toThrow(/regtest/);
  });
});

describe('the lookup form of an address', () => {
  it('is the form parseAddress returns for every valid address, and keeps mixed case unmatched', () => {
    for (const [address, , meta] of valid) {
      const network = NETWORK[meta.chain]!;
      expect(addressLookupForm(address)).toBe(parseAddress(address, network));
      // BIP173 allows a segwit address in capitals; a base58 one in capitals is another string.
      const upper = address.toUpperCase();
      expect(addressLookupForm(upper)).toBe(/^(bc|tb|bcrt)1/i.test(address) ? address.toLowerCase() : upper);
    }
    const segwit = 'bcrt1qw508d6qejxtdg4y5r3zarvary0c5xw7kygt080';
    const mixed = `${segwit.slice(0, 10).toUpperCase()}${segwit.slice(10)}`;
    expect(addressLookupForm(mixed)).toBe(mixed);
    expect(() => parseAddress(mixed, 'regtest')).toThrow(/mixed case/);
  });
});

describe('hash and id parsing', () => {
  it('accepts 64 hex characters in either case and refuses anything else', () => {
    const hex = 'ab'.repeat(32);
    expect(parseHash(hex.toUpperCase(), 'txid').toString('hex')).toBe(hex);
    for (const bad of ['', 'ab'.repeat(31), `${'ab'.repeat(32)}0`, `${'zz'.repeat(32)}`]) {
      expect(codeOf(() => parseHash(bad, 'txid'))).toBe('BAD_USER_INPUT');
    }
  });

  it('accepts decimal ids only', () => {
    expect(parseId('42', 'cluster id')).toBe(42n);
    for (const bad of ['', '-1', '1.5', 'abc', '9'.repeat(30)]) {
      expect(codeOf(() => parseId(bad, 'cluster id'))).toBe('BAD_USER_INPUT');
    }
  });
});
