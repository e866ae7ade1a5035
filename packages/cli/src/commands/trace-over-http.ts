import type { FlowGraph, TraceEdge, TraceNode, TraceRequest, TraceSummary, TraceTag } from '@minetrace/api';
import type { ApiClient } from '../api-client.js';

/**
 * The GraphQL `trace` query, asking for every field a flow graph needs. Satoshis come back as
 * `Sats` (decimal strings) and times as ISO-8601; both are converted back to what the trace engine
 * returns in process (bigints, unix seconds), so a remote trace exports exactly like a local one.
 */
export const TRACE_QUERY = /* GraphQL */ `
  query ExportGraphTrace($input: TraceInput!) {
    trace(input: $input) {
      nodes {
        id
        kind
        txid
        address
        cluster { id size }
        tags { label category source confidence }
        hop
        value
        taintedValue
        time
        stopped
      }
      edges { from to value taintedValue hop time n }
      summary {
        sourceValue
        reachedValue
        unspentValue
        feeValue
        cutOffValue
        byCluster { cluster { id } value }
        byCategory { category value }
      }
    }
  }
`;

type Sats = string;
type DateTime = string;
interface RemoteNode {
  id: string;
  kind: 'TX' | 'ADDRESS';
  txid: string | null;
  address: string | null;
  cluster: { id: string; size: number } | null;
  tags: TraceTag[];
  hop: number;
  value: Sats;
  taintedValue: Sats;
  time: DateTime | null;
  stopped: boolean;
}
interface RemoteEdge {
  from: string;
  to: string;
  value: Sats;
  taintedValue: Sats;
  hop: number;
  time: DateTime | null;
  n: number | null;
}
interface RemoteSummary {
  sourceValue: Sats;
  reachedValue: Sats;
  unspentValue: Sats;
  feeValue: Sats;
  cutOffValue: Sats;
  byCluster: Array<{ cluster: { id: string }; value: Sats }>;
  byCategory: Array<{ category: string; value: Sats }>;
}
interface TraceData {
  trace: { nodes: RemoteNode[]; edges: RemoteEdge[]; summary: RemoteSummary };
}

/**
 * Runs the trace on a minetrace server (`POST <url>/graphql`, the `trace` query) and returns it as
 * the flow graph the exports take, so the file is written locally exactly as for a local trace.
 */
export async function traceOverHttp(client: ApiClient, request: TraceRequest): Promise<FlowGraph> {
  const { trace } = await client.graphql<TraceData>('the trace', TRACE_QUERY, {
    input: traceInput(request),
  });
  return {
    nodes: trace.nodes.map(
      (node): TraceNode => ({
        id: node.id,
        kind: node.kind === 'TX' ? 'tx' : 'address',
        txid: node.txid,
        address: node.address,
        clusterId: node.cluster === null ? null : BigInt(node.cluster.id),
        clusterSize: node.cluster === null ? null : node.cluster.size,
        tags: node.tags.map((tag) => ({
          label: tag.label,
          category: tag.category,
          source: tag.source,
          confidence: tag.confidence,
        })),
        hop: node.hop,
        value: BigInt(node.value),
        taintedValue: BigInt(node.taintedValue),
        time: unixSeconds(node.time),
        stopped: node.stopped,
      }),
    ),
    edges: trace.edges.map(
      (edge): TraceEdge => ({
        from: edge.from,
        to: edge.to,
        value: BigInt(edge.value),
        taintedValue: BigInt(edge.taintedValue),
        hop: edge.hop,
        time: unixSeconds(edge.time),
        n: edge.n,
      }),
    ),
    summary: summaryOf(trace.summary),
  };
}

/** The request as GraphQL variables: enums upper-case, satoshis and cluster ids as strings. */
function traceInput(request: TraceRequest): Record<string, unknown> {
  return {
    from: {
      ...request.from,
      ...(request.from.cluster === undefined ? {} : { cluster: request.from.cluster.toString() }),
    },
    direction: request.direction.toUpperCase(),
    policy: request.policy.toUpperCase(),
    maxHops: request.maxHops,
    minValue: request.minValue.toString(),
    maxNodes: request.maxNodes,
    stopAt: request.stopAt,
  };
}

function unixSeconds(time: DateTime | null): number | null {
  return time === null ? null : Math.floor(Date.parse(time) / 1000);
}

function summaryOf(summary: RemoteSummary): TraceSummary {
  return {
    sourceValue: BigInt(summary.sourceValue),
    reachedValue: BigInt(summary.reachedValue),
    unspentValue: BigInt(summary.unspentValue),
    feeValue: BigInt(summary.feeValue),
    cutOffValue: BigInt(summary.cutOffValue),
    byCluster: summary.byCluster.map((row) => ({
      clusterId: BigInt(row.cluster.id),
      value: BigInt(row.value),
    })),
    byCategory: summary.byCategory.map((row) => ({ category: row.category, value: BigInt(row.value) })),
  };
}
