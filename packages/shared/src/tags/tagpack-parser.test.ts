import { describe, expect, it } from 'vitest';
import { parseTagPack } from './tagpack-parser.js';
import { writeTagPack } from './tagpack-writer.js';

const F2POOL = '1KFHE7w8BhaENAswwryaoccDb6qcT6DbYY';
const OFAC = '123WBUDmSJv4GctdVEz6Qq6z8nXSKrJ4KX';
const BIP173 = 'bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4';

const PACK = `
title: Example pack
creator: Example Research
is_public: true
description: Addresses from public reports
source: https://example.org/report
currency: BTC
category: exchange
confidence: service_data
tags:
  - address: ${F2POOL}
    label: Example Exchange
    actor: example
  - address: ${OFAC}
    label: Lazarus Group
    category: perpetrator
    abuse: Sanctioned
    confidence: authority_data
    is_cluster_definer: true
  - address: ${BIP173.toUpperCase()}
    label: Concept only
    category: null
    concepts: [mixing_service, coinjoin]
    confidence: 0.3
`;

describe('parseTagPack', () => {
  it('applies header defaults, maps named levels and falls back to the first concept', () => {
    const parsed = parseTagPack(PACK, { network: 'main' });
    expect(parsed.problems).toEqual([]);
    expect(parsed.header).toEqual({
      title: 'Example pack',
      creator: 'Example Research',
      isPublic: true,
      description: 'Addresses from public reports',
    });
    const common = { source: 'https://example.org/report', tagpack: 'Example pack' };
    expect(parsed.tags).toEqual([
      {
        ...common,
        address: F2POOL,
        label: 'Example Exchange',
        category: 'exchange',
        // service_data is GraphSense level 50 → 0.5.
        confidence: 0.5,
        actor: 'example',
        abuse: null,
        isClusterDefiner: false,
      },
      {
        ...common,
        address: OFAC,
        label: 'Lazarus Group',
        category: 'perpetrator',
        // authority_data is level 60 → 0.6.
        confidence: 0.6,
        actor: null,
        abuse: 'sanctioned',
        isClusterDefiner: true,
      },
      {
        ...common,
        address: BIP173,
        label: 'Concept only',
        category: 'mixing_service',
        confidence: 0.3,
        actor: null,
        abuse: null,
        isClusterDefiner: false,
      },
    ]);
  });

  it('reports problems by YAML path, a bad inherited default once at its header path', () => {
    const content = `
title: Bad pack
creator: someone
label: default label
confidence: very_sure
tags:
  - address: ${F2POOL}
    source: s
    category: exchange
  - address: ${F2POOL}
    label: ok
    source: s
    category: exchange
    confidence: ownership
  - address: not-an-address
    source: s
    category: exchange
    confidence: 0.5
  - address: ${OFAC}
    source: s
    category: exchange
    confidence: 0.5
    currency: ETH
    colour: red
  - just a string
`;
    const parsed = parseTagPack(content, { network: 'main' });
    expect(parsed.tags.map((t) => t.label)).toEqual(['ok']);
    expect(parsed.problems.map((p) => p.at)).toEqual([
      'confidence',
      'tags[2].address',
      'tags[3].colour',
      'tags[3].currency',
      'tags[4]',
    ]);
    expect(parsed.problems[0]!.message).toMatch(/unknown confidence "very_sure"/);
    expect(parsed.problems[1]!.message).toBe('invalid address "not-an-address": not base58check or bech32');
    expect(parsed.invalidEntries).toBe(4);
  });

  it('refuses addresses of another network than the indexed one', () => {
    const parsed = parseTagPack(PACK, { network: 'regtest' });
    expect(parsed.tags).toEqual([]);
    expect(parsed.problems.map((p) => p.at)).toEqual([
      'tags[0].address',
      'tags[1].address',
      'tags[2].address',
    ]);
  });

  it('reports a missing header field and a YAML syntax error by line', () => {
    expect(parseTagPack('creator: x\ntags: []\n', { network: 'main' }).problems).toEqual([
      { at: 'title', message: 'title is required' },
    ]);
    const broken = parseTagPack('title: x\ncreator: y\ntags:\n  - address: [unclosed\n', { network: 'main' });
    expect(broken.tags).toEqual([]);
    expect(broken.problems[0]!.at).toMatch(/^line [45]$/);
    expect(broken.problems[0]!.message).toMatch(/^not valid YAML/);
  });

  it('reads back what writeTagPack writes', () => {
    const parsed = parseTagPack(PACK, { network: 'main' });
    const written = writeTagPack(
      { title: 'Example pack', creator: 'minetrace', isPublic: false, description: null },
      parsed.tags,
    );
    const again = parseTagPack(written, { network: 'main' });
    expect(again.problems).toEqual([]);
    expect(again.tags).toEqual(parsed.tags);
  });
});
