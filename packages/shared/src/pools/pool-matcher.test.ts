import { describe, expect, it } from 'vitest';
import { createPoolSet, identifyPool, loadPools, type Pool, type PoolMatch, type PoolSet } from './index.js';

const dataset = loadPools();

// Payout addresses and tags as published in the vendored mining-pools dataset.
const F2POOL_ADDRESS = '1KFHE7w8BhaENAswwryaoccDb6qcT6DbYY';
const F2POOL_BECH32 = 'bc1q7wedv4zdu5smt3shljpu5mgns48jn299mukymc';
const VIABTC_ADDRESS = '1PuJjnF476W3zXfVYmJfGnouzFDAXakkL4';
const EMCD_ADDRESS = '1BDbsWi3Mrcjp1wdop3PWFNCNZtu4R7Hjy';
const UNKNOWN_ADDRESS = 'bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq';

function slugOf(match: PoolMatch): string | null {
  return match.pool?.slug ?? null;
}

function pool(id: number, slug: string, tags: string[], addresses: string[] = []): Pool {
  return { id, slug, name: slug, link: '', tags, addresses, source: 'test' };
}

/** Deterministic permutations (mulberry32), so a failure reproduces. */
function shuffled<T>(items: readonly T[], seed: number): T[] {
  let state = seed;
  const random = () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

describe('identifyPool on the vendored dataset', () => {
  it('attributes block 413567 to F2Pool by tag and address', () => {
    // The coinbase text and payout address block 413567 is known for.
    const match = identifyPool(
      { tag: '七彩神仙鱼 🐟 Mined by chenguanghai', addresses: [F2POOL_ADDRESS, null] },
      dataset,
    );
    expect(match).toMatchObject({ evidence: 'both', address: F2POOL_ADDRESS });
    expect(slugOf(match)).toBe('f2pool');
    expect(match.pool?.id).toBe(22);
    // The longest of F2Pool's tags found in the text is the one reported.
    expect(match.evidence === 'both' && match.tag).toBe('七彩神仙鱼');
  });

  it('finds the pool address in any output, not only the first (extra coinbase outputs)', () => {
    const match = identifyPool(
      { tag: '', addresses: [null, UNKNOWN_ADDRESS, F2POOL_ADDRESS, null] },
      dataset,
    );
    expect(match).toMatchObject({ evidence: 'address', address: F2POOL_ADDRESS });
    expect(slugOf(match)).toBe('f2pool');
  });

  it('keeps the attribution when outputs are added after the pool output', () => {
    const base = identifyPool({ tag: '/ViaBTC/', addresses: [VIABTC_ADDRESS] }, dataset);
    const extra = identifyPool(
      { tag: '/ViaBTC/', addresses: [VIABTC_ADDRESS, UNKNOWN_ADDRESS, null, 'bc1qextra0utput'] },
      dataset,
    );
    expect(base).toMatchObject({ evidence: 'both' });
    expect(extra).toEqual(base);
  });

  it('attributes an Ocean-style coinbase paying many miners and no pool address by its tag', () => {
    const miners = Array.from({ length: 60 }, (_, i) => `bc1qminer${String(i).padStart(3, '0')}xyz`);
    const match = identifyPool({ tag: 'OCEAN.XYZ DATUM Gateway', addresses: [null, ...miners] }, dataset);
    expect(match).toMatchObject({ evidence: 'tag', tag: 'OCEAN.XYZ' });
    expect(match.pool?.name).toBe('Ocean.xyz');
    expect(match.pool?.slug).toBe('ocean');
  });

  it('matches tags ignoring case', () => {
    expect(slugOf(identifyPool({ tag: 'ocean.xyz', addresses: [] }, dataset))).toBe('ocean');
    expect(slugOf(identifyPool({ tag: 'mined by ANTPOOL bj12', addresses: [] }, dataset))).toBe('antpool');
  });

  it('matches upper-case bech32 addresses', () => {
    const match = identifyPool({ tag: '', addresses: [F2POOL_BECH32.toUpperCase()] }, dataset);
    expect(slugOf(match)).toBe('f2pool');
  });

  it('prefers the longest tag over a shorter tag of another pool contained in it', () => {
    // ckpool ⊂ /solo.ckpool.org/, EMC ⊂ /EMCD/, /ViaBTC/ ⊂ /ViaBTC/TATMAS Pool/
    expect(slugOf(identifyPool({ tag: '/solo.ckpool.org/', addresses: [] }, dataset))).toBe('solo-ck');
    expect(slugOf(identifyPool({ tag: '/EMCD/', addresses: [] }, dataset))).toBe('emcdpool');
    expect(slugOf(identifyPool({ tag: '/ViaBTC/TATMAS Pool/', addresses: [] }, dataset))).toBe('tatmas-pool');
  });

  it('gives the same answer whatever order the definitions are in', () => {
    const coinbases = [
      { tag: '/solo.ckpool.org/', addresses: [] },
      { tag: '/EMCD/ get___emcd', addresses: [] },
      { tag: '/ViaBTC/TATMAS Pool/', addresses: [] },
      { tag: '/ViaBTC/TATMAS Pool/', addresses: [VIABTC_ADDRESS] },
      { tag: '/EMCD/', addresses: [F2POOL_ADDRESS, EMCD_ADDRESS] },
    ];
    const expected = coinbases.map((coinbase) => identifyPool(coinbase, dataset));
    for (const seed of [1, 2, 3, 4, 5]) {
      const reordered = createPoolSet(shuffled(dataset.pools, seed));
      expect(coinbases.map((coinbase) => identifyPool(coinbase, reordered))).toEqual(expected);
      expect(reordered.fingerprint).toBe(dataset.fingerprint);
    }
  });

  it('reports a conflict when the address says one pool and the tag another, and the address wins', () => {
    const match = identifyPool({ tag: '/ViaBTC/', addresses: [F2POOL_ADDRESS] }, dataset);
    expect(match.evidence).toBe('conflict');
    if (match.evidence !== 'conflict') return;
    expect(match.pool.slug).toBe('f2pool');
    expect(match.address).toBe(F2POOL_ADDRESS);
    expect(match.tag).toBe('/ViaBTC/');
    expect(match.tagPool.slug).toBe('viabtc');
  });

  it('does not count a tag found only inside a longer tag of another pool as corroboration', () => {
    // ViaBTC's address with TATMAS Pool's tag: `/ViaBTC/` is part of the TATMAS tag, not ViaBTC's own.
    const match = identifyPool({ tag: '/ViaBTC/TATMAS Pool/', addresses: [VIABTC_ADDRESS] }, dataset);
    expect(match).toMatchObject({ evidence: 'conflict', tag: '/ViaBTC/TATMAS Pool/' });
    expect(slugOf(match)).toBe('viabtc');
  });

  it('stays unknown when nothing matches, without guessing from near misses', () => {
    expect(identifyPool({ tag: '', addresses: [] }, dataset)).toEqual({ pool: null, evidence: 'unknown' });
    expect(
      identifyPool({ tag: 'F2Poo1 /ViaBT/ 0CEAN.XYZ', addresses: [UNKNOWN_ADDRESS, null] }, dataset),
    ).toEqual({ pool: null, evidence: 'unknown' });
  });
});

describe('identifyPool rules', () => {
  const small: PoolSet = createPoolSet([
    pool(7, 'seven', ['AAAA', 'Pool'], ['addr-seven']),
    pool(3, 'three', ['BBBB', 'SuperPool'], ['addr-three']),
    pool(5, 'five', ['Five'], ['addr-five']),
    pool(1, 'one', ['Hash', 'AB'], []),
    pool(9, 'nine', ['HashMaster', 'XYZW'], []),
  ]);

  it('breaks a tie between equally long tags by the lower pool id, in any definition order', () => {
    const text = { tag: 'AAAA BBBB', addresses: [] };
    expect(slugOf(identifyPool(text, small))).toBe('three');
    const reversed = createPoolSet([...small.pools].reverse());
    expect(slugOf(identifyPool(text, reversed))).toBe('three');
  });

  it('lets the longer tag win over a shorter one it contains', () => {
    expect(slugOf(identifyPool({ tag: 'mined at SuperPool', addresses: [] }, small))).toBe('three');
    expect(slugOf(identifyPool({ tag: 'mined at Pool', addresses: [] }, small))).toBe('seven');
    // Whatever the ids: here the longer tag belongs to the higher id.
    expect(slugOf(identifyPool({ tag: 'by hashmaster', addresses: [] }, small))).toBe('nine');
    expect(slugOf(identifyPool({ tag: 'by hash', addresses: [] }, small))).toBe('one');
  });

  it('lets the longest tag win among separate matches of different pools', () => {
    expect(slugOf(identifyPool({ tag: 'AB XYZW', addresses: [] }, small))).toBe('nine');
    expect(slugOf(identifyPool({ tag: 'XYZW AB', addresses: [] }, small))).toBe('nine');
  });

  it('reports `both` when tag and address name the same pool', () => {
    expect(identifyPool({ tag: 'five', addresses: ['addr-five'] }, small)).toMatchObject({
      evidence: 'both',
      address: 'addr-five',
      tag: 'Five',
    });
  });

  it('chooses the first paid pool in output order and lists the others when no tag decides', () => {
    const match = identifyPool({ tag: '', addresses: [null, 'addr-five', 'addr-seven', 'addr-five'] }, small);
    expect(match).toMatchObject({ evidence: 'address', address: 'addr-five' });
    expect(slugOf(match)).toBe('five');
    expect(match.evidence === 'address' && match.otherPools?.map((other) => other.slug)).toEqual(['seven']);
  });

  it('chooses the paid pool the tag corroborates when several pools are paid', () => {
    const match = identifyPool({ tag: 'AAAA', addresses: ['addr-five', 'addr-seven'] }, small);
    expect(match).toMatchObject({ evidence: 'both', address: 'addr-seven', tag: 'AAAA' });
    expect(slugOf(match)).toBe('seven');
    expect(match.evidence === 'both' && match.otherPools?.map((other) => other.slug)).toEqual(['five']);
  });

  it('omits otherPools when a single pool is paid', () => {
    const match = identifyPool({ tag: '', addresses: ['addr-five', 'addr-five'] }, small);
    expect(match).not.toHaveProperty('otherPools');
  });
});
