import type { ApiClient } from '../api-client.js';
import type { JobSnapshot } from './job-progress.js';

const JOB_FIELDS =
  'id kind state progress { percent done total message } error createdAt result { data downloadUrl }';

/** A job as the CLI reads it on a server: every field `describeJob` and `minetrace screen --job` use. */
export const JOB_QUERY = /* GraphQL */ `query FollowJob($id: ID!) { job(id: $id) { ${JOB_FIELDS} } }`;
const JOBS_QUERY = /* GraphQL */ `
  query ListJobs($kind: JobKind, $state: JobState, $first: Int, $after: String) {
    jobs(kind: $kind, state: $state, first: $first, after: $after) {
      edges { node { ${JOB_FIELDS} } }
      pageInfo { hasNextPage endCursor }
    }
  }
`;
const CANCEL_MUTATION = /* GraphQL */ `mutation CancelJob($id: ID!) { cancelJob(id: $id) { ${JOB_FIELDS} } }`;
/** Jobs one `jobs` page holds, at most (the server's default `API_MAX_PAGE`). */
const PAGE = 100;

/** A job as the GraphQL `Job` shows it. */
interface RemoteJob {
  id: string;
  kind: string;
  state: string;
  progress: { percent: number; done: number | null; total: number | null; message: string | null };
  error: string | null;
  createdAt: string;
  result: { data: string | null; downloadUrl: string | null } | null;
}

/** A server's job as a row reads here: kinds and states as the jobs table names them, counts as bigints. */
export type RemoteJobSnapshot = JobSnapshot & {
  created_at: Date;
  result: RemoteJob['result'];
};

function snapshotOf(job: RemoteJob): RemoteJobSnapshot {
  return {
    id: BigInt(job.id),
    // SCREEN_BATCH → screen.batch, as the jobs table and `minetrace jobs list` name it.
    kind: job.kind.toLowerCase().replace('_', '.'),
    state: job.state.toLowerCase() as JobSnapshot['state'],
    progress_percent: job.progress.percent,
    progress_done: job.progress.done === null ? null : BigInt(job.progress.done),
    progress_total: job.progress.total === null ? null : BigInt(job.progress.total),
    progress_message: job.progress.message,
    error: job.error,
    created_at: new Date(job.createdAt),
    result: job.result,
  };
}

/** One job on the server (`job(id)`); undefined when there is none the key may see. */
export async function readJobOverHttp(client: ApiClient, id: bigint): Promise<RemoteJobSnapshot | undefined> {
  const { job } = await client.graphql<{ job: RemoteJob | null }>('the job', JOB_QUERY, { id: String(id) });
  return job === null ? undefined : snapshotOf(job);
}

/** The newest jobs on the server, as `listJobs` returns them here, paging through `jobs`. */
export async function listJobsOverHttp(
  client: ApiClient,
  filter: { kind?: string; state?: string; limit: number },
): Promise<RemoteJobSnapshot[]> {
  const jobs: RemoteJobSnapshot[] = [];
  let after: string | null = null;
  while (jobs.length < filter.limit) {
    const page: {
      jobs: {
        edges: Array<{ node: RemoteJob }>;
        pageInfo: { hasNextPage: boolean; endCursor: string | null };
      };
    } = await client.graphql('the job list', JOBS_QUERY, {
      // index.backfill → INDEX_BACKFILL, the schema's enums.
      kind: filter.kind?.toUpperCase().replace('.', '_') ?? null,
      state: filter.state?.toUpperCase() ?? null,
      first: Math.min(PAGE, filter.limit - jobs.length),
      after,
    });
    jobs.push(...page.jobs.edges.map((edge) => snapshotOf(edge.node)));
    if (!page.jobs.pageInfo.hasNextPage) break;
    after = page.jobs.pageInfo.endCursor;
  }
  return jobs;
}

/** Cancels a job on the server (`cancelJob`); the job afterwards. No such job is the server's NOT_FOUND. */
export async function cancelJobOverHttp(client: ApiClient, id: bigint): Promise<RemoteJobSnapshot> {
  const { cancelJob } = await client.graphql<{ cancelJob: RemoteJob }>('the cancellation', CANCEL_MUTATION, {
    id: String(id),
  });
  return snapshotOf(cancelJob);
}
