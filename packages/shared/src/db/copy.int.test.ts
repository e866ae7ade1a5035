import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { COPY_MARKER, CopyBuffer, copyField, copyInto, copyText, copyTextOf } from './copy.js';
import { createTestDatabase, type TestDatabase } from './testing.js';

describe('copyTextOf', () => {
  it('writes tabs between fields, a newline after each row, \\N for null and escapes text', () => {
    expect(
      copyTextOf([
        [1n, null],
        ['a\tb\\c\nd\re', 'plain'],
        [true, false],
        [Buffer.from('00ff', 'hex'), null],
      ]),
    ).toBe('1\ta\\tb\\\\c\\nd\\re\tt\t\\\\x00ff\n\\N\tplain\tf\t\\N\n');
    expect(copyTextOf([[], []])).toBe('');
  });

  it('refuses columns of different lengths', () => {
    expect(() => copyTextOf([[1], [1, 2]])).toThrow(/differ in length/);
  });
});

describe('CopyBuffer', () => {
  it('writes the bytes copyTextOf writes as text, growing past its first capacity', () => {
    const ids = [0n, 9_007_199_254_740_993n, -5n];
    const hashes = [Buffer.alloc(32, 0xab), Buffer.from('00ff10', 'hex'), Buffer.alloc(0)];
    const labels = ['bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq', 'tab\there', null];
    const lines = new CopyBuffer(8);
    ids.forEach((id, i) => {
      lines.int(id).ascii('\t').bytea(hashes[i]!).ascii('\t');
      const label = labels[i]!;
      if (label === null) lines.nul();
      else lines.ascii(copyField(label));
      lines.ascii('\n');
    });
    expect(lines.view().toString('latin1')).toBe(copyTextOf([ids, hashes, labels]));
  });

  it('writes integers as String writes them, numbers and bigints, in and beyond the safe range', () => {
    const values: (number | bigint)[] = [
      0,
      7,
      10,
      99,
      100,
      -1,
      -10,
      1_234_567_890,
      Number.MAX_SAFE_INTEGER,
      -Number.MAX_SAFE_INTEGER,
      0n,
      -7n,
      9_007_199_254_740_991n,
      9_007_199_254_740_992n,
      -9_007_199_254_740_993n,
      2n ** 63n - 1n,
      2100000000000000n,
    ];
    const buffer = new CopyBuffer(4);
    for (const value of values) buffer.int(value).ascii(',');
    expect(buffer.view().toString('latin1')).toBe(values.map((value) => `${String(value)},`).join(''));
  });

  it('appends short and long text and parts alike', () => {
    const long = `${'x'.repeat(100)}\t${'y'.repeat(50)}`;
    const parts = new CopyBuffer(4).ascii('ab').ascii(long).ascii('c');
    const whole = new CopyBuffer(4)
      .part(parts, 0, 2)
      .part(parts, 2, 2 + long.length)
      .part(parts, 0, parts.length);
    expect(whole.view().toString('latin1')).toBe(`ab${long}ab${long}c`);
  });

  it('appends parts of another buffer, byte for byte', () => {
    const parts = new CopyBuffer(4).ascii('1\t2\t').ascii('3\t');
    const whole = new CopyBuffer(4).part(parts, 4, 6).part(parts, 0, 4).ascii('x');
    expect(whole.view().toString('latin1')).toBe('3\t1\t2\tx');
    expect(whole.length).toBe(7);
  });
});

describe.each(['postgres', 'pglite'] as const)('copyInto on %s', (kind) => {
  let test: TestDatabase;
  beforeAll(async () => {
    test = await createTestDatabase(kind);
    await sql`CREATE TABLE copy_probe (id int8 PRIMARY KEY, label text, flag bool, bytes bytea, n int4)`.execute(
      test.db,
    );
  });
  afterAll(async () => {
    await test?.close();
  });

  const rows = async () =>
    (
      await sql<{
        id: bigint;
        label: string | null;
        flag: boolean | null;
        bytes: Buffer | null;
        n: number | null;
      }>`
        SELECT * FROM copy_probe ORDER BY id`.execute(test.db)
    ).rows.map((row) => ({
      ...row,
      bytes: row.bytes === null ? null : Buffer.from(row.bytes).toString('hex'),
    }));

  it('writes every value back as it was given, inside the caller’s transaction', async () => {
    const labels = [
      'bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq',
      'tab\there',
      'back\\slash',
      'line\nbreak',
      '',
      null,
      'é',
    ];
    await test.db.transaction().execute(async (trx) => {
      await copyInto(trx, 'copy_probe', {
        id: labels.map((_, i) => BigInt(i) + 9_007_199_254_740_993n),
        label: labels,
        flag: labels.map((_, i) => (i % 3 === 2 ? null : i % 3 === 0)),
        bytes: labels.map((_, i) => (i === 1 ? null : Buffer.alloc(i, 0xab))),
        n: labels.map((_, i) => (i === 4 ? null : 1 - i)),
      });
      // Seen by the transaction that wrote them.
      const seen = await sql<{ n: bigint }>`SELECT count(*) AS n FROM copy_probe`.execute(trx);
      expect(seen.rows[0]!.n).toBe(BigInt(labels.length));
    });
    expect(await rows()).toEqual(
      labels.map((label, i) => ({
        id: BigInt(i) + 9_007_199_254_740_993n,
        label,
        flag: i % 3 === 2 ? null : i % 3 === 0,
        bytes: i === 1 ? null : 'ab'.repeat(i),
        n: i === 4 ? null : 1 - i,
      })),
    );
  });

  it('writes nothing when one row breaks a constraint, and the transaction rolls back whole', async () => {
    const before = await rows();
    await expect(
      test.db.transaction().execute(async (trx) => {
        await copyInto(trx, 'copy_probe', { id: [1n], label: ['first'] });
        // The second key is taken (the test above wrote it): the whole COPY fails.
        await copyInto(trx, 'copy_probe', { id: [2n, 9_007_199_254_740_993n], label: ['new', 'taken'] });
      }),
    ).rejects.toThrow(/duplicate key|unique/i);
    expect(await rows()).toEqual(before);
    // The database stays usable afterwards (the connection left no COPY open).
    await copyInto(test.db, 'copy_probe', { id: [3n], label: ['after'] });
    expect((await rows()).find((row) => row.id === 3n)?.label).toBe('after');
  });

  it('writes the rows of a CopyBuffer’s bytes', async () => {
    const lines = new CopyBuffer(16);
    lines.int(9_007_199_254_740_990n).ascii('\t').bytea(Buffer.from('c0ffee', 'hex')).ascii('\t');
    lines.nul().ascii('\n');
    lines.int(9_007_199_254_740_991n).ascii('\t').nul().ascii('\t').int(-7).ascii('\n');
    await copyText(test.db, 'copy_probe', ['id', 'bytes', 'n'], lines.view());
    expect(
      (await rows()).filter((row) => row.id >= 9_007_199_254_740_990n && row.id < 9_007_199_254_740_992n),
    ).toEqual([
      { id: 9_007_199_254_740_990n, label: null, flag: null, bytes: 'c0ffee', n: null },
      { id: 9_007_199_254_740_991n, label: null, flag: null, bytes: null, n: -7 },
    ]);
  });

  it('rejects malformed data with the database’s error, writing nothing', async () => {
    const before = await rows();
    await expect(copyText(test.db, 'copy_probe', ['id', 'n'], '4\tnot a number\n')).rejects.toThrow(
      /invalid input syntax/i,
    );
    expect(await rows()).toEqual(before);
  });

  it('refuses names that are not plain identifiers, and writes nothing for no rows', async () => {
    await expect(copyInto(test.db, 'copy_probe; DROP TABLE x', { id: [5n] })).rejects.toThrow(
      /invalid identifier/,
    );
    await expect(copyInto(test.db, 'copy_probe', { 'id) FROM STDIN; --': [5n] })).rejects.toThrow(
      /invalid identifier/,
    );
    const before = await rows();
    await copyInto(test.db, 'copy_probe', { id: [], label: [] });
    expect(await rows()).toEqual(before);
  });

  it('runs a marked statement only with its data as the one string parameter', async () => {
    await expect(
      test.db.executeQuery({
        sql: `${COPY_MARKER} COPY copy_probe (id) FROM STDIN`,
        parameters: [],
        query: { kind: 'RawNode' } as never,
        queryId: { queryId: 'copy' },
      }),
    ).rejects.toThrow(/one parameter/);
  });
});
