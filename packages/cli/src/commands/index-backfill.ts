import type { JobSystem } from '@minetrace/api';
import { NonRetryableError } from '@minetrace/shared';
import type { Config } from '@minetrace/shared/config';
import type { JobRow } from '@minetrace/shared/db';
import { createLogger } from '@minetrace/shared/log';
import { MAX_BACKFILL_SPAN } from '@minetrace/shared/queue';
import { openReadyDb, rpcFromConfig, say, waitForShutdown } from './cli-runtime.js';
import { describeJob, followJobs } from './job-progress.js';
import { DEFAULT_BACKFILL_CHUNK, type IndexRangeArguments } from './serve.command.js';
import { startJobSystem } from './worker.action.js';

function parseHeight(value: string | undefined, flag: string): number {
  if (value === undefined) throw new NonRetryableError(`${flag} is required with --from/--to`);
  if (!/^\d{1,9}$/.test(value)) throw new NonRetryableError(`${flag} must be a block height, got '${value}'`);
  return Number(value);
}

/**
 * Splits heights `from..to` into consecutive ranges of at most `chunk` heights, lowest first.
 * Throws a `NonRetryableError` for an inverted range or a bad chunk size.
 */
export function planBackfill(args: IndexRangeArguments): Array<{ from: number; to: number }> {
  const from = parseHeight(args.from, '--from');
  const to = parseHeight(args.to, '--to');
  if (from > to) throw new NonRetryableError(`--from ${from} is above --to ${to}`);
  const chunk = args.chunk === undefined ? DEFAULT_BACKFILL_CHUNK : Number(args.chunk);
  if (!Number.isInteger(chunk) || chunk < 1 || chunk > MAX_BACKFILL_SPAN) {
    throw new NonRetryableError(
      `--chunk must be an integer from 1 to ${MAX_BACKFILL_SPAN}, got '${args.chunk}'`,
    );
  }
  const ranges: Array<{ from: number; to: number }> = [];
  for (let start = from; start <= to; start += chunk)
    ranges.push({ from: start, to: Math.min(to, start + chunk - 1) });
  return ranges;
}

/**
 * `minetrace index --from H1 --to H2`: queues `index.backfill` jobs of `--chunk` heights each. With
 * REDIS_URL the workers (`minetrace worker`, anywhere) run them and this command follows their
 * progress (`--detach` returns at once); without it they run here, in this process. Each chunk starts
 * once the indexed tip reaches the height below it, so the chunks are written strictly in order.
 */
export async function runIndexRange(config: Config, args: IndexRangeArguments): Promise<void> {
  const ranges = planBackfill(args);
  const inProcess = config.REDIS_URL === undefined;
  if (inProcess && args.detach === true) {
    throw new NonRetryableError('--detach needs REDIS_URL: without Redis the jobs run in this process');
  }
  const logger = createLogger({ level: config.LOG_LEVEL === 'info' ? 'warn' : config.LOG_LEVEL });
  const rpc = rpcFromConfig(config);
  const db = await openReadyDb(config);
  const { signal } = waitForShutdown();
  let system: JobSystem | undefined;
  try {
    system = await startJobSystem({ db, config, logger, worker: inProcess, rpc });
    const jobs: JobRow[] = [];
    for (const range of ranges) {
      jobs.push(await system.service.enqueue({ type: 'index.backfill', from: range.from, to: range.to }));
    }
    const first = ranges[0]!;
    const last = ranges.at(-1)!;
    say(
      `queued ${jobs.length} backfill job(s) for heights ${first.from} to ${last.to}: ` +
        `${jobs.map((job) => job.id).join(', ')}${inProcess ? ' (running here: REDIS_URL is not set)' : ''}`,
    );
    if (args.detach === true) return;
    const rows = await followJobs(
      db,
      jobs.map((job) => job.id),
      { signal, label: 'backfill' },
    );
    if (signal.aborted) {
      say(
        inProcess
          ? 'stopped; the unfinished jobs run again at the next `minetrace start`, `api` or `index --from`'
          : 'stopped following; the jobs continue on the workers',
      );
      return;
    }
    const failed = rows.filter((row) => row.state !== 'completed');
    for (const row of failed) say(describeJob(row));
    if (failed.length > 0)
      throw new NonRetryableError(`${failed.length} of ${rows.length} backfill job(s) did not complete`);
    say(`indexed heights ${first.from} to ${last.to}`);
  } finally {
    await system?.close();
    await db.destroy();
  }
}
