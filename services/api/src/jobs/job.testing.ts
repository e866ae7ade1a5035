import { setTimeout as sleep } from 'node:timers/promises';
import { RetryableError } from '@minetrace/shared';
import type { JobHandler } from '@minetrace/shared/queue';
import { z } from 'zod';

/** Payload of the test-only `test.steps` job. */
export const stepsSchema = z.object({
  steps: z.number().int().min(1).max(100_000),
  /** Time each step takes, so a test can stop a worker mid-job. */
  stepMs: z.number().int().min(0).max(60_000),
  /** Runs that fail with a transient error before one succeeds. @defaultValue 0 */
  failRuns: z.number().int().min(0).default(0),
});
export type StepsPayload = z.infer<typeof stepsSchema>;

/** The line `test.steps` writes at step `i` (1-based): what a test compares the file against. */
export const stepLine = (jobId: bigint, i: number) => `job ${jobId} step ${i}`;

/**
 * `test.steps`: writes one line per step into a result file, reporting progress after each, and
 * stops early when its signal aborts. Runs `1..failRuns` throw a `RetryableError` first. `onStep`
 * lets a test observe it.
 */
export function createStepsHandler(
  options: { onStep?: (jobId: bigint, step: number) => void } = {},
): JobHandler<StepsPayload> {
  return {
    kind: 'test.steps',
    schema: stepsSchema,
    async run(ctx) {
      if (ctx.attempt <= ctx.payload.failRuns) {
        throw new RetryableError(`transient failure of run ${ctx.attempt}`);
      }
      const { steps, stepMs } = ctx.payload;
      let written = 0;
      const file = await ctx.writeFile({ extension: 'txt', contentType: 'text/plain' }, async (out) => {
        for (let i = 1; i <= steps; i++) {
          if (ctx.signal.aborted) return;
          if (stepMs > 0) await sleep(stepMs);
          out.write(`${stepLine(ctx.jobId, i)}\n`);
          written = i;
          ctx.progress({ done: i, total: steps, message: `step ${i}` });
          options.onStep?.(ctx.jobId, i);
        }
      });
      return { file, data: { steps: written, run: ctx.attempt } };
    },
  };
}
