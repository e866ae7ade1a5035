import { getJob } from '@minetrace/api';
import type { Db, JobRow } from '@minetrace/shared/db';
import { FINISHED_JOB_STATES } from '@minetrace/shared/queue';
import cliProgress from 'cli-progress';

/** How often the jobs' rows are read while following them. */
const POLL_MS = 500;

/** What following a job reads of it: its row, or the same fields as a server reports them. */
export type JobSnapshot = Pick<
  JobRow,
  | 'id'
  | 'kind'
  | 'state'
  | 'progress_percent'
  | 'progress_done'
  | 'progress_total'
  | 'progress_message'
  | 'error'
>;

/** One line about a job, for logs and non-TTY output. */
export function describeJob(job: JobSnapshot): string {
  const counts =
    job.progress_done !== null && job.progress_total !== null
      ? ` ${job.progress_done}/${job.progress_total}`
      : '';
  const error = job.error === null ? '' : `: ${job.error}`;
  return `job ${job.id} ${job.kind} ${job.state} ${job.progress_percent.toFixed(0)}%${counts}${error}`;
}

export interface FollowOptions {
  signal?: AbortSignal;
  out?: NodeJS.WriteStream;
  label?: string;
}

/**
 * Follows jobs until every one is finished (or `signal` aborts), reading their rows in Postgres: a
 * progress bar over their summed progress on a TTY, a line per finished job otherwise. Returns the
 * last rows read.
 */
export function followJobs(db: Db, ids: readonly bigint[], options: FollowOptions = {}): Promise<JobRow[]> {
  return followJobsWith((id) => getJob(db, id), ids, options);
}

/** `followJobs` reading each job with `read` (a row in Postgres, or a server's `job(id)`); undefined: no such job. */
export async function followJobsWith<T extends JobSnapshot>(
  read: (id: bigint) => Promise<T | undefined>,
  ids: readonly bigint[],
  options: FollowOptions = {},
): Promise<T[]> {
  const out = options.out ?? process.stderr;
  const tty = out.isTTY === true;
  const bar = tty
    ? new cliProgress.SingleBar(
        {
          stream: out,
          format: `${options.label ?? 'jobs'} [{bar}] {percentage}% | {finished}/{jobs} jobs | {detail} | {duration_formatted}`,
          hideCursor: true,
        },
        cliProgress.Presets.shades_classic,
      )
    : undefined;
  bar?.start(100, 0, { finished: 0, jobs: ids.length, detail: 'queued' });
  const reported = new Set<bigint>();
  let rows: T[] = [];
  try {
    for (;;) {
      rows = [];
      for (const id of ids) {
        const row = await read(id);
        if (row !== undefined) rows.push(row);
      }
      const finished = rows.filter((row) => FINISHED_JOB_STATES.includes(row.state));
      // Items where counted (heights, addresses), else the mean percent.
      const counted = rows.every((row) => row.progress_total !== null);
      const done = counted ? rows.reduce((sum, row) => sum + Number(row.progress_done ?? 0), 0) : 0;
      const total = counted ? rows.reduce((sum, row) => sum + Number(row.progress_total ?? 0), 0) : 0;
      const percent =
        counted && total > 0
          ? (done / total) * 100
          : rows.reduce((sum, row) => sum + row.progress_percent, 0) / Math.max(1, rows.length);
      const running = rows.find((row) => row.state === 'running');
      bar?.update(Math.round(percent * 10) / 10, {
        finished: finished.length,
        jobs: ids.length,
        detail:
          counted && total > 0
            ? `${done}/${total}`
            : (running?.progress_message ?? running?.state ?? 'queued'),
      });
      if (!tty) {
        for (const row of finished) {
          if (reported.has(row.id)) continue;
          reported.add(row.id);
          out.write(`minetrace: ${describeJob(row)}\n`);
        }
      }
      // A job that does not exist (or that the key may not see) would never finish: it is not waited
      // for, and the caller, given fewer rows than ids, says so.
      if (finished.length === rows.length || options.signal?.aborted) return rows;
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    }
  } finally {
    bar?.stop();
  }
}
