import { describe, expect, it } from 'vitest';
import { readJsonFixture } from '../chain/fixtures.testing.js';
import type { Network } from '../chain/types.js';
import { checkAddress } from './tag-address.js';

type Vector = [string, string, { chain: string; isPrivkey: boolean }];
const valid = readJsonFixture<Vector[]>('vectors/key_io_valid.json').filter(([, , meta]) => !meta.isPrivkey);
const invalid = readJsonFixture<string[][]>('vectors/key_io_invalid.json').map((entry) => entry[0]!);
const NETWORK: Record<string, Network> = {
  main: 'main',
  testnet4: 'test',
  signet: 'signet',
  regtest: 'regtest',
};

describe('checkAddress against Bitcoin Core key_io vectors', () => {
  it('accepts every valid address on its own network, segwit lowercased, and refuses it on another', () => {
    expect(valid.length).toBeGreaterThan(20);
    for (const [address, , meta] of valid) {
      const network = NETWORK[meta.chain]!;
      expect(checkAddress(address, network)).toEqual({
        ok: true,
        address: /^(bc|tb|bcrt)1/i.test(address) ? address.toLowerCase() : address,
      });
      const other: Network = network === 'main' ? 'regtest' : 'main';
      expect(checkAddress(address, other).ok).toBe(false);
      // Before anything is indexed the network is unknown: any network's address is accepted.
      expect(checkAddress(address, null).ok).toBe(true);
    }
  });

  it('refuses every invalid string on every network', () => {
    for (const address of invalid) {
      for (const network of ['main', 'test', 'regtest', null] as const) {
        expect(checkAddress(address, network).ok, `${address} on ${network}`).toBe(false);
      }
    }
  });

  it('says why', () => {
    // BIP173's P2WPKH example with its last checksum character changed.
    expect(checkAddress('bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t5', 'main')).toEqual({
      ok: false,
      problem: 'bad bech32 checksum',
    });
    expect(checkAddress('bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4', 'regtest')).toEqual({
      ok: false,
      problem: 'not an address of network regtest',
    });
  });
});
