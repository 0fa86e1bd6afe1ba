import { defineConfig, type Options } from 'tsup';

/**
 * The build every library package shares: ESM with declarations and source maps, for the platforms that the
 * packages' `engines` name; each package gives only its entries (the core and its `./node` adapters).
 */
export function libraryConfig(entry: Record<string, string>): ReturnType<typeof defineConfig> {
  const options: Options = {
    entry,
    format: ['esm'],
    dts: true,
    clean: false, // several tools build and test at once in development; CI builds from a clean checkout
    sourcemap: true,
    target: 'es2023',
    splitting: true,
    treeshake: true,
  };
  return defineConfig(options);
}
