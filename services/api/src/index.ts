export * from './auth/index.js';
export * from './export/index.js';
export * from './http/index.js';
export * from './investigate/index.js';
export * from './jobs/index.js';
