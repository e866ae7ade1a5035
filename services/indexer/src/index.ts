export * from './cluster/index.js';
export * from './follow/index.js';
export * from './ingest/index.js';
export * from './jobs/index.js';
