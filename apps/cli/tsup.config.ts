import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig, type Options } from 'tsup';

const src = join(dirname(fileURLToPath(import.meta.url)), 'src');

/**
 * The one-shot commands, whose cost is mostly start-up: each bin of these reads one file, dist/<tool>.bin.js, that
 * holds the runner, the tool and the @suite libraries it uses (inlined, not loaded as separate dist chunks). Other
 * bins (mm, uuidd, the ctm tools, suite) run long or load optional dependencies, and keep the shared chunks.
 */
const ONE_SHOT = ['uuidgen', 'uuidparse', 'lock', 'pkgs_to_mmin'] as const;

/**
 * One-shot commands whose bin is CommonJS (bin/<tool>.cjs requiring dist/<tool>.bin.cjs): on Node 20 an ES module
 * as the entry point loads the ESM loader (about 60 more internal modules, 1.17x the CPU time of `node -e 0` for an
 * empty .mjs against 1.05x for an empty .cjs), which alone is more than their start-up budget.
 */
const COMMONJS_BIN: readonly string[] = ['uuidgen', 'uuidparse', 'lock', 'pkgs_to_mmin'];

/**
 * Bundles src/run.ts for one tool: its `./tools.js` becomes a table of that tool alone (so esbuild inlines only
 * it), and `./commands/suite/main.js`, the dispatcher, is left out.
 */
function oneTool(tool: string): NonNullable<Options['esbuildPlugins']>[number] {
  return {
    name: `suite-one-tool-${tool}`,
    setup(build) {
      build.onResolve({ filter: /^\.\/(tools|commands\/suite\/main)\.js$/ }, (args) =>
        args.importer === join(src, 'run.ts') ? { path: args.path, namespace: 'suite-one-tool' } : undefined,
      );
      build.onLoad({ filter: /.*/, namespace: 'suite-one-tool' }, (args) => ({
        resolveDir: src,
        loader: 'ts',
        contents:
          args.path === './tools.js'
            ? `export const tools = { ${tool}: { load: () => import('./commands/${tool}/main.js') } };\n` +
              `export const isToolName = (name: string) => name === ${JSON.stringify(tool)};\n`
            : `export async function main(): Promise<number> { throw new Error('suite is not in this bundle'); }\n`,
      }));
    },
  };
}

/**
 * Node built-ins that cost milliseconds to load and that a one-shot command may not touch on a given run (uuidparse
 * with UUIDs on its command line reads no stdin and draws no random bytes): in the bundles they are loaded on first
 * call, through `process.getBuiltinModule` (Node 20.16+). Only the functions listed here are wrapped; a bundle that
 * imports anything else from these modules fails to build, so a class or a constant is never silently wrapped.
 */
const LAZY_BUILTINS: Readonly<Record<string, readonly string[]>> = {
  crypto: ['randomFillSync', 'randomBytes'],
  'stream/consumers': ['text', 'buffer', 'json', 'arrayBuffer'],
};

/**
 * randomFillSync(bytes) in the one-shot bundles: the kernel's CSPRNG read from /dev/urandom (what getrandom(2) and
 * node:crypto draw from too) through node:fs, which Node has loaded already, rather than loading node:crypto and
 * its ~15 internal modules for the 4 KiB a uuidgen run draws. Where /dev/urandom cannot be read in full (not Linux,
 * a sandbox without /dev), node:crypto's randomFillSync does it.
 */
const URANDOM_FILL = `export const randomFillSync = (bytes) => {
  const fs = process.getBuiltinModule('node:fs');
  try {
    const fd = fs.openSync('/dev/urandom', 'r');
    try {
      let got = 0;
      while (got < bytes.byteLength) {
        const n = fs.readSync(fd, bytes, got, bytes.byteLength - got, null);
        if (n <= 0) break;
        got += n;
      }
      if (got === bytes.byteLength) return bytes;
    } finally {
      fs.closeSync(fd);
    }
  } catch {}
  return load().randomFillSync(bytes);
};`;

const lazyBuiltins: NonNullable<Options['esbuildPlugins']>[number] = {
  name: 'suite-lazy-builtins',
  setup(build) {
    const filter = new RegExp(`^(node:)?(${Object.keys(LAZY_BUILTINS).join('|')})$`);
    build.onResolve({ filter }, (args) => ({
      path: args.path.replace(/^node:/, ''),
      namespace: 'suite-lazy-builtin',
    }));
    build.onLoad({ filter: /.*/, namespace: 'suite-lazy-builtin' }, (args) => ({
      loader: 'js',
      contents: [
        `const load = () => process.getBuiltinModule(${JSON.stringify(`node:${args.path}`)});`,
        ...(LAZY_BUILTINS[args.path] ?? []).map((name) =>
          args.path === 'crypto' && name === 'randomFillSync'
            ? URANDOM_FILL
            : `export const ${name} = (...a) => load().${name}(...a);`,
        ),
      ].join('\n'),
    }));
  },
};

export default defineConfig([
  // One entry for the programmatic API and one for the runner the other bin files call; every tool is a lazily
  // imported chunk so that starting `mm` does not load the mail stack.
  {
    entry: { index: 'src/index.ts', run: 'src/run.ts' },
    format: ['esm'],
    dts: { entry: { index: 'src/index.ts' } },
    clean: false, // several tools build and test at once in development; CI builds from a clean checkout
    sourcemap: true,
    target: 'node20',
    platform: 'node',
    splitting: true,
    noExternal: [/^@suite\/internal(\/|$)/], // private: bundled in, never a dependency
  },
  ...ONE_SHOT.map(
    (tool): Options => ({
      entry: { [`${tool}.bin`]: 'src/run.ts' }, // dist/ itself: version.ts reads ../package.json
      format: COMMONJS_BIN.includes(tool) ? ['cjs'] : ['esm'],
      shims: COMMONJS_BIN.includes(tool), // import.meta.url (version.ts) in the CommonJS bundle
      clean: false,
      sourcemap: true,
      target: 'node20',
      platform: 'node',
      splitting: false, // dynamic import() of a bundled module is inlined: one file
      noExternal: [/^@suite\//],
      esbuildPlugins: [oneTool(tool), lazyBuiltins],
      removeNodeProtocol: false, // else tsup takes node:* imports before lazyBuiltins sees them
    }),
  ),
]);
