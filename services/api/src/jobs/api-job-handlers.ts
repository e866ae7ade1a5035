import type { Db } from '@minetrace/shared/db';
import type { JobHandler } from '@minetrace/shared/queue';
import { DEFAULT_SCREEN_SETTINGS, type ScreenSettings } from '../investigate/index.js';
import { createFlowgraphExportHandler } from './flowgraph-export.job.js';
import { createScreenBatchHandler } from './screen-batch.job.js';

export interface ApiJobHandlerDeps {
  db: Db;
  /** Screening rules and depth (`SCREEN_RULES_FILE`, `SCREEN_MAX_HOPS`). @defaultValue the built-in rules */
  screen?: ScreenSettings;
}

/**
 * The handlers of the jobs whose work lives in the API's analysis modules: `flowgraph.export`
 * (trace or paths, then an export format) and `screen.batch`.
 */
export function createApiJobHandlers(deps: ApiJobHandlerDeps): Array<JobHandler<never>> {
  return [
    createFlowgraphExportHandler(deps) as JobHandler<never>,
    createScreenBatchHandler({
      db: deps.db,
      settings: deps.screen ?? DEFAULT_SCREEN_SETTINGS,
    }) as JobHandler<never>,
  ];
}
