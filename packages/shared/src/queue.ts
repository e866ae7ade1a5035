import { z } from 'zod';
import { NonRetryableError, RetryableError } from './errors.js';
import type { Logger } from './log.js';

/**
 * The batch jobs: their kinds, the BullMQ queue they travel on and the schema of each payload.
 * A job's payload is stored in Postgres (`jobs.payload`) and validated with these schemas both when
 * it is enqueued (bad input changes nothing) and when a worker picks it up (a payload written by an
 * older version fails clearly instead of half-running).
 */

/** The one BullMQ queue every job travels on; the message carries only the job's id and kind. */
export const JOB_QUEUE_NAME = 'minetrace-jobs';

/** Largest `screen.batch` address list. */
export const MAX_SCREEN_BATCH_ADDRESSES = 1_000_000;

/** Largest height range of one `index.backfill` job; `minetrace index --from --to` splits larger ones. */
export const MAX_BACKFILL_SPAN = 100_000;

const decimal = z.string().regex(/^\d{1,19}$/, 'must be a non-negative integer as a decimal string');
const height = z.number().int().min(0).max(100_000_000);

/** The start of a trace or of a path search, as `TraceFrom` (bigints as decimal strings). */
export const traceFromSchema = z
  .object({
    addresses: z.array(z.string().min(1).max(200)).max(10_000).optional(),
    cluster: decimal.optional(),
    outpoints: z
      .array(z.object({ txid: z.string().regex(/^[0-9a-f]{64}$/i), n: z.number().int().min(0) }))
      .max(10_000)
      .optional(),
    payoutsOfPool: z.string().min(1).max(100).optional(),
  })
  .refine(
    (from) =>
      (from.addresses?.length ?? 0) > 0 ||
      from.cluster !== undefined ||
      (from.outpoints?.length ?? 0) > 0 ||
      from.payoutsOfPool !== undefined,
    'needs at least one of addresses, cluster, outpoints, payoutsOfPool',
  );

/** A `TraceRequest` as JSON: `minValue` is a decimal string of satoshis. */
export const traceRequestSchema = z.object({
  from: traceFromSchema,
  direction: z.enum(['forward', 'backward']),
  policy: z.enum(['poison', 'haircut', 'fifo', 'lifo', 'tiho']),
  maxHops: z.number().int().min(1).max(1000),
  minValue: decimal,
  maxNodes: z.number().int().min(1).max(10_000_000),
  stopAt: z.array(z.string().min(1).max(100)).max(100).default([]),
  fromTime: z.number().int().min(0).optional(),
  toTime: z.number().int().min(0).optional(),
});

/** An end of a path search: an address, or `cluster:<id>` for every member address of a cluster. */
const pathEndpoint = z
  .string()
  .regex(/^(cluster:\d{1,19}|[A-Za-z0-9]{14,100})$/, 'must be an address or cluster:<id>');

/** Paths between two sets of addresses or clusters (`PathsRequest`). */
export const pathsRequestSchema = z.object({
  from: z.array(pathEndpoint).min(1).max(1000),
  to: z.array(pathEndpoint).min(1).max(1000),
  maxHops: z.number().int().min(1).max(100),
  maxPaths: z.number().int().min(1).max(100_000).default(100),
});

/** The file formats of a flow-graph export. */
export const EXPORT_FORMATS = ['json', 'graphml', 'gexf', 'dot', 'csv'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

export const flowgraphExportSchema = z.object({
  type: z.literal('flowgraph.export'),
  query: z.discriminatedUnion('type', [
    z.object({ type: z.literal('trace'), request: traceRequestSchema }),
    z.object({ type: z.literal('paths'), request: pathsRequestSchema }),
  ]),
  format: z.enum(EXPORT_FORMATS),
  /** Collapse each cluster's addresses into one node. */
  collapseClusters: z.boolean().default(false),
});

export const screenBatchSchema = z.object({
  type: z.literal('screen.batch'),
  addresses: z
    .array(z.string().min(1).max(200))
    .min(1, 'needs at least one address')
    .max(MAX_SCREEN_BATCH_ADDRESSES, `at most ${MAX_SCREEN_BATCH_ADDRESSES} addresses`),
});

export const indexBackfillSchema = z
  .object({
    type: z.literal('index.backfill'),
    /** First height, inclusive. */
    from: height,
    /** Last height, inclusive. */
    to: height,
  })
  .refine((job) => job.from <= job.to, 'from must not be above to')
  .refine(
    (job) => job.to - job.from < MAX_BACKFILL_SPAN,
    `a backfill job covers at most ${MAX_BACKFILL_SPAN} heights`,
  );

export const clusterRebuildSchema = z.object({ type: z.literal('cluster.rebuild') });

/** Every job kind and its payload schema; a payload's `type` is its kind. */
export const JOB_SCHEMAS = {
  'flowgraph.export': flowgraphExportSchema,
  'screen.batch': screenBatchSchema,
  'index.backfill': indexBackfillSchema,
  'cluster.rebuild': clusterRebuildSchema,
} as const;

export type JobKind = keyof typeof JOB_SCHEMAS;
export const JOB_KINDS = Object.keys(JOB_SCHEMAS) as JobKind[];

export type JobPayloadOf<K extends JobKind> = z.infer<(typeof JOB_SCHEMAS)[K]>;
/** A job's payload, a union tagged by `type`. */
export type JobPayload = { [K in JobKind]: JobPayloadOf<K> }[JobKind];

/** Where a job stands. `queued` covers waiting, delayed and waiting for a retry. */
export const JOB_STATES = ['queued', 'running', 'completed', 'failed', 'cancelled'] as const;
export type JobState = (typeof JOB_STATES)[number];

/** States a job never leaves. */
export const FINISHED_JOB_STATES: readonly JobState[] = ['completed', 'failed', 'cancelled'];

export function isJobKind(value: string): value is JobKind {
  return Object.hasOwn(JOB_SCHEMAS, value);
}

/** The BullMQ message: the job lives in Postgres, so the queue carries only where to find it. */
export const jobMessageSchema = z.object({ jobId: decimal, kind: z.string().min(1).max(100) });
export type JobMessage = z.infer<typeof jobMessageSchema>;

/** A result written to a file under `MINETRACE_DATA_DIR/jobs` (see `JobContext.writeFile`). */
export interface JobResultFile {
  fileName: string;
  contentType: string;
  bytes: number;
}

/**
 * What a handler returns: a small JSON result (`data`), or a file plus an optional JSON summary.
 * Bigints in `data` are stored as decimal strings.
 */
export type JobOutcome = { data: unknown; file?: undefined } | { file: JobResultFile; data?: unknown };

/** Progress as counts (percent is done/total) or as a percent alone. */
export type JobProgressUpdate =
  | { done: number | bigint; total: number | bigint; message?: string }
  | { percent: number; message?: string };

/** What a handler gets for one run of one job. */
export interface JobContext<P> {
  jobId: bigint;
  payload: P;
  /** 1 for the first run; a retry after a transient error or a crash counts up. */
  attempt: number;
  /** Aborted when the job is cancelled or another run took it over: stop at the next safe point. */
  signal: AbortSignal;
  logger: Logger;
  /** Records progress; cheap to call often (writes are throttled). */
  progress(update: JobProgressUpdate): void;
  /**
   * Writes a result file under a temporary name and renames it into place once `write` resolved and
   * the bytes are on disk, so that no reader ever sees it half-written. Return it in the outcome.
   */
  writeFile(
    options: { extension: string; contentType: string },
    write: (out: NodeJS.WritableStream) => Promise<void>,
  ): Promise<JobResultFile>;
}

/**
 * One job kind's implementation. Throw `RetryableError` for a transient failure (retried with
 * backoff), `JobWaitError` when the job cannot run yet, anything else to fail the job.
 */
export interface JobHandler<P = unknown> {
  kind: string;
  schema: z.ZodType<P, unknown>;
  run(ctx: JobContext<P>): Promise<JobOutcome>;
}

/**
 * The job cannot run yet (e.g. a backfill range above the indexed tip): it goes back to the queue
 * for `delayMs` without spending one of its attempts.
 */
export class JobWaitError extends RetryableError {
  override name = 'JobWaitError';
  constructor(
    message: string,
    readonly delayMs: number,
  ) {
    super(message);
  }
}

/** The kind exists but this process has no implementation of it. */
export class JobUnavailableError extends NonRetryableError {
  override name = 'JobUnavailableError';
}
