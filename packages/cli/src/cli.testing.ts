import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { vi } from 'vitest';
import { main } from './main.js';

/** What a command printed and how it ended. */
export interface CommandRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** The environment of a command on the database at `databaseUrl`, quiet, whatever server the shell names. */
export function databaseEnv(databaseUrl: string): Record<string, string> {
  return { DATABASE_URL: databaseUrl, LOG_LEVEL: 'silent', MINETRACE_API_URL: '' };
}

/**
 * The environment of a command through the server at `apiUrl` with `apiKey`, quiet. Its database is
 * one nobody listens on: a command that used its own database instead would fail.
 */
export function serverEnv(apiUrl: string, apiKey: string) {
  return {
    LOG_LEVEL: 'silent',
    MINETRACE_API_URL: apiUrl,
    MINETRACE_API_KEY: apiKey,
    DATABASE_URL: 'postgres://nobody@127.0.0.1:1/nothing',
  };
}

const BIN = fileURLToPath(new URL('../bin/minetrace.js', import.meta.url));

/**
 * Runs `minetrace ARGS…` as its own process, the binary as a user starts it, with `env` over the test's
 * environment; its stdout, stderr and exit code (null when a signal ended it).
 */
export function runBinary(
  args: string[],
  env: Record<string, string>,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [BIN, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...env },
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
  });
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  return new Promise((resolve) => child.on('exit', (code) => resolve({ code, stdout, stderr })));
}

/**
 * Runs `minetrace ARGS…` in this process (no second tsx start: seconds cheaper than spawning the
 * binary) with `env` over the test's environment; its stdout, stderr and exit code.
 */
export async function runHere(args: string[], env: Record<string, string>): Promise<CommandRun> {
  for (const [name, value] of Object.entries(env)) vi.stubEnv(name, value);
  let stdout = '';
  let stderr = '';
  const stdoutSpy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    stdout += String(chunk);
    return true;
  });
  const stderrSpy = vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
    stderr += String(chunk);
    return true;
  });
  const before = process.exitCode;
  try {
    await main(['node', 'minetrace', ...args]);
    return { code: Number(process.exitCode ?? 0), stdout, stderr };
  } finally {
    process.exitCode = before;
    stdoutSpy.mockRestore();
    stderrSpy.mockRestore();
    vi.unstubAllEnvs();
  }
}
