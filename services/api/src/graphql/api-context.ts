import type { Network } from '@minetrace/shared/chain';
import { networkFromChain } from '@minetrace/shared/chain';
import { type Db, getChainState } from '@minetrace/shared/db';
import type { Principal } from '../auth/principal.js';
import { createLoaders, type Loaders } from './loaders.js';

/** What every resolver receives: the request's loaders, caller and limits. */
export interface ApiContext {
  db: Db;
  loaders: Loaders;
  principal: Principal;
  /** Largest `first` of a connection. */
  maxPage: number;
  /** The indexed network (address formats are checked against it); null while nothing is indexed. */
  network(): Promise<Network | null>;
}

export function createApiContext(db: Db, principal: Principal, maxPage: number): ApiContext {
  let network: Promise<Network | null> | undefined;
  return {
    db,
    loaders: createLoaders(db),
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
