export * from './follow/index.js';
export * from './ingest/index.js';
