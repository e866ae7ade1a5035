import type { Migration } from 'kysely';
import * as chainTables from './2026-11-25-001-chain-tables.js';
import * as pools from './2026-11-25-002-pools.js';
import * as reorgs from './2026-11-25-003-reorgs.js';
import * as payouts from './2026-11-25-004-payouts.js';
import * as clusters from './2026-11-25-005-clusters.js';
import * as apiAccess from './2026-11-25-006-api-access.js';
import * as tags from './2026-11-25-007-tags.js';
import * as jobs from './2026-11-25-008-jobs.js';
import * as partialNullIndexes from './2026-11-26-009-partial-null-indexes.js';
import * as unreadClusterIndexes from './2026-11-26-010-unread-cluster-indexes.js';
import * as finalHeightInClusterState from './2026-11-26-011-final-height-in-cluster-state.js';
import * as addressClusters from './2026-11-26-012-address-clusters.js';
import * as addressCollation from './2026-11-27-013-address-collation.js';
import * as spends from './2026-11-27-014-spends.js';

/**
 * Every migration, by name. Listed statically (not read from the directory) so that they run the
 * same from TypeScript sources, a bundle or a test. Names sort in the order they apply; append only.
 */
export const migrations: Record<string, Migration> = {
  '2026-11-25-001-chain-tables': chainTables,
  '2026-11-25-002-pools': pools,
  '2026-11-25-003-reorgs': reorgs,
  '2026-11-25-004-payouts': payouts,
  '2026-11-25-005-clusters': clusters,
  '2026-11-25-006-api-access': apiAccess,
  '2026-11-25-007-tags': tags,
  '2026-11-25-008-jobs': jobs,
  '2026-11-26-009-partial-null-indexes': partialNullIndexes,
  '2026-11-26-010-unread-cluster-indexes': unreadClusterIndexes,
  '2026-11-26-011-final-height-in-cluster-state': finalHeightInClusterState,
  '2026-11-26-012-address-clusters': addressClusters,
  '2026-11-27-013-address-collation': addressCollation,
  '2026-11-27-014-spends': spends,
};
