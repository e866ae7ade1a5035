import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const FIXTURES = fileURLToPath(new URL('../../../../test/fixtures/', import.meta.url));

/** Reads a file under the repository's `test/fixtures`; a missing fixture fails the test loudly. */
export function readFixture(relative: string): Buffer {
  const path = FIXTURES + relative;
  if (!existsSync(path))
    throw new Error(`test fixture missing: ${path} (test/fixtures is part of the repository)`);
  return readFileSync(path);
}

export function readJsonFixture<T>(relative: string): T {
  return JSON.parse(readFixture(relative).toString('utf8')) as T;
}

/** The real mainnet block 413567 (F2Pool), 1557 transactions. */
export function block413567(): Buffer {
  return readFixture('blocks/block413567.raw');
}

/** Bitcoin Core's BIP158 test vectors: [height, hash, block hex, ...], first row a header. */
export function blockFilterRows(): { height: number; hash: string; block: Buffer; note: string }[] {
  const rows = readJsonFixture<unknown[][]>('vectors/blockfilters.json').slice(1);
  if (rows.length === 0) throw new Error('vectors/blockfilters.json holds no blocks');
  return rows.map((r) => ({
    height: r[0] as number,
    hash: r[1] as string,
    block: Buffer.from(r[2] as string, 'hex'),
    note: (r[7] as string) ?? '',
  }));
}
