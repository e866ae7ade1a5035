import { createHash } from 'node:crypto';
import { GraphQLError } from 'graphql';
import { describe, expect, it } from 'vitest';
import { hashVariables, MAX_VARIABLES_DEPTH } from './graphql-handler.js';

/** The audit log's variables hash as first recorded: JSON with keys sorted by a replacer. */
function recordedHash(variables: object): string {
  const canonical = JSON.stringify(variables, (_key, value) =>
    value !== null && typeof value === 'object' && !Array.isArray(value)
      ? Object.fromEntries(Object.entries(value).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : value,
  );
  return createHash('sha256').update(canonical).digest('hex');
}

describe('hashVariables', () => {
  const cases: Array<[string, Record<string, unknown>]> = [
    ['scalars', { b: 1, a: 'x', c: null, d: true }],
    ['an address list', { a: ['bcrt1qxyz', '2N1abc', 'mxyz'], first: 10 }],
    ['nested inputs', { input: { policy: 'HAIRCUT', from: ['a', 'b'], window: { to: 5, from: 1 } }, z: [] }],
    ['objects in lists', { rows: [{ y: 2, x: 1 }, { x: [{ b: 1, a: 2 }] }, 'plain'] }],
    ['one address', { a: 'bcrt1qxyz' }],
    ['sorted scalars and lists', { a: ['x', null, 2], b: 'y', c: false }],
    ['sorted keys around an object', { a: 1, b: { d: 1, c: 2 }, e: 3 }],
    ['sorted keys around objects in a list', { a: 1, b: [{ d: 1, c: 2 }] }],
    ['keys that are numbers', { '10': 'a', '9': 'b', x: 1 }],
    ['keys in reverse', { b: 'x', a: 'y' }],
  ];

  it.each(cases)('hashes %s as the audit log always has', (_name, variables) => {
    expect(hashVariables(variables)).toBe(recordedHash(variables));
  });

  it('is the same whatever the order of keys, at every depth', () => {
    expect(hashVariables({ b: { d: 1, c: [{ f: 1, e: 2 }] }, a: 1 })).toBe(
      hashVariables({ a: 1, b: { c: [{ e: 2, f: 1 }], d: 1 } }),
    );
    expect(hashVariables({ a: ['x', 'y'] })).not.toBe(hashVariables({ a: ['y', 'x'] }));
  });

  it('refuses variables nested deeper than the limit as bad input, without exhausting the stack', () => {
    const nested = (depth: number): unknown => {
      let value: unknown = 'x';
      for (let i = 0; i < depth; i++) value = i % 2 === 0 ? [value, 1] : { b: value, a: 1 };
      return value;
    };
    expect(hashVariables({ a: nested(MAX_VARIABLES_DEPTH - 1) })).toMatch(/^[0-9a-f]{64}$/);
    for (const depth of [MAX_VARIABLES_DEPTH, 100_000]) {
      let thrown: unknown;
      try {
        hashVariables({ a: nested(depth) });
      } catch (err) {
        thrown = err;
      }
      expect(thrown).toBeInstanceOf(GraphQLError);
      expect((thrown as GraphQLError).extensions.code).toBe('BAD_USER_INPUT');
    }
  });

  it('records no hash without variables', () => {
    expect(hashVariables(undefined)).toBeNull();
    expect(hashVariables(null)).toBeNull();
    expect(hashVariables({})).toBeNull();
  });
});
