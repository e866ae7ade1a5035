export * from './errors.js';
export * from './hex.js';
