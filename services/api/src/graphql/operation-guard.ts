import type { ApiRole } from '@minetrace/shared/db';
import {
  type DocumentNode,
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLCompositeType,
  type GraphQLField,
  type GraphQLSchema,
  getArgumentValues,
  getNamedType,
  getNullableType,
  getVariableValues,
  isCompositeType,
  isListType,
  isObjectType,
  Kind,
  type OperationDefinitionNode,
  type SelectionSetNode,
  type ValueNode,
} from 'graphql';
import { apiError, type ErrorCode } from './errors.js';
import { DEFAULT_PAGE } from './pagination.js';

/** Items a plain list field (inputs, outputs, tags, pools) is assumed to hold when costing. */
export const ASSUMED_LIST_SIZE = 10;

/**
 * Items each list directly under a walking root field (`trace`, `paths`) may hold, from its
 * arguments: `trace` returns up to `maxNodes` nodes (and edges), `paths` up to `maxPaths` paths of
 * `maxHops` transactions. Null for every other field. Unparseable arguments are refused by the
 * resolver; they cost the largest size meanwhile.
 */
export function walkListSize(field: string, args: Record<string, unknown>): number | null {
  const positive = (value: unknown, cap: number) =>
    typeof value === 'number' && Number.isInteger(value) && value > 0 ? Math.min(value, cap) : cap;
  if (field === 'trace') {
    const input = (args.input ?? {}) as Record<string, unknown>;
    return positive(input.maxNodes, 10_000);
  }
  if (field === 'paths') return positive(args.maxPaths, 100) * (positive(args.maxHops, 20) + 1);
  return null;
}

/** The root fields `walkListSize` sizes; the arguments of other root fields do not change the cost. */
const WALKING_ROOT_FIELDS = new Set(['trace', 'paths']);

/** Root fields of key management and of jobs that write chain data, for the admin role only. */
const ADMIN_ROOT_FIELDS = new Set([
  'apiKeys',
  'createApiKey',
  'revokeApiKey',
  'enqueueIndexBackfill',
  'enqueueClusterRebuild',
  'importTags',
]);

/** Root fields a screener may use: single lookups (and its own batch screening), never lists or connections. */
const SCREENER_ROOT_FIELDS = new Set([
  'tip',
  'block',
  'transaction',
  'address',
  'cluster',
  'pool',
  'job',
  'enqueueScreenBatch',
  'cancelJob',
  'screen',
]);

/** What the guard measured of one operation. */
export interface OperationShape {
  /** Deepest field nesting (a root field is depth 1). */
  depth: number;
  /**
   * Upper bound of the rows the operation may touch: each field costs 1, and the fields under a
   * connection count `first` times (`DEFAULT_PAGE` without `first`), under a list `ASSUMED_LIST_SIZE` times.
   */
  cost: number;
  rootFields: string[];
  /** Connection fields used anywhere (e.g. `Query.blocks`, `Address.transactions`). */
  connections: string[];
}

export interface GuardLimits {
  maxDepth: number;
  maxCost: number;
  maxPage: number;
}

/** A rejection: the code and message of the GraphQL error, plus extensions (cost, depth, limits). */
export interface GuardRejection {
  code: ErrorCode;
  message: string;
  extensions: Record<string, unknown>;
}

const isConnectionName = (name: string) => name.endsWith('Connection');

/**
 * Measures depth and cost of `operation` with its variables, without executing anything. Fields of
 * introspection (`__schema`, `__type`) are neither costed nor descended into: their size is bounded
 * by the schema.
 */
export function measureOperation(
  schema: GraphQLSchema,
  document: DocumentNode,
  operation: OperationDefinitionNode,
  rawVariables: Record<string, unknown>,
  maxPage: number,
): OperationShape {
  // Parsed documents are cached and shared by requests, so the shape of an operation whose cost reads
  // no variable is measured once (an address lookup: every request the same document).
  const cached = invariantShapes.get(operation);
  if (cached !== undefined && cached.schema === schema && cached.maxPage === maxPage) return cached.shape;
  // Arguments are read as execution will read them: variables coerced, with the defaults of input
  // fields applied (a `TraceInput` variable without `maxNodes` walks 500 nodes, not the cap). Variables
  // that do not coerce are refused before execution; they are measured as given meanwhile. They are
  // coerced only when an argument the cost depends on refers to one.
  let variables: Record<string, unknown> | undefined;
  let readsVariables = false;
  const argumentsOf = (field: GraphQLField<unknown, unknown>, selection: FieldNode) => {
    if (selection.arguments?.some((argument) => refersToVariable(argument.value)) === true) {
      readsVariables = true;
      variables ??=
        getVariableValues(schema, operation.variableDefinitions ?? [], rawVariables).coerced ?? rawVariables;
    }
    return getArgumentValues(field, selection, variables ?? {});
  };
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const definition of document.definitions) {
    if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition);
  }
  const connections = new Set<string>();
  const rootFields: string[] = [];

  const walk = (
    selectionSet: SelectionSetNode,
    parent: GraphQLCompositeType,
    depth: number,
    seen: Set<string>,
    listSize: number = ASSUMED_LIST_SIZE,
  ): { cost: number; depth: number } => {
    let cost = 0;
    let deepest = depth - 1;
    for (const selection of selectionSet.selections) {
      if (selection.kind === Kind.INLINE_FRAGMENT || selection.kind === Kind.FRAGMENT_SPREAD) {
        let fragmentSet: SelectionSetNode;
        let typeName: string | undefined;
        if (selection.kind === Kind.INLINE_FRAGMENT) {
          fragmentSet = selection.selectionSet;
          typeName = selection.typeCondition?.name.value;
        } else {
          const name = selection.name.value;
          const fragment = fragments.get(name);
          // A cycle or an unknown fragment is refused by validation; do not loop on it here.
          if (fragment === undefined || seen.has(name)) continue;
          fragmentSet = fragment.selectionSet;
          typeName = fragment.typeCondition.name.value;
          seen = new Set([...seen, name]);
        }
        const type = typeName === undefined ? parent : schema.getType(typeName);
        if (type === undefined || type === null || !isCompositeType(type)) continue;
        const inner = walk(fragmentSet, type, depth, seen, listSize);
        cost += inner.cost;
        deepest = Math.max(deepest, inner.depth);
        continue;
      }
      const name = selection.name.value;
      if (name.startsWith('__')) continue;
      if (depth === 1) rootFields.push(name);
      deepest = Math.max(deepest, depth);
      if (!isObjectType(parent) && !('getFields' in parent)) continue;
      const field = 'getFields' in parent ? parent.getFields()[name] : undefined;
      if (field === undefined) continue;
      const named = getNamedType(field.type);
      let multiplier = 1;
      if (isConnectionName(named.name)) {
        connections.add(`${parent.name}.${name}`);
        let first: unknown;
        try {
          first = argumentsOf(field, selection).first;
        } catch {
          first = undefined;
        }
        // Out-of-range values are refused by the resolver; cost them at the cap meanwhile.
        multiplier =
          typeof first === 'number' && Number.isInteger(first) && first >= 0
            ? Math.min(first, maxPage)
            : first === undefined || first === null
              ? Math.min(DEFAULT_PAGE, maxPage)
              : maxPage;
      } else if (isListType(getNullableType(field.type)) && !isConnectionName(parent.name)) {
        multiplier = listSize;
      }
      let innerListSize = ASSUMED_LIST_SIZE;
      if (depth === 1 && WALKING_ROOT_FIELDS.has(name)) {
        let args: Record<string, unknown> = {};
        try {
          args = argumentsOf(field, selection);
        } catch {
          args = {};
        }
        innerListSize = walkListSize(name, args) ?? ASSUMED_LIST_SIZE;
      }
      cost += 1;
      if (selection.selectionSet !== undefined && isCompositeType(named)) {
        const inner = walk(selection.selectionSet, named, depth + 1, seen, innerListSize);
        cost += multiplier * inner.cost;
        deepest = Math.max(deepest, inner.depth);
      }
    }
    return { cost, depth: deepest };
  };

  const root = operation.operation === 'mutation' ? schema.getMutationType() : schema.getQueryType();
  if (root === null || root === undefined) return { depth: 0, cost: 0, rootFields, connections: [] };
  const { cost, depth } = walk(operation.selectionSet, root, 1, new Set());
  const shape: OperationShape = Object.freeze({
    depth: Math.max(depth, 0),
    cost,
    rootFields: Object.freeze(rootFields) as string[],
    connections: Object.freeze([...connections]) as string[],
  });
  if (!readsVariables) invariantShapes.set(operation, { schema, maxPage, shape });
  return shape;
}

/** Shapes measured without reading a variable, by operation node (a cached document's are reused). */
const invariantShapes = new WeakMap<
  OperationDefinitionNode,
  { schema: GraphQLSchema; maxPage: number; shape: OperationShape }
>();

/** Whether an argument's value is, or holds, a variable. */
function refersToVariable(value: ValueNode): boolean {
  if (value.kind === Kind.VARIABLE) return true;
  if (value.kind === Kind.LIST) return value.values.some(refersToVariable);
  if (value.kind === Kind.OBJECT) return value.fields.some((field) => refersToVariable(field.value));
  return false;
}

/** Checks role, depth and cost; returns the first rejection, or null when the operation may run. */
export function checkOperation(
  shape: OperationShape,
  role: ApiRole,
  limits: GuardLimits,
): GuardRejection | null {
  if (role !== 'admin') {
    const admin = shape.rootFields.find((field) => ADMIN_ROOT_FIELDS.has(field));
    if (admin !== undefined) {
      return { code: 'FORBIDDEN', message: `${admin} needs the admin role`, extensions: { role } };
    }
  }
  if (role === 'screener') {
    const root = shape.rootFields.find((field) => !SCREENER_ROOT_FIELDS.has(field));
    if (root !== undefined) {
      return {
        code: 'FORBIDDEN',
        message: `the screener role may not use ${root} (single lookups only)`,
        extensions: { role },
      };
    }
    if (shape.connections.length > 0) {
      return {
        code: 'FORBIDDEN',
        message: `the screener role may not page through ${shape.connections[0]} (single lookups only)`,
        extensions: { role },
      };
    }
  }
  if (shape.depth > limits.maxDepth) {
    return {
      code: 'COST_LIMIT',
      message: `query depth ${shape.depth} exceeds the limit of ${limits.maxDepth}`,
      extensions: { depth: shape.depth, maxDepth: limits.maxDepth, cost: shape.cost },
    };
  }
  if (shape.cost > limits.maxCost) {
    return {
      code: 'COST_LIMIT',
      message: `query cost ${shape.cost} exceeds the limit of ${limits.maxCost}; ask for smaller pages or fewer nested lists`,
      extensions: { cost: shape.cost, maxCost: limits.maxCost },
    };
  }
  return null;
}

/** The rejection as a GraphQL error. */
export const rejectionError = (rejection: GuardRejection) =>
  apiError(rejection.code, rejection.message, rejection.extensions);
