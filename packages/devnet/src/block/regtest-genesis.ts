/**
 * Bitcoin Core's regtest genesis block, rebuilt byte for byte from chainparams (the 2009 Times
 * coinbase, time 1296688602, bits 0x207fffff, nonce 2). A real client connected to the devnet
 * therefore sees the genesis hash it expects for `-regtest`.
 */
import { Transaction } from 'bitcoinjs-lib';
import { serializeHeader, writeVarInt } from './block-builder.js';
import { sha256d, toDisplayHex } from './block-hash.js';

export const REGTEST_GENESIS_HASH = '0f9188f13cb7b2c71f2a335e3a4fc328bf5beb436012afca590b1a11466e2206';
export const REGTEST_GENESIS_TIME = 1296688602;

const TIMES_SCRIPT_SIG =
  '04ffff001d0104455468652054696d65732030332f4a616e2f32303039204368616e63656c6c6f72206f6e206272696e6b206f66207365636f6e64206261696c6f757420666f722062616e6b73';
const GENESIS_OUTPUT_SCRIPT =
  '4104678afdb0fe5548271967f1a67130b7105cd6a828e03909a67962e0ea1f61deb649f6bc3f4cef38c4f35504e51ec112de5c384df7ba0b8d578a4c702b6bf11d5fac';

/** The serialized regtest genesis block. */
export function regtestGenesisBlock(): Buffer {
  const coinbase = new Transaction();
  coinbase.version = 1;
  coinbase.addInput(Buffer.alloc(32), 0xffffffff, 0xffffffff, Buffer.from(TIMES_SCRIPT_SIG, 'hex'));
  coinbase.addOutput(Buffer.from(GENESIS_OUTPUT_SCRIPT, 'hex'), 5_000_000_000n);
  const header = serializeHeader({
    version: 1,
    prevHash: Buffer.alloc(32),
    merkleRoot: Buffer.from(coinbase.getHash()),
    time: REGTEST_GENESIS_TIME,
    bits: 0x207fffff,
    nonce: 2,
  });
  const raw = Buffer.concat([header, writeVarInt(1), Buffer.from(coinbase.toBuffer())]);
  if (toDisplayHex(sha256d(header)) !== REGTEST_GENESIS_HASH) throw new Error('regtest genesis mismatch');
  return raw;
}
