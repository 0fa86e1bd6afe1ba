import { defineConfig, mergeConfig } from 'vitest/config';
import base from './vitest.config.js';

// The unit tests alone (no `*.e2e.test.ts`): what CI also runs under the current LTS Node.
export default mergeConfig(
  base,
  defineConfig({ test: { exclude: ['test/**/*.e2e.test.ts', '**/node_modules/**'] } }),
);
