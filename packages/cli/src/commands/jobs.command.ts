import type { JOB_STATES as QUEUE_JOB_STATES } from '@minetrace/shared/queue';
import type { Command } from 'commander';

/**
 * The job states, spelled out so that `--help` does not load the queue schemas; `satisfies` makes
 * any difference from `JOB_STATES` of `@minetrace/shared/queue` (a state, the order) a compile error.
 */
const JOB_STATES = [
  'queued',
  'running',
  'completed',
  'failed',
  'cancelled',
] as const satisfies typeof QUEUE_JOB_STATES;

/**
 * `minetrace jobs list|wait|cancel`: the batch jobs in the configured database, or, with
 * `MINETRACE_API_URL` set, on that server (`jobs`, `job(id)`, `cancelJob`: a key sees the jobs it
 * queued, an admin key every job).
 */
export function registerJobs(program: Command): void {
  const jobs = program.command('jobs').description('list, follow and cancel batch jobs');
  jobs
    .command('list')
    .description('the newest jobs, one line each')
    .option('--kind <kind>', 'only jobs of this kind (e.g. index.backfill)')
    .option('--state <state>', `only jobs in this state (${JOB_STATES.join(', ')})`)
    .option('--limit <n>', 'how many', '20')
    .action(async (options: { kind?: string; state?: string; limit: string }) => {
      const { jobsListAction } = await import('./jobs.action.js');
      await jobsListAction(options);
    });
  jobs
    .command('wait')
    .description('follow jobs until they finish, with a progress bar on a terminal')
    .argument('<ids...>', 'job ids')
    .action(async (ids: string[]) => {
      const { jobsWaitAction } = await import('./jobs.action.js');
      await jobsWaitAction(ids);
    });
  jobs
    .command('cancel')
    .description('cancel a queued or running job')
    .argument('<id>', 'job id')
    .action(async (id: string) => {
      const { jobsCancelAction } = await import('./jobs.action.js');
      await jobsCancelAction(id);
    });
}
