import type { JobPayloadOf, JobState as StoredJobState } from '@minetrace/shared/queue';
import { PATH_LIMITS, TRACE_LIMITS, TraceInputError, validateTraceRequest } from '../investigate/index.js';
import { toTraceRequest } from '../jobs/flowgraph-export.job.js';
import { InvalidJobError } from '../jobs/job-service.js';
import { getJob, getJobResult, type JobModel, listJobs } from '../jobs/job-store.js';
import type { ApiContext } from './api-context.js';
import { apiError, badInput, notFound } from './errors.js';
import { parseAddress, parseId } from './input-validation.js';
import { encodeCursor, parsePage, toConnection } from './pagination.js';
import type {
  FlowgraphEndInput,
  FlowgraphExportInput,
  JobKind,
  JobResolvers,
  JobState,
  MutationResolvers,
  QueryResolvers,
} from './resolvers.generated.js';
import { toUnix } from './scalars.js';

const KIND_OUT: Record<string, JobKind> = {
  'flowgraph.export': 'FLOWGRAPH_EXPORT',
  'screen.batch': 'SCREEN_BATCH',
  'index.backfill': 'INDEX_BACKFILL',
  'cluster.rebuild': 'CLUSTER_REBUILD',
};
const KIND_IN: Record<JobKind, string> = {
  FLOWGRAPH_EXPORT: 'flowgraph.export',
  SCREEN_BATCH: 'screen.batch',
  INDEX_BACKFILL: 'index.backfill',
  CLUSTER_REBUILD: 'cluster.rebuild',
};
const STATE_IN: Record<JobState, StoredJobState> = {
  QUEUED: 'queued',
  RUNNING: 'running',
  COMPLETED: 'completed',
  FAILED: 'failed',
  CANCELLED: 'cancelled',
};

/** The download path of a job's file result; the API serves it with the same key auth. */
export const jobResultPath = (id: bigint | string) => `/jobs/${id}/result`;

/** Keys see the jobs they enqueued; the admin role and the open localhost mode see every job. */
function ownerFilter(ctx: ApiContext): bigint | undefined {
  return ctx.principal.kind === 'key' && ctx.principal.role !== 'admin' ? ctx.principal.keyId : undefined;
}

/** Whether the caller may see (and cancel) this job. */
export function mayAccessJob(principal: ApiContext['principal'], job: Pick<JobModel, 'api_key_id'>): boolean {
  return principal.kind === 'open' || principal.role === 'admin' || job.api_key_id === principal.keyId;
}

async function visibleJob(ctx: ApiContext, id: string): Promise<JobModel | null> {
  const job = await getJob(ctx.db, parseId(id, 'job id'));
  return job !== undefined && mayAccessJob(ctx.principal, job) ? job : null;
}

function jobService(ctx: ApiContext) {
  if (ctx.jobs === null) {
    throw apiError('INTERNAL_SERVER_ERROR', 'this API process runs without a job queue; retry later');
  }
  return ctx.jobs;
}

/** Queues a job for the caller (its key owns it); a payload its schema refuses is BAD_USER_INPUT. */
export async function enqueueForCaller(
  ctx: ApiContext,
  payload: Parameters<NonNullable<ApiContext['jobs']>['enqueue']>[0],
) {
  try {
    return await jobService(ctx).enqueue(payload, {
      apiKeyId: ctx.principal.kind === 'key' ? ctx.principal.keyId : null,
    });
  } catch (err) {
    if (err instanceof InvalidJobError) throw badInput(err.message);
    throw err;
  }
}

function traceFrom(input: FlowgraphEndInput) {
  return {
    ...(input.addresses == null ? {} : { addresses: input.addresses }),
    ...(input.cluster == null ? {} : { cluster: String(parseId(input.cluster, 'cluster id')) }),
    ...(input.outpoints == null ? {} : { outpoints: input.outpoints.map((o) => ({ txid: o.txid, n: o.n })) }),
    ...(input.payoutsOfPool == null ? {} : { payoutsOfPool: input.payoutsOfPool }),
  };
}

/** A path search's end: addresses and `cluster:<id>`; outpoints and pool payouts are trace-only. */
function pathEnds(input: FlowgraphEndInput, which: string): string[] {
  if (input.outpoints != null || input.payoutsOfPool != null) {
    throw badInput(
      `a paths export takes addresses and a cluster in ${which}, not outpoints or payoutsOfPool`,
    );
  }
  return [
    ...(input.addresses ?? []),
    ...(input.cluster == null ? [] : [`cluster:${parseId(input.cluster, 'cluster id')}`]),
  ];
}

const upperEnum = <T extends string>(value: string, allowed: readonly T[], what: string): T => {
  const lower = value.toLowerCase() as T;
  if (!allowed.includes(lower)) {
    throw badInput(
      `${what} must be one of ${allowed.map((a) => a.toUpperCase()).join(', ')}, got ${JSON.stringify(value.slice(0, 50))}`,
    );
  }
  return lower;
};

/**
 * The GraphQL input as a `flowgraph.export` payload. A trace request is checked by the trace
 * engine's own validation here, so that a request the engine refuses never becomes a job.
 */
function flowgraphPayload(input: FlowgraphExportInput): JobPayloadOf<'flowgraph.export'> {
  const format = input.format.toLowerCase() as JobPayloadOf<'flowgraph.export'>['format'];
  const collapseClusters = input.collapseClusters ?? false;
  if (input.to != null) {
    return {
      type: 'flowgraph.export',
      format,
      collapseClusters,
      query: {
        type: 'paths',
        request: {
          from: pathEnds(input.from, 'from'),
          to: pathEnds(input.to, 'to'),
          maxHops: input.maxHops,
          maxPaths: input.maxPaths ?? PATH_LIMITS.maxPaths,
        },
      },
    };
  }
  const request = {
    from: traceFrom(input.from),
    direction: upperEnum(input.direction ?? 'FORWARD', ['forward', 'backward'] as const, 'direction'),
    policy: upperEnum(
      input.policy ?? 'HAIRCUT',
      ['poison', 'haircut', 'fifo', 'lifo', 'tiho'] as const,
      'policy',
    ),
    maxHops: input.maxHops,
    minValue: String(input.minValue ?? 0n),
    maxNodes: input.maxNodes ?? TRACE_LIMITS.maxNodes,
    stopAt: input.stopAt ?? [],
    ...(input.fromTime == null ? {} : { fromTime: toUnix(input.fromTime) }),
    ...(input.toTime == null ? {} : { toTime: toUnix(input.toTime) }),
  };
  try {
    validateTraceRequest(toTraceRequest(request));
  } catch (err) {
    if (err instanceof TraceInputError) throw badInput(err.message);
    throw err;
  }
  return { type: 'flowgraph.export', format, collapseClusters, query: { type: 'trace', request } };
}

export const jobQueryResolvers: Pick<QueryResolvers, 'job' | 'jobs'> = {
  job: (_root, args, ctx) => visibleJob(ctx, args.id),
  jobs: async (_root, args, ctx) => {
    const page = parsePage(args, 'job', 1, ctx.maxPage);
    const rows = await listJobs(ctx.db, {
      kind: args.kind == null ? undefined : KIND_IN[args.kind],
      state: args.state == null ? undefined : STATE_IN[args.state],
      afterId: page.after === null ? null : page.after[0]!,
      limit: page.first + 1,
      apiKeyId: ownerFilter(ctx),
    });
    return toConnection(rows, page.first, page.after !== null, (row) => encodeCursor('job', [row.id]));
  },
};

export const jobMutationResolvers: Pick<
  MutationResolvers,
  | 'enqueueFlowgraphExport'
  | 'enqueueScreenBatch'
  | 'enqueueIndexBackfill'
  | 'enqueueClusterRebuild'
  | 'cancelJob'
> = {
  enqueueFlowgraphExport: (_root, args, ctx) => enqueueForCaller(ctx, flowgraphPayload(args.input)),
  enqueueScreenBatch: async (_root, args, ctx) => {
    const network = await ctx.network();
    const addresses = args.addresses.map((address) => parseAddress(address, network));
    return enqueueForCaller(ctx, { type: 'screen.batch', addresses });
  },
  enqueueIndexBackfill: (_root, args, ctx) =>
    enqueueForCaller(ctx, { type: 'index.backfill', from: args.from, to: args.to }),
  enqueueClusterRebuild: (_root, _args, ctx) => enqueueForCaller(ctx, { type: 'cluster.rebuild' }),
  cancelJob: async (_root, args, ctx) => {
    const job = await visibleJob(ctx, args.id);
    if (job === null) throw notFound(`no job ${args.id}`);
    return (await jobService(ctx).cancel(job.id)) ?? job;
  },
};

/**
 * A job as the GraphQL `Job` shows it, without its result (for answers outside GraphQL, such as
 * `POST /api/v1/jobs/screen-batch`, which answer a job just queued).
 */
export function jobAsJson(job: JobModel) {
  return {
    id: String(job.id),
    kind: KIND_OUT[job.kind] ?? job.kind,
    state: job.state.toUpperCase() as JobState,
    progress: {
      percent: job.progress_percent,
      done: job.progress_done === null ? null : Number(job.progress_done),
      total: job.progress_total === null ? null : Number(job.progress_total),
      message: job.progress_message,
    },
    error: job.error,
    attempts: job.attempts,
    createdAt: job.created_at.toISOString(),
    startedAt: job.started_at?.toISOString() ?? null,
    finishedAt: job.finished_at?.toISOString() ?? null,
  };
}

export const jobResolvers: JobResolvers = {
  id: (job) => String(job.id),
  kind: (job) => {
    const kind = KIND_OUT[job.kind];
    // Kinds outside the schema (an extension's) are not listed by their own name.
    if (kind === undefined) throw apiError('INTERNAL_SERVER_ERROR', `job ${job.id} has an unknown kind`);
    return kind;
  },
  state: (job) => job.state.toUpperCase() as JobState,
  progress: (job) => ({
    percent: job.progress_percent,
    done: job.progress_done === null ? null : Number(job.progress_done),
    total: job.progress_total === null ? null : Number(job.progress_total),
    message: job.progress_message,
  }),
  result: async (job, _args, ctx) => {
    if (job.state !== 'completed') return null;
    const result = await getJobResult(ctx.db, job.id);
    if (result === undefined) return null;
    return {
      data: result.data === null ? null : JSON.stringify(result.data),
      downloadUrl: result.file_name === null ? null : jobResultPath(job.id),
      contentType: result.content_type,
      bytes: result.bytes === null ? null : Number(result.bytes),
      expiresAt: result.expires_at,
    };
  },
  error: (job) => job.error,
  attempts: (job) => job.attempts,
  createdAt: (job) => job.created_at,
  startedAt: (job) => job.started_at,
  finishedAt: (job) => job.finished_at,
};
