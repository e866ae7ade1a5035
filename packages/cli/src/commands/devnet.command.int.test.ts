import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';

const BIN = fileURLToPath(new URL('../../bin/minetrace.js', import.meta.url));
const children: ChildProcess[] = [];

afterEach(() => {
  for (const child of children.splice(0)) if (child.exitCode === null) child.kill('SIGKILL');
});

/** Starts `minetrace devnet …` and resolves with its printed RPC URL once it is listening. */
function startDevnet(args: string[]): Promise<{ child: ChildProcess; rpcUrl: string; output: () => string }> {
  const child = spawn(process.execPath, [BIN, 'devnet', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let output = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`devnet did not start:\n${output}`)), 20_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const match = /^rpc:\s+(\S+)/m.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve({ child, rpcUrl: match[1]!, output: () => output });
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.on('exit', (code) => reject(new Error(`devnet exited with ${code}:\n${output}`)));
  });
}

describe('minetrace devnet', () => {
  it('serves JSON-RPC with the given credentials, mines on the interval, and stops on SIGINT', async () => {
    const { child, rpcUrl } = await startDevnet([
      '--rpc-port',
      '0',
      '--zmq',
      'tcp://127.0.0.1:0',
      '--rpc-user',
      'u',
      '--rpc-password',
      'p',
      '--mine-interval',
      '100',
    ]);
    const url = new URL(rpcUrl);
    expect(url.username).toBe('u');
    const call = async <T>(method: string): Promise<T> => {
      const res = await fetch(`http://${url.host}/`, {
        method: 'POST',
        headers: { authorization: `Basic ${Buffer.from('u:p').toString('base64')}` },
        body: JSON.stringify({ jsonrpc: '1.0', id: 1, method, params: [] }),
      });
      return ((await res.json()) as { result: T }).result;
    };
    expect((await call<{ chain: string }>('getblockchaininfo')).chain).toBe('regtest');
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(await call<number>('getblockcount')).toBeGreaterThan(0);
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    child.kill('SIGINT');
    expect(await exited).toBe(0);
  });

  it('refuses an unknown scenario', async () => {
    await expect(startDevnet(['--scenario', 'nope', '--rpc-port', '0', '--no-zmq'])).rejects.toThrow(
      /unknown scenario/,
    );
  });
});
