import { decodeBlock } from '@minetrace/shared/chain';
import { Block, Transaction } from 'bitcoinjs-lib';
import { describe, expect, it } from 'vitest';
import { blockSubsidy, buildBlock, COIN, encodeBip34Height } from './block-builder.js';
import { REGTEST_BITS, targetFromBits } from './block-hash.js';
import { REGTEST_GENESIS_HASH, regtestGenesisBlock } from './regtest-genesis.js';

const ADDRESS = 'bcrt1qw508d6qejxtdg4y5r3zarvary0c5xw7kygt080';

function segwitTx(): Buffer {
  const tx = new Transaction();
  tx.version = 2;
  tx.addInput(Buffer.alloc(32, 7), 0);
  tx.addOutput(Buffer.from('0014751e76e8199196d454941c45d1b3a323f1433bd6', 'hex'), 1000n);
  tx.setWitness(0, [Buffer.alloc(71, 1), Buffer.alloc(33, 2)]);
  return Buffer.from(tx.toBuffer());
}

function legacyTx(): Buffer {
  const tx = new Transaction();
  tx.version = 1;
  tx.addInput(Buffer.alloc(32, 9), 1, 0xffffffff, Buffer.from('00', 'hex'));
  tx.addOutput(Buffer.from('0014751e76e8199196d454941c45d1b3a323f1433bd6', 'hex'), 2000n);
  return Buffer.from(tx.toBuffer());
}

describe('regtest genesis', () => {
  it('hashes to the regtest genesis hash Core ships', () => {
    const block = Block.fromBuffer(regtestGenesisBlock());
    expect(block.getId()).toBe('0f9188f13cb7b2c71f2a335e3a4fc328bf5beb436012afca590b1a11466e2206');
    expect(REGTEST_GENESIS_HASH).toBe(block.getId());
    expect(Buffer.from(block.merkleRoot!).reverse().toString('hex')).toBe(
      '4a5e1e4baab89f3a32518a88c31bc87f618f76673e2cc77ab2127b7afdeda33b',
    );
  });
});

describe('encodeBip34Height', () => {
  it('writes heights as Core’s CScript() << height does', () => {
    expect(encodeBip34Height(1).toString('hex')).toBe('51');
    expect(encodeBip34Height(16).toString('hex')).toBe('60');
    expect(encodeBip34Height(17).toString('hex')).toBe('0111');
    expect(encodeBip34Height(127).toString('hex')).toBe('017f');
    // 128 needs a sign byte so it does not read as -0.
    expect(encodeBip34Height(128).toString('hex')).toBe('028000');
    expect(encodeBip34Height(300).toString('hex')).toBe('022c01');
    // Mainnet block 227,931 (BIP34 activation) starts its coinbase with 03 5b7a03.
    expect(encodeBip34Height(227_931).toString('hex')).toBe('035b7a03');
  });
});

describe('blockSubsidy', () => {
  it('halves every 150 blocks on regtest', () => {
    expect(blockSubsidy(0)).toBe(50n * COIN);
    expect(blockSubsidy(149)).toBe(50n * COIN);
    expect(blockSubsidy(150)).toBe(25n * COIN);
    expect(blockSubsidy(299)).toBe(25n * COIN);
    expect(blockSubsidy(300)).toBe(1_250_000_000n);
    expect(blockSubsidy(150 * 64)).toBe(0n);
  });
});

describe('buildBlock', () => {
  it('builds a block bitcoinjs decodes with a valid merkle root and proof of work', () => {
    const built = buildBlock({
      prevHash: REGTEST_GENESIS_HASH,
      height: 1,
      time: 1_700_000_000,
      coinbaseTag: '/AntPool/',
      coinbaseOutputs: ADDRESS,
      txs: [legacyTx()],
      fees: 500n,
    });
    const block = Block.fromBuffer(built.raw);
    expect(block.getId()).toBe(built.hash);
    expect(Buffer.from(block.prevHash!).reverse().toString('hex')).toBe(REGTEST_GENESIS_HASH);
    expect(block.bits).toBe(REGTEST_BITS);
    expect(block.checkTxRoots()).toBe(true);
    expect(block.checkProofOfWork()).toBe(true);
    expect(BigInt('0x' + built.hash)).toBeLessThanOrEqual(targetFromBits(0x207fffff));
    const coinbase = block.transactions![0]!;
    expect(coinbase.isCoinbase()).toBe(true);
    expect(coinbase.outs[0]!.value).toBe(50n * COIN + 500n);
    expect(block.hasWitnessCommit()).toBe(false);
    expect(built.txids.length).toBe(2);
  });

  it('puts the BIP34 height then the tag bytes in the coinbase scriptSig', () => {
    const tag = Buffer.from('七彩神仙鱼', 'utf8');
    const built = buildBlock({
      prevHash: REGTEST_GENESIS_HASH,
      height: 1234,
      time: 1_700_000_000,
      coinbaseTag: tag,
      coinbaseOutputs: ADDRESS,
    });
    const scriptSig = Buffer.from(Block.fromBuffer(built.raw).transactions![0]!.ins[0]!.script);
    expect(scriptSig.subarray(0, 3).toString('hex')).toBe('02d204');
    expect(scriptSig.subarray(3).equals(tag)).toBe(true);
  });

  it('adds the witness commitment and reserved value when a tx has witness data', () => {
    const built = buildBlock({
      prevHash: REGTEST_GENESIS_HASH,
      height: 2,
      time: 1_700_000_000,
      coinbaseOutputs: ADDRESS,
      txs: [legacyTx(), segwitTx()],
    });
    const block = Block.fromBuffer(built.raw);
    expect(block.hasWitnessCommit()).toBe(true);
    expect(block.checkTxRoots()).toBe(true);
    const coinbase = block.transactions![0]!;
    const last = Buffer.from(coinbase.outs.at(-1)!.script);
    expect(last.subarray(0, 6).toString('hex')).toBe('6a24aa21a9ed');
    expect(coinbase.outs.at(-1)!.value).toBe(0n);
    expect(coinbase.ins[0]!.witness.map((w) => Buffer.from(w).toString('hex'))).toEqual(['00'.repeat(32)]);
  });

  it('pays many coinbase outputs when given them', () => {
    const outputs = Array.from({ length: 20 }, (_, i) => ({
      address: ADDRESS,
      value: BigInt(i + 1) * 1000n,
    }));
    const built = buildBlock({
      prevHash: REGTEST_GENESIS_HASH,
      height: 3,
      time: 1_700_000_000,
      coinbaseOutputs: outputs,
    });
    const coinbase = Block.fromBuffer(built.raw).transactions![0]!;
    expect(coinbase.outs.map((o) => o.value)).toEqual(outputs.map((o) => o.value));
  });

  it('rejects a tag that would make the scriptSig longer than 100 bytes', () => {
    expect(() =>
      buildBlock({
        prevHash: REGTEST_GENESIS_HASH,
        height: 3,
        time: 1_700_000_000,
        coinbaseTag: 'x'.repeat(100),
        coinbaseOutputs: ADDRESS,
      }),
    ).toThrow(/exceeds 100/);
  });
});

describe('buildBlock against the indexer’s decoder', () => {
  it.each([
    [1, '/AntPool/'],
    [16, 'Mined by someone'],
    [17, '七彩神仙鱼'],
    [200, '/F2Pool/🐟'],
    [70_000, '/ViaBTC/'],
  ])('height %i and tag %s read back the same', (height, tag) => {
    const built = buildBlock({
      prevHash: REGTEST_GENESIS_HASH,
      height,
      time: 1_700_000_000,
      coinbaseTag: tag,
      coinbaseOutputs: ADDRESS,
      txs: [legacyTx(), segwitTx()],
    });
    const rows = decodeBlock(built.raw, 'regtest');
    expect(rows.header.hash.toString('hex')).toBe(built.hash);
    expect(rows.coinbase.height).toBe(height);
    expect(rows.coinbase.tag).toBe(tag);
    expect(rows.coinbase.witnessCommitment).not.toBeNull();
    expect(rows.txs.map((t) => t.txid.toString('hex'))).toEqual(built.txids);
    expect(rows.txs[0]!.outputs[0]!.address).toBe(ADDRESS);
  });
});
