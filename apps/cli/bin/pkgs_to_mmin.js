#!/usr/bin/env node
// The `pkgs_to_mmin` command is bin/pkgs_to_mmin.cjs (package.json "bin"), CommonJS so that Node starts it without its ESM loader;
// this file runs the same program for `node bin/pkgs_to_mmin.js`.
import './pkgs_to_mmin.cjs';
