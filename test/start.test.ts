import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createDevnetChain, runScenario } from '@minetrace/devnet';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = path.resolve(import.meta.dirname, '..');
const BIN = path.join(ROOT, 'packages/cli/bin/minetrace.js');

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** Resolves with the first capture of `pattern` in the child's stdout. */
function waitForLine(child: ChildProcess, pattern: RegExp, output: { text: string }): Promise<string> {
  return new Promise((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      output.text += chunk.toString();
      const match = pattern.exec(output.text);
      if (match) {
        child.stdout?.off('data', onData);
        resolve(match[1]!);
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', (chunk: Buffer) => {
      output.text += chunk.toString();
    });
    child.once('exit', (code) =>
      reject(new Error(`minetrace start exited (${code}) before:\n${output.text}`)),
    );
  });
}

function exitCode(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve) => child.once('exit', (code) => resolve(code)));
}

describe('minetrace start (demo)', () => {
  let dataDir: string;
  let child: ChildProcess | undefined;

  beforeAll(async () => {
    dataDir = await mkdtemp(path.join(tmpdir(), 'minetrace-start-'));
  });
  afterAll(async () => {
    if (child !== undefined && child.exitCode === null) child.kill('SIGKILL');
    await rm(dataDir, { recursive: true, force: true });
  });

  it('indexes the demo chain, serves /health and GraphQL at the printed URL and exits 0 on SIGINT', async () => {
    // The demo scenario is deterministic: the same seed builds the same chain in this process.
    const demoTip = runScenario('demo', createDevnetChain()).tip.height;
    const port = await freePort();
    const env: NodeJS.ProcessEnv = { ...process.env, API_PORT: String(port), MINETRACE_DATA_DIR: dataDir };
    delete env.BITCOIND_RPC_URL;
    delete env.DATABASE_URL;
    child = spawn(process.execPath, [BIN, 'start'], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    const output = { text: '' };
    const url = await waitForLine(child, /API listening on (http:\/\/\S+)/, output);
    expect(url).toBe(`http://127.0.0.1:${port}`);
    expect(output.text).toMatch(/indexed \d+ blocks and \d+ transactions of regtest/);
    expect(output.text).toMatch(/pools: .*Foundry USA \d+/);

    const response = await fetch(`${url}/health`);
    expect(response.status).toBe(200);
    const health = (await response.json()) as {
      status: string;
      network: string;
      indexed: { height: number; hash: string };
      node: { height: number } | null;
      lag: number;
    };
    expect(health.network).toBe('regtest');
    expect(health.indexed.height).toBeGreaterThanOrEqual(demoTip);
    expect(health.indexed.hash).toMatch(/^[0-9a-f]{64}$/);
    expect(health.node?.height).toBeGreaterThanOrEqual(health.indexed.height);
    expect((await fetch(`${url}/nope`)).status).toBe(404);

    // GraphQL over the embedded database: an answer, and a refusal in the errors array.
    const graphql = async (query: string) => {
      const answer = await fetch(`${url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ query }),
      });
      expect(answer.status).toBe(200);
      expect(answer.headers.get('content-type')).toMatch(/^application\/json/);
      return (await answer.json()) as {
        data?: { tip: { height: number; hash: string } } | null;
        errors?: Array<{ extensions: { code: string } }>;
      };
    };
    const tip = await graphql('{ tip { height hash } }');
    expect(tip.errors).toBeUndefined();
    expect(tip.data?.tip.height).toBeGreaterThanOrEqual(health.indexed.height);
    expect(tip.data?.tip.hash).toMatch(/^[0-9a-f]{64}$/);
    const refused = await graphql('{ address(address: "not an address") { balance } }');
    expect(refused.errors?.[0]?.extensions.code).toBe('BAD_USER_INPUT');

    child.kill('SIGINT');
    expect(await exitCode(child)).toBe(0);
  });
});
