export { getChainState } from './chain-state.repository.js';
export { aloneAddresses, clusterMembers, inClusters } from './cluster-filter.js';
export {
  COPY_MARKER,
  CopyBuffer,
  type CopyValue,
  copyField,
  copyInto,
  copyText,
  copyTextOf,
} from './copy.js';
export type * from './database.types.js';
export {
  assertSchemaCurrent,
  type Db,
  type DbKind,
  describeDb,
  migrateToLatest,
  openDb,
  openPglite,
  openPostgres,
  pgliteDir,
  statementName,
} from './db.js';
export { DbUnavailableError, MigrationError, parseDbError, SchemaOutdatedError } from './db-errors.js';
export { type SqlArrayElement, sqlArray } from './sql-array.js';
