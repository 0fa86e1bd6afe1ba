import { defineConfig } from 'vitest/config';

// Every test of the package: unit tests, real-process tests and interop tests (`*.e2e.test.ts`).
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
