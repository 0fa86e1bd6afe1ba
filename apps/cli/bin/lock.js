#!/usr/bin/env node
// The `lock` command is bin/lock.cjs (package.json "bin"), CommonJS so that Node starts it without its ESM loader;
// this file runs the same program for `node bin/lock.js`.
import './lock.cjs';
