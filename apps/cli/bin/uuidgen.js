#!/usr/bin/env node
// The `uuidgen` command is bin/uuidgen.cjs (package.json "bin"), CommonJS so that Node starts it without its ESM loader;
// this file runs the same program for `node bin/uuidgen.js`.
import './uuidgen.cjs';
