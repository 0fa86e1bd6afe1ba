#!/usr/bin/env node
// V8's compile cache where the running Node has it (22.1+; under the OS temp dir unless NODE_COMPILE_CACHE says
// otherwise): a cache that cannot be read or written only costs the time it would have saved.
import module from 'node:module';

try {
  module.enableCompileCache?.();
} catch {}
// One file: the runner, the tool and the libraries it uses (tsup.config.ts).
const { run } = await import('../dist/lock.bin.js');
run('lock');
