import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createDevnetChain, runScenario } from '@minetrace/devnet';
import { parseTagPack } from '@minetrace/shared/tags';
import { afterAll, describe, expect, it } from 'vitest';

const BIN = fileURLToPath(new URL('../../bin/minetrace.js', import.meta.url));
let dir: string | undefined;

afterAll(async () => {
  if (dir !== undefined) await rm(dir, { recursive: true, force: true });
});

describe('minetrace devnet --tags', () => {
  it("writes the scenario's tags as a TagPack that `tags import` reads back unchanged", async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'minetrace-devnet-tags-'));
    const file = path.join(dir, 'demo.tagpack.yaml');
    const child = spawn(
      process.execPath,
      [
        BIN,
        'devnet',
        '--scenario',
        'demo',
        '--seed',
        'tags-seed',
        '--tags',
        file,
        '--rpc-port',
        '0',
        '--no-zmq',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let output = '';
    const listening = new Promise<void>((resolve, reject) => {
      const onData = (chunk: Buffer) => {
        output += chunk.toString();
        if (/^rpc:/m.test(output)) resolve();
      };
      child.stdout.on('data', onData);
      child.stderr.on('data', onData);
      child.on('exit', (code) => reject(new Error(`devnet exited with ${code}:\n${output}`)));
    });
    try {
      await listening;
    } finally {
      child.kill('SIGINT');
    }
    const expected = runScenario('demo', createDevnetChain(), { seed: 'tags-seed' }).tags;
    expect(output).toContain(`tags: ${file} (${expected.length})`);
    const parsed = parseTagPack(await readFile(file, 'utf8'), { network: 'regtest' });
    expect(parsed.problems).toEqual([]);
    expect(
      parsed.tags.map(({ address, label, category, source, confidence }) => ({
        address,
        label,
        category,
        source,
        confidence,
      })),
    ).toEqual(expected);
    expect(expected.filter((t) => t.category === 'sanctioned')).toHaveLength(1);
  }, 180_000);

  it('refuses --tags without a scenario', async () => {
    const child = spawn(
      process.execPath,
      [BIN, 'devnet', '--tags', 'x.yaml', '--rpc-port', '0', '--no-zmq'],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    expect(code).toBe(1);
    expect(stderr).toMatch(/--tags needs a --scenario/);
  }, 60_000);
});
