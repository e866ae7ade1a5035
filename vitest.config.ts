import { defineConfig } from 'vitest/config';

/** `npx vitest run` at the root runs every workspace's project; `npm test` runs them through turbo. */
export default defineConfig({
  test: {
    projects: ['packages/*', 'services/*', 'test'],
  },
});
