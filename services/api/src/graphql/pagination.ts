import { badInput } from './errors.js';

/** Page size when a connection is asked without `first`. */
export const DEFAULT_PAGE = 20;

/** A page request after validation: `after` is the decoded cursor key, or null for the first page. */
export interface PageRequest<K> {
  first: number;
  after: K | null;
}

/** One page of a Relay connection. */
export interface Connection<T> {
  edges: Array<{ cursor: string; node: T }>;
  pageInfo: {
    hasNextPage: boolean;
    hasPreviousPage: boolean;
    startCursor: string | null;
    endCursor: string | null;
  };
}

/**
 * Validates `first` (0 to `max`; default `DEFAULT_PAGE` capped at `max`). Huge or negative values
 * are refused rather than clamped, so that a caller never mistakes a short page for the whole set.
 */
export function parseFirst(first: number | null | undefined, max: number): number {
  if (first === null || first === undefined) return Math.min(DEFAULT_PAGE, max);
  if (!Number.isInteger(first) || first < 0)
    throw badInput(`first must be a non-negative integer, got ${first}`);
  if (first > max) throw badInput(`first must be at most ${max}, got ${first}`, { max });
  return first;
}

/**
 * Cursors are `<kind>:<key parts>` in base64url, so that a cursor of one connection is refused by
 * another instead of silently paging from a wrong position.
 */
export function encodeCursor(kind: string, parts: ReadonlyArray<string | number | bigint>): string {
  return Buffer.from(`${kind}:${parts.join(':')}`, 'utf8').toString('base64url');
}

/**
 * Decodes a cursor of `kind` whose parts are all non-negative integers (`count` of them); anything
 * else is BAD_USER_INPUT.
 */
export function decodeCursor(kind: string, cursor: string, count: number): bigint[] {
  const invalid = () => badInput(`invalid cursor for ${kind}: ${JSON.stringify(cursor.slice(0, 100))}`);
  if (!/^[A-Za-z0-9_-]{1,200}$/.test(cursor)) throw invalid();
  const text = Buffer.from(cursor, 'base64url').toString('utf8');
  const parts = text.split(':');
  if (parts.length !== count + 1 || parts[0] !== kind) throw invalid();
  return parts.slice(1).map((part) => {
    if (!/^\d{1,19}$/.test(part)) throw invalid();
    const value = BigInt(part);
    if (value > 9_223_372_036_854_775_807n) throw invalid();
    return value;
  });
}

/** Validates `first` and decodes `after` in one go. */
export function parsePage(
  args: { first?: number | null; after?: string | null },
  kind: string,
  parts: number,
  max: number,
): PageRequest<bigint[]> {
  return {
    first: parseFirst(args.first, max),
    after: args.after === null || args.after === undefined ? null : decodeCursor(kind, args.after, parts),
  };
}

/**
 * Builds a connection from rows fetched with `first + 1` as the limit: the extra row only says
 * that another page exists.
 */
export function toConnection<T>(
  rows: readonly T[],
  first: number,
  hasPrevious: boolean,
  cursorOf: (row: T) => string,
): Connection<T> {
  const page = rows.slice(0, first);
  const edges = page.map((node) => ({ cursor: cursorOf(node), node }));
  return {
    edges,
    pageInfo: {
      hasNextPage: rows.length > first,
      hasPreviousPage: hasPrevious,
      startCursor: edges[0]?.cursor ?? null,
      endCursor: edges.at(-1)?.cursor ?? null,
    },
  };
}
