#!/usr/bin/env node
// The `uuidparse` command is bin/uuidparse.cjs (package.json "bin"), CommonJS so that Node starts it without its ESM loader;
// this file runs the same program for `node bin/uuidparse.js`.
import './uuidparse.cjs';
