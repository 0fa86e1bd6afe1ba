import { defineConfig } from 'tsup';

export default defineConfig({
  entry: { index: 'src/index.ts', 'node/index': 'src/node/index.ts', 'node/main': 'src/node/main.ts' },
  format: ['esm'],
  dts: true,
  clean: false, // several tools build and test at once in development; CI builds from a clean checkout
  sourcemap: true,
  target: 'es2023',
  splitting: true,
  treeshake: true,
});
