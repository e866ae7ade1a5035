export * from './auth/index.js';
export * from './http/index.js';
