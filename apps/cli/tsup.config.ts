import { defineConfig } from 'tsup';

// One entry for the programmatic API and one for the runner the bin files call; every tool is a lazily
// imported chunk so that starting `uuidgen` does not load the mail stack.
export default defineConfig({
  entry: { index: 'src/index.ts', run: 'src/run.ts' },
  format: ['esm'],
  dts: { entry: { index: 'src/index.ts' } },
  clean: false, // several tools build and test at once in development; CI builds from a clean checkout
  sourcemap: true,
  target: 'node20',
  platform: 'node',
  splitting: true,
});
