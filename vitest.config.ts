import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // The CLI tests run the compiled bin: rebuild dist/ first when a source changed since the last build.
    globalSetup: ['test/setup/build-dist.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Two cores: run files in parallel, but keep it to two workers so servers and Prism do not starve.
    maxWorkers: 2,
  },
});
