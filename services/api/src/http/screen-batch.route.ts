import { checkAddress } from '@minetrace/shared/chain';
import { MAX_SCREEN_BATCH_ADDRESSES } from '@minetrace/shared/queue';
import type { TagProblem } from '@minetrace/shared/tags';
import { badInput } from '../graphql/errors.js';
import { enqueueForCaller, jobAsJson } from '../graphql/jobs.resolvers.js';
import type { UploadSpec } from './upload-gate.js';

/** `POST /api/v1/jobs/screen-batch`, one address a line as the body. */
export const SCREEN_BATCH_PATH = '/api/v1/jobs/screen-batch';

/** Invalid addresses an error lists, at most (its message says how many there were). */
const MAX_LISTED_PROBLEMS = 100;

/**
 * The addresses of a list as `minetrace screen --file` reads one: one a line, `#` starts a comment,
 * blank lines are skipped. Each with its line number (from 1).
 */
export function addressLines(text: string): Array<{ line: number; value: string }> {
  const found: Array<{ line: number; value: string }> = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    const value = raw.replace(/#.*/, '').trim();
    if (value.length > 0) found.push({ line: i + 1, value });
  });
  return found;
}

/**
 * The `enqueueScreenBatch` mutation for batches above GraphQL's body limit (up to 1,000,000
 * addresses; every role that may screen): queues one `screen.batch` job owned by the calling key and
 * answers it as the GraphQL `Job` shows it (202). Every address must be one of the indexed network:
 * otherwise nothing is queued and BAD_USER_INPUT lists the bad lines in `problems`.
 */
export const screenBatchUpload: UploadSpec<Record<string, never>> = {
  operation: 'enqueueScreenBatch',
  params: () => ({}),
  async run({ ctx, text }) {
    const lines = addressLines(text);
    if (lines.length === 0) throw badInput('the body names no address: send one address a line');
    if (lines.length > MAX_SCREEN_BATCH_ADDRESSES) {
      throw badInput(
        `a batch holds at most ${MAX_SCREEN_BATCH_ADDRESSES} addresses, got ${lines.length}; split the list`,
      );
    }
    const network = await ctx.network();
    const problems: TagProblem[] = [];
    const addresses = lines.map(({ line, value }) => {
      const check = checkAddress(value, network);
      if (check.ok) return check.address;
      problems.push({ at: `line ${line}`, message: check.message });
      return value;
    });
    if (problems.length > 0) {
      throw badInput(`${problems.length} invalid address(es), nothing queued`, {
        problems: problems.slice(0, MAX_LISTED_PROBLEMS),
      });
    }
    const job = await enqueueForCaller(ctx, { type: 'screen.batch', addresses });
    return { status: 202, body: jobAsJson(job) };
  },
};
