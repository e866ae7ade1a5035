import { defineProject } from 'vitest/config';

export default defineProject({
  // Tests that start the API in process: Node resolves `graphql` to its CommonJS entry for
  // graphql-yoga while vite would pick the `module` entry, and two copies of graphql refuse each
  // other's schema objects. Point both at the same file (as services/api does).
  resolve: { alias: [{ find: /^graphql$/, replacement: 'graphql/index.js' }] },
  test: {
    name: 'cli',
    include: ['src/**/*.test.ts'],
    // Each test spawns `minetrace` processes, which compile their sources through tsx at start.
    testTimeout: 180_000,
    hookTimeout: 60_000,
  },
});
