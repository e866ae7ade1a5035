import { describe, expect, it } from 'vitest';
import { parseTagCsv } from './csv-parser.js';

const F2POOL = '1KFHE7w8BhaENAswwryaoccDb6qcT6DbYY';
const BIP173 = 'bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4';

describe('parseTagCsv', () => {
  it('reads rows by header name, maps level names to 0..1 and lowercases segwit addresses and categories', () => {
    const content = [
      'label,address,category,source,confidence,actor',
      `"Example, Inc.",${F2POOL},Exchange,https://example.org/a,0.75,example`,
      `Other,${BIP173.toUpperCase()},service,list,ownership,`,
      '',
    ].join('\n');
    const parsed = parseTagCsv(content, { network: 'main' });
    expect(parsed.problems).toEqual([]);
    expect(parsed.tags).toEqual([
      {
        address: F2POOL,
        label: 'Example, Inc.',
        category: 'exchange',
        source: 'https://example.org/a',
        confidence: 0.75,
        actor: 'example',
        abuse: null,
        isClusterDefiner: false,
        tagpack: null,
      },
      {
        address: BIP173,
        label: 'Other',
        category: 'service',
        source: 'list',
        // `ownership` is GraphSense level 100 → 100 / 100.
        confidence: 1,
        actor: null,
        abuse: null,
        isClusterDefiner: false,
        tagpack: null,
      },
    ]);
  });

  it('reports every problem with its line number', () => {
    const content = [
      'address,label,category,source,confidence',
      `${F2POOL},ok,exchange,s,0.5`,
      `${F2POOL.slice(0, -1)}Z,bad address,exchange,s,0.5`,
      `${F2POOL},,exchange,s,0.5`,
      `${F2POOL},too sure,exchange,s,1.5`,
      `${F2POOL},short`,
      `${F2POOL},pool,miner,mining-pools dataset,1`,
    ].join('\n');
    const parsed = parseTagCsv(content, { network: 'main' });
    expect(parsed.tags.map((t) => t.label)).toEqual(['ok']);
    expect(parsed.problems.map((p) => p.at)).toEqual([
      'line 3 (address)',
      'line 4 (label)',
      'line 5 (confidence)',
      'line 6',
      'line 7 (source)',
    ]);
    expect(parsed.problems[2]!.message).toMatch(/unknown confidence "1.5"/);
    expect(parsed.problems[3]!.message).toBe('expected 5 fields, got 2');
    expect(parsed.invalidEntries).toBe(5);
  });

  it('refuses a header without the required columns and imports nothing', () => {
    const parsed = parseTagCsv(`address,label,source\n${F2POOL},a,b\n`, { network: 'main' });
    expect(parsed.tags).toEqual([]);
    expect(parsed.problems).toEqual([
      { at: 'line 1', message: 'missing column "category"' },
      { at: 'line 1', message: 'missing column "confidence"' },
    ]);
    expect(parsed.invalidEntries).toBe(1);
  });

  it('reports malformed CSV at the line where it breaks', () => {
    const parsed = parseTagCsv(`address,label,category,source,confidence\n${F2POOL},"open,exchange,s,1\n`, {
      network: 'main',
    });
    expect(parsed.tags).toEqual([]);
    expect(parsed.problems).toHaveLength(1);
    // The quote opens on line 2 and is never closed.
    expect(parsed.problems[0]!.at).toBe('line 2');
    expect(parsed.problems[0]!.message).toMatch(/not valid CSV: Quote Not Closed/);
  });
});
