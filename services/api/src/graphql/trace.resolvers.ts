import { findPaths, pathsToFlowGraph } from '../investigate/trace/find-paths.js';
import { runTrace, TraceInputError } from '../investigate/trace/run-trace.js';
import type { TraceDirection, TracePolicy, TraceRequest } from '../investigate/trace.types.js';
import type { ApiContext } from './api-context.js';
import { badInput } from './errors.js';
import { parseAddress, parseHash, parseId } from './input-validation.js';
import type {
  PathLinkResolvers,
  PathsResultResolvers,
  QueryResolvers,
  TraceClusterValueResolvers,
  TraceEdgeResolvers,
  TraceNodeResolvers,
  TraceSummaryResolvers,
} from './resolvers.generated.js';
import { toUnix } from './scalars.js';

/** A `byCluster` entry of a trace summary, as `TraceClusterValue` resolves it. */
export interface TraceClusterValueModel {
  clusterId: bigint;
  value: bigint;
}

const DIRECTIONS: Record<string, TraceDirection> = { FORWARD: 'forward', BACKWARD: 'backward' };
const POLICIES: Record<string, TracePolicy> = {
  POISON: 'poison',
  HAIRCUT: 'haircut',
  FIFO: 'fifo',
  LIFO: 'lifo',
  TIHO: 'tiho',
};

/** Runs `work`, turning the engine's input errors into BAD_USER_INPUT. */
async function asUserInput<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    if (err instanceof TraceInputError) throw badInput(err.message);
    throw err;
  }
}

/** A `paths` endpoint entry: `cluster:<id>` or an address of the indexed network. */
async function parseEndpoint(ctx: ApiContext, entry: string): Promise<string> {
  if (entry.startsWith('cluster:')) return `cluster:${parseId(entry.slice('cluster:'.length), 'cluster id')}`;
  return parseAddress(entry, await ctx.network());
}

const dateOf = (time: number | null) => (time === null ? null : new Date(time * 1000));

export const traceQueryResolvers: Pick<QueryResolvers, 'trace' | 'paths'> = {
  trace: async (_root, { input }, ctx) => {
    const network = await ctx.network();
    const from = input.from;
    const request: TraceRequest = {
      from: {
        ...(from.addresses != null ? { addresses: from.addresses.map((a) => parseAddress(a, network)) } : {}),
        ...(from.cluster != null ? { cluster: parseId(from.cluster, 'cluster id') } : {}),
        ...(from.outpoints != null
          ? {
              outpoints: from.outpoints.map((o) => ({
                txid: parseHash(o.txid, 'txid').toString('hex'),
                n: o.n,
              })),
            }
          : {}),
        ...(from.payoutsOfPool != null ? { payoutsOfPool: from.payoutsOfPool } : {}),
      },
      direction: DIRECTIONS[input.direction ?? 'FORWARD']!,
      policy: POLICIES[input.policy ?? 'HAIRCUT']!,
      maxHops: input.maxHops ?? 5,
      minValue: input.minValue ?? 0n,
      maxNodes: input.maxNodes ?? 500,
      stopAt: input.stopAt ?? [],
      ...(input.fromTime != null ? { fromTime: toUnix(input.fromTime) } : {}),
      ...(input.toTime != null ? { toTime: toUnix(input.toTime) } : {}),
    };
    if (request.from.payoutsOfPool !== undefined) {
      const pool = await ctx.loaders.poolBySlug.load(request.from.payoutsOfPool);
      if (pool === null)
        throw badInput(`unknown pool ${JSON.stringify(request.from.payoutsOfPool.slice(0, 100))}`);
    }
    return asUserInput(() => runTrace(ctx.db, request));
  },

  paths: async (_root, args, ctx) => {
    const from = await Promise.all(args.from.map((entry) => parseEndpoint(ctx, entry)));
    const to = await Promise.all(args.to.map((entry) => parseEndpoint(ctx, entry)));
    return asUserInput(() =>
      findPaths(ctx.db, { from, to, maxHops: args.maxHops ?? 6, maxPaths: args.maxPaths ?? 10 }),
    );
  },
};

export const traceNodeResolvers: TraceNodeResolvers = {
  id: (node) => node.id,
  kind: (node) => (node.kind === 'tx' ? 'TX' : 'ADDRESS'),
  txid: (node) => node.txid,
  address: (node) => node.address,
  cluster: (node) => (node.clusterId === null ? null : { id: node.clusterId, size: node.clusterSize ?? 1 }),
  // Every tag of the address with all its fields, as `Address.tags` shows them.
  tags: (node, _args, ctx) => (node.address === null ? [] : ctx.loaders.tagsByAddress.load(node.address)),
  hop: (node) => node.hop,
  value: (node) => node.value,
  taintedValue: (node) => node.taintedValue,
  time: (node) => dateOf(node.time),
  stopped: (node) => node.stopped,
};

export const traceEdgeResolvers: TraceEdgeResolvers = {
  from: (edge) => edge.from,
  to: (edge) => edge.to,
  value: (edge) => edge.value,
  taintedValue: (edge) => edge.taintedValue,
  hop: (edge) => edge.hop,
  time: (edge) => dateOf(edge.time),
  n: (edge) => edge.n,
};

export const traceSummaryResolvers: TraceSummaryResolvers = {
  sourceValue: (summary) => summary.sourceValue,
  reachedValue: (summary) => summary.reachedValue,
  unspentValue: (summary) => summary.unspentValue,
  feeValue: (summary) => summary.feeValue,
  cutOffValue: (summary) => summary.cutOffValue,
  byCluster: (summary) => summary.byCluster,
  byCategory: (summary) => summary.byCategory,
  poisoned: (summary) => summary.poisoned ?? null,
};

export const traceClusterValueResolvers: TraceClusterValueResolvers = {
  cluster: async (entry, _args, ctx) =>
    (await ctx.loaders.clusterById.load(entry.clusterId)) ?? { id: entry.clusterId, size: 1 },
  value: (entry) => entry.value,
};

export const pathsResultResolvers: PathsResultResolvers = {
  paths: (result) => result.paths,
  nodes: (result) => pathsToFlowGraph(result).nodes,
  edges: (result) => pathsToFlowGraph(result).edges,
  truncated: (result) => result.truncated,
};

export const pathLinkResolvers: PathLinkResolvers = {
  txid: (link) => link.txid,
  n: (link) => link.n,
  address: (link) => link.address,
  value: (link) => link.value,
  time: (link) => new Date(link.time * 1000),
  spentByTxid: (link) => link.spentByTxid,
};
