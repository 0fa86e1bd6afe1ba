/** ctm(5) deltas on node:fs: gzip, a crash-safe tree, node:crypto MD5. */
export * from './delta-file.js';
export * from './delta-tree.js';
