import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/helpers/global-setup.ts'],
    exclude: ['test/**/*.live.test.ts', 'node_modules/**'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Test files start real servers; two at a time suits the 2-core machines.
    maxWorkers: 2,
    pool: 'forks',
    reporters: ['default'],
  },
});
