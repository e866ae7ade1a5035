import type { Db } from '@minetrace/shared/db';
import { flowgraphExportSchema, type JobHandler, type JobPayloadOf } from '@minetrace/shared/queue';
import { strToU8, zipSync } from 'fflate';
import { exportFlowGraph } from '../export/index.js';
import { findPaths, pathsToFlowGraph, runTrace, type TraceRequest } from '../investigate/index.js';

type ExportPayload = JobPayloadOf<'flowgraph.export'>;

/** The payload's trace request (bigints as decimal strings) as the trace engine takes it. */
export function toTraceRequest(
  request: Extract<ExportPayload['query'], { type: 'trace' }>['request'],
): TraceRequest {
  const { from } = request;
  return {
    from: {
      ...(from.addresses === undefined ? {} : { addresses: from.addresses }),
      ...(from.cluster === undefined ? {} : { cluster: BigInt(from.cluster) }),
      ...(from.outpoints === undefined ? {} : { outpoints: from.outpoints }),
      ...(from.payoutsOfPool === undefined ? {} : { payoutsOfPool: from.payoutsOfPool }),
    },
    direction: request.direction,
    policy: request.policy,
    maxHops: request.maxHops,
    minValue: BigInt(request.minValue),
    maxNodes: request.maxNodes,
    stopAt: request.stopAt,
    ...(request.fromTime === undefined ? {} : { fromTime: request.fromTime }),
    ...(request.toTime === undefined ? {} : { toTime: request.toTime }),
  };
}

/**
 * `flowgraph.export`: runs the trace (`runTrace`) or the path search (`findPaths`), writes the flow
 * graph in the asked format (`exportFlowGraph`) to a result file, and returns the walk's summary.
 * CSV is two tables (nodes and edges), delivered as one zip archive.
 */
export function createFlowgraphExportHandler(deps: { db: Db }): JobHandler<ExportPayload> {
  return {
    kind: 'flowgraph.export',
    schema: flowgraphExportSchema,
    async run(ctx) {
      const { query, format, collapseClusters } = ctx.payload;
      ctx.progress({ percent: 0, message: `running the ${query.type} query` });
      const graph =
        query.type === 'trace'
          ? await runTrace(deps.db, toTraceRequest(query.request))
          : pathsToFlowGraph(await findPaths(deps.db, query.request));
      if (ctx.signal.aborted) return { data: null };
      ctx.progress({ percent: 60, message: `writing ${format}` });
      const files = exportFlowGraph(graph, format, { collapseClusters });
      const single = files.length === 1 ? files[0]! : undefined;
      const file = await ctx.writeFile(
        single === undefined
          ? { extension: 'zip', contentType: 'application/zip' }
          : { extension: single.name.split('.').pop() ?? format, contentType: single.mediaType },
        async (out) => {
          const body =
            single === undefined
              ? zipSync(Object.fromEntries(files.map((f) => [f.name, strToU8(f.content)])))
              : Buffer.from(single.content, 'utf8');
          await new Promise<void>((resolve, reject) =>
            out.write(body, (err) => (err === null || err === undefined ? resolve() : reject(err))),
          );
        },
      );
      ctx.progress({ done: graph.nodes.length, total: graph.nodes.length, message: 'written' });
      return {
        file,
        data: {
          format,
          files: files.map((f) => f.name),
          nodes: graph.nodes.length,
          edges: graph.edges.length,
          summary: graph.summary,
        },
      };
    },
  };
}
