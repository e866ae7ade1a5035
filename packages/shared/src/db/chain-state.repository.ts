import type { Kysely } from 'kysely';
import type { ChainState, Database } from './database.types.js';

/** The single chain_state row, or undefined before the first block is indexed. */
export async function getChainState(db: Kysely<Database>): Promise<ChainState | undefined> {
  return db.selectFrom('chain_state').selectAll().where('id', '=', true).executeTakeFirst();
}
