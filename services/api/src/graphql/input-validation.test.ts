import { GraphQLError } from 'graphql';
import { describe, expect, it } from 'vitest';
import { parseAddress, parseHash, parseId } from './input-validation.js';

function codeOf(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err instanceof GraphQLError ? err.extensions.code : err;
  }
  return 'accepted';
}

// The address decoder itself is tested in @minetrace/shared/chain; this is the API's edge of it.
describe('parseAddress', () => {
  it('returns the stored form of an address of the indexed network', () => {
    expect(parseAddress(' BCRT1QW508D6QEJXTDG4Y5R3ZARVARY0C5XW7KYGT080 ', 'regtest')).toBe(
      'bcrt1qw508d6qejxtdg4y5r3zarvary0c5xw7kygt080',
    );
    expect(parseAddress('1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2', null)).toBe(
      '1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2',
    );
  });

  it('refuses anything else as BAD_USER_INPUT, naming the input and the reason', () => {
    expect(codeOf(() => parseAddress('bcrt1qw508d6qejxtdg4y5r3zarvary0c5xw7kygt08q', 'regtest'))).toBe(
      'BAD_USER_INPUT',
    );
    expect(() => parseAddress('bcrt1qw508d6qejxtdg4y5r3zarvary0c5xw7kygt08q', 'regtest')).toThrow(
      'invalid address "bcrt1qw508d6qejxtdg4y5r3zarvary0c5xw7kygt08q": bad bech32 checksum',
    );
    expect(() => parseAddress('bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4', 'regtest')).toThrow(
      'invalid address "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4": is a mainnet address, the index holds regtest',
    );
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
