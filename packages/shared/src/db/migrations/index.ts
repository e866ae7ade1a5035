import type { Migration } from 'kysely';
import * as chainTables from './2026-11-25-001-chain-tables.js';
import * as pools from './2026-11-25-002-pools.js';

/**
 * Every migration, by name. Listed statically (not read from the directory) so that they run the
 * same from TypeScript sources, a bundle or a test. Names sort in the order they apply; append only.
 */
export const migrations: Record<string, Migration> = {
  '2026-11-25-001-chain-tables': chainTables,
  '2026-11-25-002-pools': pools,
};
