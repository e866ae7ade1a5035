import { defineProject } from 'vitest/config';

export default defineProject({
  // Node resolves `graphql` to its CommonJS entry for graphql-yoga (loaded by Node, outside vite);
  // vite would pick the `module` entry for our sources, and two copies of graphql refuse each
  // other's schema objects. Point both at the same file.
  resolve: { alias: [{ find: /^graphql$/, replacement: 'graphql/index.js' }] },
  test: {
    name: 'api',
    include: ['src/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 240_000,
  },
});
