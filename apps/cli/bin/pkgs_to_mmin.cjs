#!/usr/bin/env node
// CommonJS on purpose (see COMMONJS_BIN in tsup.config.ts): an ES module entry costs Node 20 its ESM loader.
// V8's compile cache where the running Node has it (22.1+; under the OS temp dir unless NODE_COMPILE_CACHE says
// otherwise): a cache that cannot be read or written only costs the time it would have saved.
try {
  require('node:module').enableCompileCache?.();
} catch {}
// One file: the runner, the tool and the libraries it uses (tsup.config.ts).
require('../dist/pkgs_to_mmin.bin.cjs').run('pkgs_to_mmin');
