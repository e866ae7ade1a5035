import { buildSchema, getOperationAST, parse } from 'graphql';
import { describe, expect, it } from 'vitest';
import { typeDefs } from './graphql-handler.js';
import { ASSUMED_LIST_SIZE, checkOperation, measureOperation } from './operation-guard.js';
import { DEFAULT_PAGE } from './pagination.js';

const schema = buildSchema(typeDefs);
const LIMITS = { maxDepth: 12, maxCost: 10_000, maxPage: 100 };

function measure(query: string, variables: Record<string, unknown> = {}) {
  const document = parse(query);
  return measureOperation(schema, document, getOperationAST(document)!, variables, LIMITS.maxPage);
}

describe('operation cost and depth', () => {
  it('costs one per field', () => {
    expect(measure('{ tip { height hash } }')).toMatchObject({ cost: 3, depth: 2, rootFields: ['tip'] });
  });

  it('multiplies what is under a connection by first, or the default page', () => {
    expect(measure('{ blocks(first: 7) { edges { node { height } } } }').cost).toBe(1 + 7 * 3);
    expect(measure('{ blocks { edges { node { height } } } }').cost).toBe(1 + DEFAULT_PAGE * 3);
    expect(
      measure('query Q($n: Int) { blocks(first: $n) { edges { node { height } } } }', { n: 3 }).cost,
    ).toBe(1 + 3 * 3);
  });

  it('multiplies what is under a plain list by the assumed list size', () => {
    expect(measure('{ transaction(txid: "x") { outputs { n value } } }').cost).toBe(
      1 + 1 + ASSUMED_LIST_SIZE * 2,
    );
  });

  it('follows fragments and inline fragments, and skips introspection', () => {
    const viaFragment = measure('{ tip { ...T } } fragment T on Tip { height hash }');
    expect(viaFragment).toMatchObject({ cost: 3, depth: 2 });
    expect(measure('{ tip { ... on Tip { height } } }').cost).toBe(2);
    expect(measure('{ __schema { types { fields { type { ofType { name } } } } } }').cost).toBe(0);
  });

  it('counts depth through connections', () => {
    expect(measure('{ blocks(first: 1) { edges { node { pool { name } } } } }').depth).toBe(5);
  });

  it('rejects over the cost and depth limits, naming the figures', () => {
    const shape = measure(
      '{ blocks(first: 100) { edges { node { transactions(first: 100) { edges { node { txid } } } } } } }',
    );
    expect(checkOperation(shape, 'investigator', LIMITS)).toMatchObject({
      code: 'COST_LIMIT',
      extensions: { cost: shape.cost, maxCost: LIMITS.maxCost },
    });
    expect(checkOperation({ ...shape, cost: 1, depth: 13 }, 'investigator', LIMITS)).toMatchObject({
      code: 'COST_LIMIT',
      extensions: { depth: 13 },
    });
  });

  it('keeps screeners to single lookups', () => {
    expect(checkOperation(measure('{ transaction(txid: "x") { txid } }'), 'screener', LIMITS)).toBeNull();
    expect(checkOperation(measure('{ pools { slug } }'), 'screener', LIMITS)?.code).toBe('FORBIDDEN');
    expect(
      checkOperation(
        measure('{ address(address: "x") { transactions { edges { cursor } } } }'),
        'screener',
        LIMITS,
      )?.code,
    ).toBe('FORBIDDEN');
    expect(checkOperation(measure('{ pools { slug } }'), 'admin', LIMITS)).toBeNull();
  });
});
