import type { Network } from '@minetrace/shared/chain';
import { networkFromChain } from '@minetrace/shared/chain';
import { type Db, getChainState } from '@minetrace/shared/db';
import type { Principal } from '../auth/principal.js';
import { DEFAULT_SCREEN_SETTINGS, type ScreenSettings } from '../investigate/screen/index.js';
import type { JobService } from '../jobs/job-service.js';
import { createLoaders, type Loaders, type SharedLoaders } from './loaders.js';

/** What every resolver receives: the request's loaders, caller and limits. */
export interface ApiContext {
  db: Db;
  loaders: Loaders;
  principal: Principal;
  /** Largest `first` of a connection. */
  maxPage: number;
  /** The indexed network (address formats are checked against it); null while nothing is indexed. */
  network(): Promise<Network | null>;
  /** Enqueueing and cancelling batch jobs; null when this API runs without a job system. */
  jobs: JobService | null;
  /** Screening's rules and walk depth (`SCREEN_RULES_FILE`, `SCREEN_MAX_HOPS`). */
  screen: ScreenSettings;
}

export function createApiContext(
  db: Db,
  principal: Principal,
  maxPage: number,
  jobs: JobService | null = null,
  screen: ScreenSettings = DEFAULT_SCREEN_SETTINGS,
  /** Loaders batching across the requests of a server (`createSharedLoaders`); omitted: this request's own. */
  shared?: SharedLoaders,
): ApiContext {
  let network: Promise<Network | null> | undefined;
  return {
    db,
    jobs,
    screen,
    loaders: createLoaders(db, shared),
    principal,
    maxPage,
    network() {
      network ??= getChainState(db).then((state) =>
        state === undefined ? null : networkFromChain(state.network),
      );
      return network;
    },
  };
}
