import path from 'node:path';
import { getJobResult, resultDir } from '@minetrace/api';
import { NonRetryableError } from '@minetrace/shared';
import type { Config } from '@minetrace/shared/config';
import type { Db } from '@minetrace/shared/db';
import { createLogger } from '@minetrace/shared/log';
import { MAX_SCREEN_BATCH_ADDRESSES } from '@minetrace/shared/queue';
import { say, waitForShutdown } from './cli-runtime.js';
import { describeJob, followJobs } from './job-progress.js';
import { startJobSystem } from './worker.action.js';

/**
 * `minetrace screen --file F --job`: queues the (validated) addresses as one `screen.batch` job and
 * follows it. With REDIS_URL the workers run it; without, it runs here. Prints the result file's
 * path and the count per risk level.
 */
export async function runScreenJob(config: Config, db: Db, addresses: string[]): Promise<void> {
  if (addresses.length > MAX_SCREEN_BATCH_ADDRESSES) {
    throw new NonRetryableError(
      `screen: a batch holds at most ${MAX_SCREEN_BATCH_ADDRESSES} addresses, got ${addresses.length}; split the file`,
    );
  }
  const inProcess = config.REDIS_URL === undefined;
  const logger = createLogger({ level: config.LOG_LEVEL === 'info' ? 'warn' : config.LOG_LEVEL });
  const { signal } = waitForShutdown();
  const system = await startJobSystem({ db, config, logger, worker: inProcess, rpc: undefined });
  try {
    const job = await system.service.enqueue({ type: 'screen.batch', addresses });
    say(
      `queued screen job ${job.id} for ${addresses.length} address(es)${inProcess ? ' (running here)' : ''}`,
    );
    const [row] = await followJobs(db, [job.id], { signal, label: 'screen' });
    if (row === undefined || signal.aborted) {
      say(inProcess ? 'stopped' : `stopped following; job ${job.id} continues on the workers`);
      return;
    }
    if (row.state !== 'completed') throw new NonRetryableError(`screen: ${describeJob(row)}`);
    const result = await getJobResult(db, row.id);
    if (result?.file_name != null)
      say(`results: ${path.join(resultDir(config.MINETRACE_DATA_DIR), result.file_name)}`);
    process.stdout.write(`${JSON.stringify(result?.data ?? null)}\n`);
  } finally {
    await system.close();
  }
}
