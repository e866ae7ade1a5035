import { buildSchema, execute, parse } from 'graphql';
import { describe, expect, it } from 'vitest';
import { selectsAny } from './selection.js';

const schema = buildSchema(`
  type Thing { name: String total: Int first: Int }
  type Query { thing: Thing }
`);

/** Runs `query` and answers what `selectsAny` said while resolving `thing`. */
async function asked(query: string): Promise<boolean> {
  let answer: boolean | undefined;
  const result = await execute({
    schema,
    document: parse(query),
    rootValue: {
      thing: (_args: unknown, _ctx: unknown, info: Parameters<typeof selectsAny>[0]) => {
        answer = selectsAny(info, new Set(['total', 'first']));
        return { name: 'x', total: 1, first: 2 };
      },
    },
  });
  expect(result.errors).toBeUndefined();
  return answer!;
}

describe('selectsAny', () => {
  it('sees a named subfield, and not its absence', async () => {
    expect(await asked('{ thing { name total } }')).toBe(true);
    expect(await asked('{ thing { name } }')).toBe(false);
  });

  it('looks through named and inline fragments, even when they nest', async () => {
    expect(await asked('{ thing { ...F } } fragment F on Thing { name first }')).toBe(true);
    expect(await asked('{ thing { ... on Thing { total } } }')).toBe(true);
    expect(await asked('{ thing { ...A } } fragment A on Thing { ...B } fragment B on Thing { name }')).toBe(
      false,
    );
  });

  it('counts aliased fields by their field name', async () => {
    expect(await asked('{ thing { sum: total } }')).toBe(true);
  });
});
