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

  it('measures a reused document again for each variables that its cost reads', () => {
    // Parsed documents are shared by requests (yoga's parser cache), and shapes are kept per
    // operation node: one measure must not answer for another's variables.
    const measureWith = (query: string) => {
      const document = parse(query);
      const operation = getOperationAST(document)!;
      return (variables: Record<string, unknown>) =>
        measureOperation(schema, document, operation, variables, LIMITS.maxPage).cost;
    };
    const page = measureWith('query Q($n: Int) { blocks(first: $n) { edges { node { height } } } }');
    expect([page({ n: 3 }), page({ n: 50 }), page({ n: 3 })]).toEqual([1 + 3 * 3, 1 + 50 * 3, 1 + 3 * 3]);
    // A variable inside an input object, read for a walking root field's list size.
    const trace = measureWith(
      'query T($m: Int) { trace(input: { from: { addresses: ["x"] }, maxNodes: $m }) { nodes { id } } }',
    );
    expect(trace({ m: 2 })).toBe(2 + 2);
    expect(trace({ m: 40 })).toBe(2 + 40);
    // A lookup's own arguments do not change its cost: measured once, the same for any address.
    const lookup = measureWith(
      'query A($a: String!) { address(address: $a) { transactions { edges { cursor } } } }',
    );
    expect(lookup({ a: 'x' })).toBe(lookup({ a: 'y' }));
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
