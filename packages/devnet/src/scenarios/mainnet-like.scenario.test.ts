import { type BlockRows, decodeBlock, type ScriptType } from '@minetrace/shared/chain';
import { beforeAll, describe, expect, it } from 'vitest';
import type { DevnetChain } from '../chain/chain.types.js';
import { createDevnetChain } from '../chain/index.js';
import { buildMainnetLike, type MainnetLikeStats, PRELUDE_BLOCKS } from './mainnet-like.scenario.js';
import { runScenario } from './scenario-runner.js';

const BLOCKS = 3;
const TXS = 300;

let chain: DevnetChain;
let stats: MainnetLikeStats;
let decoded: BlockRows[];

beforeAll(() => {
  chain = createDevnetChain();
  stats = buildMainnetLike(chain, { seed: 'test-seed', blocks: BLOCKS, txsPerBlock: TXS }).stats;
  decoded = [];
  for (let h = 0; h <= chain.tipHeight(); h++) {
    decoded.push(decodeBlock(chain.getBlock(chain.hashAtHeight(h)!)!.raw, 'regtest'));
  }
});

const mainnetLike = () => decoded.slice(PRELUDE_BLOCKS + 1);

describe('mainnet-like scenario', () => {
  it('mines the funding prelude and then blocks of the requested size that the decoder reads', () => {
    expect(chain.tipHeight()).toBe(PRELUDE_BLOCKS + BLOCKS);
    expect(stats.preludeHeight).toBe(PRELUDE_BLOCKS);
    for (const block of mainnetLike()) {
      expect(block.txs).toHaveLength(TXS + 1);
      expect(block.coinbase.witnessCommitment).not.toBeNull();
    }
  });

  it('spends only outputs that exist and are unspent, some of them created in the same block', () => {
    const unspent = new Set<string>();
    let sameBlock = 0;
    for (const block of decoded) {
      const createdHere = new Set<string>();
      for (const tx of block.txs) {
        if (!tx.isCoinbase) {
          for (const input of tx.inputs) {
            const key = `${input.prevTxid.toString('hex')}:${input.prevVout}`;
            expect(unspent.delete(key), `input ${key} spends an unknown or spent output`).toBe(true);
            if (createdHere.has(key)) sameBlock++;
          }
        }
        const txid = tx.txid.toString('hex');
        for (const out of tx.outputs) {
          if (out.scriptType === 'nulldata') continue;
          unspent.add(`${txid}:${out.n}`);
          createdHere.add(`${txid}:${out.n}`);
        }
      }
    }
    expect(sameBlock).toBeGreaterThan(0);
    expect(sameBlock).toBe(stats.sameBlockSpends);
  });

  it('has about 2.3 inputs and 2.7 outputs per tx, with a tail of large ones', () => {
    const txs = mainnetLike().flatMap((b) => b.txs.filter((tx) => !tx.isCoinbase));
    const inputs = txs.reduce((n, tx) => n + tx.inputs.length, 0) / txs.length;
    const outputs = txs.reduce((n, tx) => n + tx.outputs.length, 0) / txs.length;
    expect(inputs).toBeGreaterThan(1.9);
    expect(inputs).toBeLessThan(2.8);
    expect(outputs).toBeGreaterThan(2.3);
    expect(outputs).toBeLessThan(3.2);
    expect(txs.filter((tx) => tx.inputs.length === 1).length / txs.length).toBeGreaterThan(0.55);
    expect(Math.max(...txs.map((tx) => tx.inputs.length))).toBeGreaterThan(10);
    expect(Math.max(...txs.map((tx) => tx.outputs.length))).toBeGreaterThan(10);
  });

  it('mixes output script types as 2024 mainnet does, and reuses some addresses', () => {
    const counts = new Map<ScriptType, number>();
    // Funding outputs count as seen before: a later payment to one of them is reuse.
    const seen = new Set<string>();
    let reused = 0;
    let total = 0;
    for (const block of decoded) {
      const isMainnetLike = block !== decoded[0] && block.coinbase.height! > PRELUDE_BLOCKS;
      for (const tx of block.txs) {
        for (const out of tx.outputs) {
          if (!isMainnetLike || tx.isCoinbase) {
            if (out.address !== null) seen.add(out.address);
            continue;
          }
          counts.set(out.scriptType, (counts.get(out.scriptType) ?? 0) + 1);
          total++;
          if (out.address !== null) {
            if (seen.has(out.address)) reused++;
            seen.add(out.address);
          }
        }
      }
    }
    const share = (type: ScriptType) => (counts.get(type) ?? 0) / total;
    expect(share('witness_v0_keyhash')).toBeGreaterThan(0.48);
    expect(share('witness_v0_keyhash')).toBeLessThan(0.65);
    expect(share('witness_v1_taproot')).toBeGreaterThan(0.13);
    expect(share('witness_v1_taproot')).toBeLessThan(0.24);
    expect(share('pubkeyhash')).toBeGreaterThan(0.06);
    expect(share('pubkeyhash')).toBeLessThan(0.15);
    expect(share('scripthash')).toBeGreaterThan(0.05);
    expect(share('scripthash')).toBeLessThan(0.13);
    expect(share('witness_v0_scripthash')).toBeGreaterThan(0.01);
    expect(share('witness_v0_scripthash')).toBeLessThan(0.06);
    expect(share('nulldata')).toBeGreaterThan(0.015);
    expect(share('nulldata')).toBeLessThan(0.08);
    expect(share('nonstandard')).toBe(0);
    expect(reused / total).toBeGreaterThan(0.05);
    expect(reused / total).toBeLessThan(0.2);
  });

  it('builds the same chain from the same seed, and another from another seed', () => {
    const again = createDevnetChain();
    buildMainnetLike(again, { seed: 'test-seed', blocks: 1, txsPerBlock: TXS });
    const other = createDevnetChain();
    buildMainnetLike(other, { seed: 'other-seed', blocks: 1, txsPerBlock: TXS });
    const height = PRELUDE_BLOCKS + 1;
    expect(again.hashAtHeight(height)).toBe(chain.hashAtHeight(height));
    expect(other.hashAtHeight(height)).not.toBe(chain.hashAtHeight(height));
  });

  it('is available through runScenario', () => {
    const viaRunner = createDevnetChain();
    const truth = runScenario('mainnet-like', viaRunner, { seed: 'test-seed', blocks: 1 });
    expect(truth.scenario).toBe('mainnet-like');
    expect(truth.tip.height).toBe(PRELUDE_BLOCKS + 1);
    expect(truth.blocks.at(-1)!.pool).not.toBeNull();
  });
});
