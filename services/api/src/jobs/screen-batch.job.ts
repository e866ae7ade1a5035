import { checkAddress } from '@minetrace/shared/chain';
import type { Db } from '@minetrace/shared/db';
import { type JobHandler, type JobPayloadOf, screenBatchSchema } from '@minetrace/shared/queue';
import { indexedNetwork } from '@minetrace/shared/tags';
import {
  MAX_SCREEN_ADDRESSES,
  RISK_LEVELS,
  type RiskLevel,
  type ScreenSettings,
  screenAddresses,
  screenResultToJson,
} from '../investigate/index.js';

/** Invalid addresses named in the summary, at most (the count is always exact). */
const MAX_LISTED_INVALID = 100;

/**
 * `screen.batch`: screens up to 1,000,000 addresses, `MAX_SCREEN_ADDRESSES` at a time, into a JSON
 * Lines file (one `screenResultToJson` object per address, in the order given, duplicates once) and
 * returns the count per risk level. Addresses that are not valid for the indexed network are not
 * screened; the summary counts them and names the first ones.
 */
export function createScreenBatchHandler(deps: {
  db: Db;
  settings: ScreenSettings;
}): JobHandler<JobPayloadOf<'screen.batch'>> {
  return {
    kind: 'screen.batch',
    schema: screenBatchSchema,
    async run(ctx) {
      const network = await indexedNetwork(deps.db);
      const valid: string[] = [];
      const invalid: string[] = [];
      const seen = new Set<string>();
      for (const value of ctx.payload.addresses) {
        const check = checkAddress(value, network);
        if (!check.ok) invalid.push(value);
        else if (!seen.has(check.address)) {
          seen.add(check.address);
          valid.push(check.address);
        }
      }
      const byRisk = Object.fromEntries(RISK_LEVELS.map((level) => [level, 0])) as Record<RiskLevel, number>;
      ctx.progress({ done: 0, total: valid.length });
      const file = await ctx.writeFile(
        { extension: 'jsonl', contentType: 'application/x-ndjson' },
        async (out) => {
          for (let at = 0; at < valid.length; at += MAX_SCREEN_ADDRESSES) {
            if (ctx.signal.aborted) return;
            const chunk = valid.slice(at, at + MAX_SCREEN_ADDRESSES);
            const results = await screenAddresses(deps.db, chunk, deps.settings);
            const lines = results.map((result) => {
              byRisk[result.risk] += 1;
              return `${JSON.stringify(screenResultToJson(result))}\n`;
            });
            await new Promise<void>((resolve, reject) =>
              out.write(lines.join(''), (err) =>
                err === null || err === undefined ? resolve() : reject(err),
              ),
            );
            ctx.progress({ done: at + chunk.length, total: valid.length });
          }
        },
      );
      return {
        file,
        data: {
          screened: valid.length,
          byRisk,
          invalid: invalid.length,
          invalidAddresses: invalid.slice(0, MAX_LISTED_INVALID),
        },
      };
    },
  };
}
