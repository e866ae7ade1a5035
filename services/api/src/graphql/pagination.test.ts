import { GraphQLError } from 'graphql';
import { describe, expect, it } from 'vitest';
import { decodeCursor, encodeCursor, parseFirst, toConnection } from './pagination.js';

const codeOf = (fn: () => unknown) => {
  try {
    fn();
  } catch (err) {
    return err instanceof GraphQLError ? err.extensions.code : err;
  }
  return 'accepted';
};

describe('pagination', () => {
  it('round-trips cursors and refuses those of another kind or shape', () => {
    const cursor = encodeCursor('payout', [12n, 3]);
    expect(decodeCursor('payout', cursor, 2)).toEqual([12n, 3n]);
    expect(codeOf(() => decodeCursor('block', cursor, 1))).toBe('BAD_USER_INPUT');
    expect(codeOf(() => decodeCursor('payout', cursor, 1))).toBe('BAD_USER_INPUT');
    expect(codeOf(() => decodeCursor('block', encodeCursor('block', ['-1']), 1))).toBe('BAD_USER_INPUT');
    expect(codeOf(() => decodeCursor('block', 'not a cursor', 1))).toBe('BAD_USER_INPUT');
    expect(codeOf(() => decodeCursor('block', encodeCursor('block', ['99999999999999999999']), 1))).toBe(
      'BAD_USER_INPUT',
    );
  });

  it('defaults, caps and refuses page sizes', () => {
    expect(parseFirst(undefined, 100)).toBe(20);
    expect(parseFirst(undefined, 5)).toBe(5);
    expect(parseFirst(0, 100)).toBe(0);
    expect(codeOf(() => parseFirst(-1, 100))).toBe('BAD_USER_INPUT');
    expect(codeOf(() => parseFirst(101, 100))).toBe('BAD_USER_INPUT');
  });

  it('reads the extra row as a next page and drops it', () => {
    const page = toConnection([1, 2, 3], 2, false, (n) => `c${n}`);
    expect(page.edges.map((edge) => edge.node)).toEqual([1, 2]);
    expect(page.pageInfo).toEqual({
      hasNextPage: true,
      hasPreviousPage: false,
      startCursor: 'c1',
      endCursor: 'c2',
    });
    expect(toConnection([1], 2, true, String).pageInfo).toMatchObject({
      hasNextPage: false,
      hasPreviousPage: true,
    });
  });
});
