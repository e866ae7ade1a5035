import type { Command } from 'commander';

/** `minetrace worker`: runs batch jobs from the Redis queue until stopped. */
export function registerWorker(program: Command): void {
  program
    .command('worker')
    .description(
      'run batch jobs (exports, batch screening, backfill, re-clustering) from the queue at REDIS_URL; ' +
        'start as many as you like, on any machine',
    )
    .action(async () => {
      const { workerAction } = await import('./worker.action.js');
      await workerAction();
    });
}
