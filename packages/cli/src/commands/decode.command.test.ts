import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as bitcoin from 'bitcoinjs-lib';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../../../', import.meta.url));
const BIN = `${ROOT}packages/cli/bin/minetrace.js`;
const BLOCK = `${ROOT}test/fixtures/blocks/block413567.raw`;

function readBlock(): Buffer {
  if (!existsSync(BLOCK)) throw new Error(`test fixture missing: ${BLOCK}`);
  return readFileSync(BLOCK);
}

function minetrace(args: string[], input?: Buffer | string) {
  const run = spawnSync('node', [BIN, ...args], { cwd: ROOT, input, maxBuffer: 64 << 20, encoding: 'utf8' });
  return { status: run.status, stdout: run.stdout, stderr: run.stderr };
}

interface Line {
  txid: string;
  coinbase?: { height: number | null; tag: string; pool: string | null };
  inputs: { txid: string; n: number }[];
  outputs: { n: number; value: number; type: string; address: string | null }[];
}

const rev = (b: Uint8Array) => Buffer.from(b).reverse().toString('hex');

describe('minetrace decode', () => {
  const raw = readBlock();
  const run = minetrace(['decode', BLOCK]);
  const lines = run.stdout.trimEnd().split('\n');

  it('prints one JSON line per transaction of block 413567', () => {
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    expect(lines.length).toBe(1557);
  });

  it('starts with the coinbase: BIP34 height, F2Pool, 25.31310238 BTC to its address', () => {
    const first = JSON.parse(lines[0]!) as Line;
    expect(first.coinbase).toMatchObject({ height: 413567, pool: 'F2Pool' });
    expect(first.coinbase!.tag).toContain('Mined by chenguanghai');
    expect(first.outputs[0]).toEqual({
      n: 0,
      value: 2531310238,
      type: 'pubkeyhash',
      address: '1KFHE7w8BhaENAswwryaoccDb6qcT6DbYY',
    });
    expect(lines.slice(1).every((l) => !('coinbase' in JSON.parse(l)))).toBe(true);
  });

  it('agrees with bitcoinjs-lib on every txid, input and output of the block', () => {
    const txs = bitcoin.Block.fromBuffer(raw).transactions!;
    lines.forEach((text, i) => {
      const line = JSON.parse(text) as Line;
      const tx = txs[i]!;
      expect(line.txid).toBe(tx.getId());
      expect(line.inputs).toEqual(tx.ins.map((x) => ({ txid: rev(x.hash), n: x.index })));
      expect(line.outputs.map((o) => [o.n, o.value, o.address])).toEqual(
        tx.outs.map((o, n) => {
          let address: string | null;
          try {
            address = bitcoin.address.fromOutputScript(o.script);
          } catch {
            address = null;
          }
          return [n, Number(o.value), address];
        }),
      );
    });
  });

  it('reads hex from stdin with --hex, and encodes addresses for --network test', () => {
    const hex = `  ${raw.toString('hex')}\n`;
    const viaHex = minetrace(['decode', '--hex', '-'], hex);
    expect(viaHex.status).toBe(0);
    expect(viaHex.stdout).toBe(run.stdout);
    const test = minetrace(['decode', '-', '--network', 'test'], raw);
    const first = JSON.parse(test.stdout.split('\n')[0]!) as Line;
    expect(first.outputs[0]!.address).toBe(
      bitcoin.address.fromOutputScript(
        bitcoin.Block.fromBuffer(raw).transactions![0]!.outs[0]!.script,
        bitcoin.networks.testnet,
      ),
    );
  });

  it('rejects a truncated block with a message, exit code 1 and no output', () => {
    const bad = minetrace(['decode', '-'], raw.subarray(0, raw.length - 10));
    expect(bad.status).toBe(1);
    expect(bad.stdout).toBe('');
    expect(bad.stderr).toMatch(/^minetrace: truncated .* at byte offset \d+\n$/);
  });

  it('rejects text that is not hex, and a missing file', () => {
    const notHex = minetrace(['decode', '--hex', '-'], 'zz');
    expect([notHex.status, notHex.stdout]).toEqual([1, '']);
    expect(notHex.stderr).toMatch(/not an even-length hex string/);
    const missing = minetrace(['decode', `${ROOT}no-such-block.raw`]);
    expect([missing.status, missing.stdout]).toEqual([1, '']);
    expect(missing.stderr).toMatch(/cannot read .*no-such-block\.raw/);
  });

  it('ends quietly when the reader closes the pipe early (`| head`)', async () => {
    const child = spawn('node', [BIN, 'decode', BLOCK], { cwd: ROOT });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    child.stdout.once('data', () => child.stdout.destroy());
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(stderr).toBe('');
    expect(code).toBe(0);
  });
});
