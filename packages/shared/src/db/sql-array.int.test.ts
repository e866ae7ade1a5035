import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sqlArray } from './sql-array.js';
import { createTestDatabase, type TestDatabase } from './testing.js';

describe.each(['postgres', 'pglite'] as const)('sqlArray on %s', (kind) => {
  let test: TestDatabase;
  beforeAll(async () => {
    test = await createTestDatabase(kind);
  });
  afterAll(async () => {
    await test?.close();
  });

  it('reads back every element as the array type it is cast to', async () => {
    const ints = [0n, -1n, 9_007_199_254_740_993n, null, 42n];
    const small = [1, null, -32768, 32767];
    const flags = [true, false, null];
    const texts = [
      'bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq',
      '1BoatSLRHtKNngkdXEeobR76b53LETtpyT',
      'NULL',
      'null',
      'a "quoted" \\ back,slash {brace} space',
      '',
      null,
      'é',
    ];
    const bytes = [Buffer.from('00ff10', 'hex'), Buffer.alloc(0), null, Buffer.alloc(32, 0xab)];
    const row = (
      await sql<{
        ints: string[] | null;
        small: number[];
        flags: (boolean | null)[];
        texts: (string | null)[];
        bytes: (Buffer | null)[];
      }>`
        SELECT ${sqlArray(ints)}::int8[]::text[] AS ints, ${sqlArray(small)}::int2[] AS small,
          ${sqlArray(flags)}::bool[] AS flags, ${sqlArray(texts)}::text[] AS texts, ${sqlArray(bytes)}::bytea[] AS bytes`.execute(
        test.db,
      )
    ).rows[0]!;
    expect(row.ints).toEqual(['0', '-1', '9007199254740993', null, '42']);
    expect(row.small).toEqual(small);
    expect(row.flags).toEqual(flags);
    expect(row.texts).toEqual(texts);
    expect(row.bytes.map((b) => (b === null ? null : Buffer.from(b).toString('hex')))).toEqual(
      bytes.map((b) => (b === null ? null : b.toString('hex'))),
    );
  });

  it('quotes text a list of plain elements would misread', async () => {
    for (const texts of [['ab', 'c,d'], ['ab', 'NULL'], ['ab', ''], ['null'], ['', ''], ['ab', 'cd']]) {
      const row = (
        await sql<{ texts: string[] }>`SELECT ${sqlArray(texts)}::text[] AS texts`.execute(test.db)
      ).rows[0]!;
      expect(row.texts).toEqual(texts);
    }
  });

  it('writes an empty array', async () => {
    const row = (await sql<{ n: number }>`SELECT cardinality(${sqlArray([])}::int8[]) AS n`.execute(test.db))
      .rows[0]!;
    expect(row.n).toBe(0);
  });
});
