import { fileURLToPath } from 'node:url';
import { defineConfig, type Options } from 'tsup';

const internal = fileURLToPath(new URL('./packages/internal/src/', import.meta.url));
/** Where the declaration bundler finds @suite/internal's sources (by path, so that it inlines them). */
const INTERNAL_PATHS = {
  '@suite/internal': [`${internal}index.ts`],
  '@suite/internal/node': [`${internal}node/index.ts`],
};

/**
 * The build every library package shares: ESM with declarations and source maps, for the platforms that the
 * packages' `engines` name; each package gives only its entries (the core and its `./node` adapters). The private
 * workspace package @suite/internal (shared internals) is bundled into each library, its code and its types.
 */
export function libraryConfig(entry: Record<string, string>): ReturnType<typeof defineConfig> {
  const options: Options = {
    entry,
    format: ['esm'],
    // The private @suite/internal is bundled in, code and types: a published library depends on no sibling.
    noExternal: [/^@suite\/internal(\/|$)/],
    dts: { compilerOptions: { paths: INTERNAL_PATHS } },
    clean: false, // several tools build and test at once in development; CI builds from a clean checkout
    sourcemap: true,
    target: 'es2023',
    splitting: true,
    treeshake: true,
  };
  return defineConfig(options);
}
