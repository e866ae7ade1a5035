export { type ClusterRebuildJobDeps, createClusterRebuildHandler } from './cluster-rebuild.job.js';
export { createIndexBackfillHandler, type IndexBackfillJobDeps } from './index-backfill.job.js';
