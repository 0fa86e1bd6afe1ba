/**
 * `@suite/ctm-mail/delta/node`: the ctm(5) delta format (everything of `@suite/ctm-mail/delta`) with its Node
 * adapters: gzip delta files, a crash-safe directory tree, node:crypto MD5.
 * @packageDocumentation
 */
export * from '../delta/index.js';
export * from './delta-file.js';
export * from './delta-tree.js';
