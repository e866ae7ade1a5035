import { buildSchema, getOperationAST, parse } from 'graphql';
import { describe, expect, it } from 'vitest';
import { typeDefs } from './graphql-handler.js';
import { checkOperation, measureOperation } from './operation-guard.js';

const schema = buildSchema(typeDefs);
const LIMITS = { maxDepth: 12, maxCost: 10_000, maxPage: 100 };

function measure(query: string, variables: Record<string, unknown> = {}) {
  const document = parse(query);
  return measureOperation(schema, document, getOperationAST(document)!, variables, LIMITS.maxPage);
}

describe('the guard on trace and paths', () => {
  it('costs the lists of a trace at maxNodes items', () => {
    // trace 1 + nodes (1 + 50 × 2) + edges (1 + 50 × 1) + truncated 1 = 154.
    const shape = measure(
      '{ trace(input: { from: { addresses: ["a"] }, maxNodes: 50 }) { nodes { id hop } edges { from } truncated } }',
    );
    expect(shape.cost).toBe(154);
    // Without maxNodes the default 500 applies: 1 + (1 + 500 × 1) = 502.
    expect(measure('{ trace(input: { from: {} }) { nodes { id } } }').cost).toBe(502);
    // Through a variable: 1 + (1 + 20 × 1) = 22.
    expect(
      measure('query ($i: TraceInput!) { trace(input: $i) { nodes { id } } }', {
        i: { from: {}, maxNodes: 20 },
      }).cost,
    ).toBe(22);
    // A variable without maxNodes gets the input's default, as the resolver does: 502, not 10,002.
    expect(
      measure('query ($i: TraceInput!) { trace(input: $i) { nodes { id } } }', {
        i: { from: { payoutsOfPool: 'antpool' } },
      }).cost,
    ).toBe(502);
  });

  it('costs the lists of paths at maxPaths × (maxHops + 1) items', () => {
    // paths 1 + paths list (1 + 2 × 4 × 1) + truncated 1 = 11.
    expect(
      measure('{ paths(from: ["a"], to: ["b"], maxHops: 3, maxPaths: 2) { paths { txids } truncated } }')
        .cost,
    ).toBe(11);
  });

  it('refuses a trace above the cost limit', () => {
    const shape = measure(
      '{ trace(input: { from: {}, maxNodes: 10000 }) { nodes { id hop value taintedValue } edges { from to } } }',
    );
    // 1 + (1 + 10_000 × 4) + (1 + 10_000 × 2) = 60_003 > 10_000.
    expect(shape.cost).toBe(60_003);
    expect(checkOperation(shape, 'investigator', LIMITS)?.code).toBe('COST_LIMIT');
  });

  it('lets investigators and admins trace, never screeners', () => {
    for (const query of [
      '{ trace(input: { from: {}, maxNodes: 10 }) { truncated } }',
      '{ paths(from: ["a"], to: ["b"]) { truncated } }',
    ]) {
      const shape = measure(query);
      expect(checkOperation(shape, 'investigator', LIMITS)).toBeNull();
      expect(checkOperation(shape, 'admin', LIMITS)).toBeNull();
      expect(checkOperation(shape, 'screener', LIMITS)?.code).toBe('FORBIDDEN');
    }
  });
});
