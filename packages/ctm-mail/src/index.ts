/** The package's version line, replaced as its issue lands. */
export const packageName = '@suite/ctm-mail';

export * from './delta/index.js';
