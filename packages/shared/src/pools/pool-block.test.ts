import { describe, expect, it } from 'vitest';
import { block413567 } from '../chain/fixtures.testing.js';
import { decodeBlock } from '../chain/index.js';
import { identifyPool, loadPools } from './index.js';

describe('identifyPool on a decoded mainnet block', () => {
  it('attributes block 413567 to F2Pool by tag and address', () => {
    const block = decodeBlock(block413567(), 'main');
    const coinbase = block.txs[0]!;
    const evidence = { tag: block.coinbase.tag, addresses: coinbase.outputs.map((output) => output.address) };
    // Known facts about this block: F2Pool's tag text and its payout address.
    expect(evidence.tag).toContain('七彩神仙鱼');
    expect(evidence.tag).toContain('🐟');
    expect(evidence.tag).toContain('Mined by chenguanghai');
    expect(evidence.addresses).toContain('1KFHE7w8BhaENAswwryaoccDb6qcT6DbYY');

    const match = identifyPool(evidence, loadPools());
    expect(match).toMatchObject({ evidence: 'both', address: '1KFHE7w8BhaENAswwryaoccDb6qcT6DbYY' });
    expect(match.pool?.slug).toBe('f2pool');
    expect(match.pool?.name).toBe('F2Pool');
  });
});
