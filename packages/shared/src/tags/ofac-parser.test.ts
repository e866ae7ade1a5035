import { describe, expect, it } from 'vitest';
import { readFixture } from '../chain/fixtures.testing.js';
import { parseOfacList } from './ofac-parser.js';

const list = readFixture('ofac/sanctioned_addresses_XBT.txt').toString('utf8');

describe('parseOfacList', () => {
  it('reads the real SDN list as sanctioned tags, and finds the one entry that is not a Bitcoin address', () => {
    const lines = list.split('\n').filter((line) => line.trim() !== '');
    // The published list holds 435 entries, one a line; line 355 is a Tron (base58 'T…') address
    // filed under XBT, so 435 - 1 = 434 are Bitcoin addresses.
    expect(lines.length).toBe(435);
    const parsed = parseOfacList(list, { network: 'main' });
    expect(parsed.problems).toEqual([
      {
        at: 'line 355',
        message:
          'invalid address "TUCsTq7TofTCJRRoHk6RvhMoS2mJLm5Yzq": base58 version byte 0x41 is no Bitcoin network\'s',
      },
    ]);
    expect(parsed.invalidEntries).toBe(1);
    expect(parsed.tags.length).toBe(434);
    expect(parsed.tags[0]).toEqual({
      address: lines[0]!.trim(),
      label: 'OFAC SDN',
      category: 'sanctioned',
      source: 'US Treasury OFAC SDN list',
      tagpack: 'OFAC SDN list (XBT)',
      confidence: 1,
    });
    expect(new Set(parsed.tags.map((t) => t.category))).toEqual(new Set(['sanctioned']));
  });

  it('reports each bad line by number and keeps the good ones', () => {
    const content = [
      '# comment',
      '123WBUDmSJv4GctdVEz6Qq6z8nXSKrJ4KX',
      '',
      '123WBUDmSJv4GctdVEz6Qq6z8nXSKrJ4KY',
      'two words',
      'bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4',
    ].join('\n');
    const parsed = parseOfacList(content, { network: 'main' });
    expect(parsed.tags.map((t) => t.address)).toEqual([
      '123WBUDmSJv4GctdVEz6Qq6z8nXSKrJ4KX',
      'bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4',
    ]);
    expect(parsed.problems.map((p) => p.at)).toEqual(['line 4', 'line 5']);
    expect(parsed.problems[0]!.message).toMatch(
      /invalid address "123WBUDmSJv4GctdVEz6Qq6z8nXSKrJ4KY": bad base58check checksum/,
    );
    expect(parsed.invalidEntries).toBe(2);
  });

  it('refuses mainnet addresses when the indexed network is regtest', () => {
    const parsed = parseOfacList('123WBUDmSJv4GctdVEz6Qq6z8nXSKrJ4KX\n', { network: 'regtest' });
    expect(parsed.tags).toEqual([]);
    expect(parsed.problems).toEqual([
      {
        at: 'line 1',
        message:
          'invalid address "123WBUDmSJv4GctdVEz6Qq6z8nXSKrJ4KX": is a mainnet address, the index holds regtest',
      },
    ]);
  });
});
